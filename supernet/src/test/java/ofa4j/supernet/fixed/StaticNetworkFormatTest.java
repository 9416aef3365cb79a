package ofa4j.supernet.fixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.ReferenceForward;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;
import ofa4j.supernet.ops.MemoryFormatCheck;
import org.junit.jupiter.api.Test;

/**
 * The supernet and the static network that measures every accuracy must compute what the exported
 * model computes. libtorch 2.7.1's convolution computed a 1x1 convolution of a channels-last input
 * wrongly with two intra-op threads for some output widths (40, 72, 80, ...; 24 -> 72 is OFA's
 * expand-3 of a 24-channel stage), and ofa4j trained and evaluated that way. With libtorch's kernel
 * and channels-last forced on, the second test failed (seen); with the kernel and the check, the
 * default falls back to NCHW and both pass.
 */
class StaticNetworkFormatTest {

    private static final double TOLERANCE = 1e-4;

    @Test
    void formatCheckTellsTheTruthAndTheDefaultFormatComputesRight() {
        try (NDManager m = NDManager.newBaseManager()) {
            boolean allRight = true;
            for (int out : new int[] {40, 72, 80}) {
                NDArray x = m.randomNormal(new Shape(4, 24, 7, 7));
                NDArray w = m.randomNormal(new Shape(out, 24, 1, 1));
                float[] reference = conv1x1(x.toFloatArray(), w.toFloatArray(), 4, 24, out, 49);
                double nchw = TestSpaces.maxAbsDiff(Fn.conv(x, w, 1, 1).toFloatArray(), reference);
                assertTrue(nchw < TOLERANCE, "NCHW 1x1 conv 24->" + out + " vs plain Java: " + nchw);
                NDArray cl = Fn.conv(Fn.toMemoryFormat(Ctx.of(m, false, true), x), w, 1, 1);
                allRight &= TestSpaces.maxAbsDiff(cl.toFloatArray(), reference) < TOLERANCE;
                NDArray byDefault = Fn.conv(Fn.toMemoryFormat(Ctx.of(m, false), x), w, 1, 1);
                double d = TestSpaces.maxAbsDiff(byDefault.toFloatArray(), reference);
                assertTrue(d < TOLERANCE, "default memory format (channels-last " + Ctx.CHANNELS_LAST + "), 1x1 conv 24->"
                        + out + " vs plain Java: " + d);
            }
            assertEquals(allRight, MemoryFormatCheck.channelsLastIsCorrect(),
                    "the check must say whether channels-last 1x1 convolutions are right in this process");
            assertEquals(allRight, Ctx.CHANNELS_LAST);
        }
    }

    /** A 1x1 convolution in plain Java: out[n][o][p] = sum_i w[o][i] x[n][i][p]. */
    private static float[] conv1x1(float[] x, float[] w, int batch, int in, int out, int pixels) {
        float[] y = new float[batch * out * pixels];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < out; o++) {
                for (int p = 0; p < pixels; p++) {
                    double acc = 0;
                    for (int i = 0; i < in; i++) {
                        acc += (double) w[o * in + i] * x[(n * in + i) * pixels + p];
                    }
                    y[(n * out + o) * pixels + p] = (float) acc;
                }
            }
        }
        return y;
    }

    @Test
    void staticNetworkEqualsPlainJavaForwardForEveryWidth() {
        for (SearchSpace space : List.of(TestSpaces.tinyFmnist(), SearchSpace.fmnist())) {
            try (Supernet net = Supernet.create(space, 5); NDManager m = NDManager.newBaseManager()) {
                TestSpaces.randomize(net, 6);
                SplittableRandom rng = new SplittableRandom(7);
                List<ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min(),
                        space.uniform(space.kernels().get(0), space.expandRatios().get(0), space.depths().get(2),
                                space.resolutions().get(0))));
                while (archs.size() < 8) {
                    archs.add(space.sample(rng));
                }
                for (ArchConfig a : archs) {
                    Subnet s = net.extract(a);
                    int r = a.resolution();
                    NDArray x = TestSpaces.images(m, 3, space.inChannels(), r, rng.nextLong());
                    float[] in = x.toFloatArray();
                    float[] want = ReferenceForward.forward(s, in, 3);
                    try (FixedNetwork f = new FixedNetwork(s)) {
                        double d = TestSpaces.maxAbsDiff(f.forward(m, x).toFloatArray(), want);
                        assertTrue(d < TOLERANCE * Math.max(1, TestSpaces.maxAbs(want)),
                                space.name() + " " + a.key() + ": static network vs plain Java " + d);
                    }
                    double sd = TestSpaces.maxAbsDiff(net.forward(m, x, a, false).toFloatArray(), want);
                    assertTrue(sd < TOLERANCE * Math.max(1, TestSpaces.maxAbs(want)),
                            space.name() + " " + a.key() + ": supernet vs plain Java " + sd);
                }
            }
        }
    }
}
