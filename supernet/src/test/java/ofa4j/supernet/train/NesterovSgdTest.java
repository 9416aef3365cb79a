package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NesterovSgdTest {

    @TempDir Path tmp;

    private static Parameter param(NDManager m, String name, float[] v) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        NDArray a = m.create(v, new Shape(v.length));
        a.setRequiresGradient(true);
        p.setArray(a);
        return p;
    }

    /** loss = sum(c * w^2) has gradient 2 c w; compare 3 updates with a hand-written Nesterov SGD. */
    @Test
    void matchesHandWrittenNesterovAndSkipsUnusedAndNoDecay() throws Exception {
        float[] w0 = {1f, -2f, 0.5f};
        float[] c = {1f, 0.5f, 2f};
        double lr = 0.1;
        double mom = 0.9;
        double wd = 0.01;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Parameter> ps = new LinkedHashMap<>();
            ps.put("w", param(m, "w", w0.clone()));
            ps.put("bn.gamma", param(m, "bn.gamma", w0.clone()));
            ps.put("unused", param(m, "unused", w0.clone()));
            NesterovSgd opt = new NesterovSgd(m, mom, wd);
            double[][] ref = {toD(w0), toD(w0)}; // [0] decayed "w", [1] no-decay "bn.gamma"
            double[][] buf = new double[2][3];
            for (int step = 0; step < 3; step++) {
                try (NDManager scope = m.newSubManager()) {
                    NDArray cc = scope.create(c);
                    try (GradientCollector gc = scope.getEngine().newGradientCollector()) {
                        NDArray loss = cc.mul(ps.get("w").getArray().square()).sum()
                                .add(cc.mul(ps.get("bn.gamma").getArray().square()).sum())
                                .add(cc.mul(ps.get("unused").getArray().square()).sum());
                        gc.backward(loss);
                    }
                    opt.step(scope, ps, List.of("w", "bn.gamma"), n -> n.startsWith("bn."), lr);
                }
                for (int r = 0; r < 2; r++) {
                    for (int i = 0; i < 3; i++) {
                        double g = 2 * c[i] * ref[r][i] + (r == 0 ? wd * ref[r][i] : 0);
                        buf[r][i] = mom * buf[r][i] + g;
                        ref[r][i] -= lr * (g + mom * buf[r][i]);
                    }
                }
            }
            assertArrayEquals(toF(ref[0]), ps.get("w").getArray().toFloatArray(), 1e-6f);
            assertArrayEquals(toF(ref[1]), ps.get("bn.gamma").getArray().toFloatArray(), 1e-6f);
            assertArrayEquals(w0, ps.get("unused").getArray().toFloatArray(), "an unused parameter must not move");
            // gradients of updated parameters are zeroed; the unused one accumulated 3 backward passes
            assertArrayEquals(new float[3], ps.get("w").getArray().getGradient().toFloatArray());
            float[] acc = ps.get("unused").getArray().getGradient().toFloatArray();
            assertEquals(3 * 2 * c[0] * w0[0], acc[0], 1e-5);

            Path f = tmp.resolve("opt.bin");
            opt.save(f);
            NesterovSgd other = new NesterovSgd(m, mom, wd);
            other.load(f, ps);
            assertEquals(2, other.bufferCount());
            Files.write(f, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            assertThrows(java.io.IOException.class, () -> other.load(f, ps));
            other.close();
            opt.close();
        }
    }

    /**
     * Optimizer state of the first format (fixture {@code micro-optimizer-v1.bin}: 2 steps of the max
     * subnet of {@code TestSpaces.micro()}) still loads; it is saved in the tensor-file format
     * (version 2) with the same buffers, and that file loads and saves to the same bytes.
     */
    @Test
    void firstFormatLoadsAndIsRewrittenAsATensorFile() throws Exception {
        Path v1 = Path.of("src/test/resources/fixtures/micro-optimizer-v1.bin");
        try (ofa4j.supernet.Supernet net = ofa4j.supernet.Supernet.create(ofa4j.supernet.TestSpaces.micro(), 1);
                NesterovSgd opt = new NesterovSgd(net.manager(), 0.9, 3e-5)) {
            opt.load(v1, net.trainableParameters());
            assertEquals(41, opt.bufferCount());
            Path v2 = tmp.resolve("optimizer.bin");
            opt.save(v2);
            assertEquals("OFA4JOPT", new String(Files.readAllBytes(v2), 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
            ofa4j.models.TensorFiles.Contents c = ofa4j.models.TensorFiles.read(v2,
                    "OFA4JOPT".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "optimizer", 2, 2, "buffers");
            assertEquals(2, c.version());
            assertEquals(0.9, c.header().get("momentum").getAsDouble(), 0.0);
            assertEquals(3e-5, c.header().get("weight_decay").getAsDouble(), 0.0);
            assertEquals(41, c.tensors().size());
            float[] bias = c.tensors().get("classifier.bias").data();
            assertArrayEquals(new float[] {(float) -2.202087163925171, (float) 1.000989556312561,
                    (float) -0.27759432792663574}, bias);
            assertArrayEquals(new int[] {8, 1, 3, 3}, c.tensors().get("blocks.0.dw.weight").shape());
            assertEquals((float) -0.793161928653717, c.tensors().get("blocks.0.dw.weight").data()[0]);

            NesterovSgd back = new NesterovSgd(net.manager(), 0.9, 3e-5);
            back.load(v2, net.trainableParameters());
            assertEquals(41, back.bufferCount());
            Path again = tmp.resolve("again.bin");
            back.save(again);
            assertArrayEquals(Files.readAllBytes(v2), Files.readAllBytes(again));
            back.close();

            Map<String, Parameter> wrong = new LinkedHashMap<>(net.trainableParameters());
            wrong.remove("classifier.bias");
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> opt.load(v2, wrong));
            assertTrue(e.getMessage().contains("unknown parameter classifier.bias"), e.getMessage());
            assertEquals(0, opt.bufferCount(), "a refused file leaves no buffers");
        }
    }

    private static double[] toD(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static float[] toF(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
