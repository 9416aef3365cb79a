package ofa4j.supernet.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Fake quantization rounds as the INT8 export and ONNX Runtime do, and passes gradients straight through. */
class FakeQuantTest {

    @Test
    void activationsRoundHalfToEvenAndSaturateAsQuantizeLinear() {
        FakeQuant.Activation a = new FakeQuant.Activation(0.5f, 10);
        FakeQuant fq = new FakeQuant(Map.of("t", a));
        // exact ties x / s = k + 0.5 (0.25 = 0.5 * 0.5, 0.75 = 1.5 * 0.5...), both signs, and saturation at both ends
        float[] x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, -1.25f, 0f, 3.1f, -4.9f, -5.25f, -7f, 122.4f, 122.75f, 200f};
        try (NDManager m = NDManager.newBaseManager()) {
            Ctx c = Ctx.quantized(m, false, fq);
            float[] got = fq.activation(c, "t", m.create(x)).toFloatArray();
            float[] want = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                want[i] = FakeQuant.reference(a, x[i]);
            }
            assertArrayEquals(want, got, 0f);
            // half to even: 0.25 / 0.5 = 0.5 -> 0, 0.75 / 0.5 = 1.5 -> 2, 1.25 / 0.5 = 2.5 -> 2; range [-5, 122.5]
            assertArrayEquals(new float[] {0f, 1f, 1f, 0f, -1f, -1f, 0f, 3f, -5f, -5f, -5f, 122.5f, 122.5f, 122.5f}, got, 0f);
            // a tensor the export does not quantize passes unchanged (the same array)
            NDArray y = m.create(x);
            assertTrue(fq.activation(c, "other", y) == y);
            assertEquals(Set.of(), fq.unvisited());
        }
    }

    @Test
    void weightsQuantizePerOutputChannelAsTheExporterDoesAndCommuteWithBnScales() {
        SplittableRandom r = new SplittableRandom(3);
        int out = 6;
        int per = 3 * 3 * 3;
        float[] w = new float[out * per];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * (1 + i / per));
        }
        java.util.Arrays.fill(w, 2 * per, 3 * per, 0f); // an all-zero channel: scale 1, values 0
        for (int j = 0; j < per; j++) { // channel 1: max 127 / 64, so that its scale is 2^-6 exactly
            w[per + j] = (float) Math.max(-1.9, Math.min(1.9, w[per + j] * 0.5));
        }
        w[per] = 1.984375f;
        w[per + 4] = 2.5f / 64; // an exact tie w / s = 2.5: half up (Math.round) gives 3, half to even would give 2
        float[] k = {0.5f, -2f, 1f, 3.7f, -0.01f, 1e-3f}; // BN scales gamma / sqrt(var + eps), both signs
        try (NDManager m = NDManager.newBaseManager()) {
            FakeQuant fq = new FakeQuant(Map.of());
            Ctx c = Ctx.quantized(m, false, fq);
            float[] q = fq.weight(c, m.create(w, new Shape(out, 3, 3, 3))).toFloatArray();
            float[] want = exporterRule(w, out);
            assertArrayEquals(want, q, 0f);
            assertEquals(3f / 64, q[per + 4], 0f);
            // the export quantizes the BN-folded weight w * k[c]: it equals k[c] times the quantized w
            float[] folded = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                folded[i] = (float) ((double) w[i] * k[i / per]);
            }
            float[] qf = exporterRule(folded, out);
            for (int i = 0; i < w.length; i++) {
                if (i == per + 4) {
                    continue; // the tie: half up is not odd-symmetric, and k[1] < 0 (a tie has probability 0 in a trained net)
                }
                assertEquals(qf[i], k[i / per] * q[i], 1e-5 * Math.abs(qf[i]) + 1e-12, "element " + i);
            }
        }
    }

    @Test
    void gradientsPassStraightThrough() {
        FakeQuant fq = new FakeQuant(Map.of("t", new FakeQuant.Activation(0.1f, 128)));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {0.03f, -0.26f, 100f, 1.04f});
            NDArray w = m.create(new float[] {0.3f, -0.2f, 0.05f, 0.001f}, new Shape(2, 2));
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            try (NDManager scope = m.newSubManager()) {
                Ctx c = Ctx.quantized(scope, true, fq);
                try (GradientCollector gc = scope.getEngine().newGradientCollector()) {
                    NDArray y = fq.activation(c, "t", x).sum().add(fq.weight(c, w).mul(scope.create(2f)).sum());
                    // forward: the quantized values (100 saturates at (255 - 128) * 0.1 = 12.7)
                    float qw = 0;
                    for (float v : exporterRule(new float[] {0.3f, -0.2f, 0.05f, 0.001f}, 2)) {
                        qw += v;
                    }
                    assertEquals(0f - 0.3f + 12.7f + 1.0f + 2 * qw, y.getFloat(), 1e-5);
                    assertEquals(0.3 - 85 * 0.3 / 127 + 0.05 + 3 * 0.05 / 127, qw, 1e-6);
                    gc.backward(y);
                }
            }
            assertArrayEquals(new float[] {1, 1, 1, 1}, x.getGradient().toFloatArray(), 0f);
            assertArrayEquals(new float[] {2, 2, 2, 2}, w.getGradient().toFloatArray(), 0f);
        }
    }

    @Test
    void unvisitedNamesAndBadValuesAreReported() {
        FakeQuant fq = new FakeQuant(Map.of("b", new FakeQuant.Activation(1f, 0), "a", new FakeQuant.Activation(1f, 0)));
        assertEquals(Set.of("a", "b"), fq.unvisited());
        assertEquals("[a, b]", fq.unvisited().toString()); // sorted, for a readable message
        assertEquals("activation scale must be positive and finite, found 0.0",
                assertThrows(IllegalArgumentException.class, () -> new FakeQuant.Activation(0f, 0)).getMessage());
        assertEquals("activation zero point must be in [0, 255], found 256",
                assertThrows(IllegalArgumentException.class, () -> new FakeQuant.Activation(1f, 256)).getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals("a quantized pass needs a fake quantizer, found null",
                    assertThrows(IllegalArgumentException.class, () -> Ctx.quantized(m, true, null)).getMessage());
        }
    }

    private static double maxAbs(float[] w, int c, int per) {
        double max = 0;
        for (int j = 0; j < per; j++) {
            max = Math.max(max, Math.abs(w[c * per + j]));
        }
        return max;
    }

    /** QdqRewriter's weight rule (without its bias limit): scale max|w| / 127 per channel, Math.round, [-127, 127]. */
    private static float[] exporterRule(float[] w, int out) {
        int per = w.length / out;
        float[] q = new float[w.length];
        for (int c = 0; c < out; c++) {
            double s = maxAbs(w, c, per) / 127;
            float scale = s > 0 ? (float) s : 1f;
            for (int j = 0; j < per; j++) {
                long v = Math.round(w[c * per + j] / (double) scale);
                q[c * per + j] = Math.max(-127, Math.min(127, v)) * scale;
            }
        }
        return q;
    }
}
