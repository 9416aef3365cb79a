package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.LinkedHashMap;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;

class SupernetCalibrationTest {

    static Map<String, float[]> snapshot(Supernet net) {
        Map<String, float[]> m = new LinkedHashMap<>();
        net.runningStatistics().forEach((k, v) -> m.put(k, v.toFloatArray()));
        return m;
    }

    /** Per-channel mean and biased variance of the stem conv output over the whole set. */
    static double[][] stemStats(Subnet sub, ImageSet set, float[] mean, float[] std) {
        Tensor w = sub.tensor("stem.conv.weight");
        int r = sub.arch().resolution();
        int[] idx = new int[set.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = Batches.images(m, set, idx, r, mean, std);
            int[] s = w.shape();
            NDArray wa = m.create(w.data(), new Shape(s[0], s[1], s[2], s[3]));
            NDArray y = Conv2d.conv2d(x, wa, null, new Shape(2, 2), new Shape(1, 1), new Shape(1, 1), 1)
                    .singletonOrThrow();
            long[] ys = y.getShape().getShape();
            float[] v = y.toFloatArray();
            int c = (int) ys[1];
            int hw = (int) (ys[2] * ys[3]);
            double[][] out = new double[2][c];
            long n = ys[0] * hw;
            for (int b = 0; b < ys[0]; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int p = 0; p < hw; p++) {
                        out[0][ch] += v[(int) ((b * c + ch) * hw + p)];
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                out[0][ch] /= n;
            }
            for (int b = 0; b < ys[0]; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int p = 0; p < hw; p++) {
                        double d = v[(int) ((b * c + ch) * hw + p)] - out[0][ch];
                        out[1][ch] += d * d;
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                out[1][ch] /= n;
            }
            return out;
        }
    }

    @Test
    void recalibratedStatisticsMatchAnIndependentComputationAndLeaveTheSupernetAlone() {
        SearchSpace space = TestSpaces.tinyFmnist();
        ImageSet set = TestSpaces.randomSet(60, 1, 16, 10, 9);
        float[] mean = {0.5f};
        float[] std = {0.29f};
        try (Supernet net = Supernet.create(space, 31)) {
            TestSpaces.randomize(net, 32);
            ArchConfig arch = space.uniform(5, 4, 3, 12);
            Map<String, float[]> before = snapshot(net);
            Subnet plain = net.extract(arch);
            // one batch: mean and biased variance over all 60 images
            Subnet one = net.extractCalibrated(arch, set, 60, mean, std, 1, 100);
            double[][] want = stemStats(one, set, mean, std);
            float[] gotMean = one.tensor("stem.bn.mean").data();
            float[] gotVar = one.tensor("stem.bn.var").data();
            for (int c = 0; c < gotMean.length; c++) {
                assertEquals(want[0][c], gotMean[c], 1e-4 * (1 + Math.abs(want[0][c])), "mean of channel " + c);
                assertEquals(want[1][c], gotVar[c], 1e-4 * (1 + Math.abs(want[1][c])), "var of channel " + c);
            }
            // several batches (25, 25, 10): the weighted mean of batch means is still the overall mean
            Subnet three = net.extractCalibrated(arch, set, 60, mean, std, 2, 25);
            float[] m3 = three.tensor("stem.bn.mean").data();
            for (int c = 0; c < m3.length; c++) {
                assertEquals(want[0][c], m3[c], 1e-4 * (1 + Math.abs(want[0][c])), "3-batch mean of channel " + c);
            }
            // the stored running statistics are untouched, the extracted ones differ from them
            Map<String, float[]> after = snapshot(net);
            for (String k : before.keySet()) {
                assertArrayEquals(before.get(k), after.get(k), k + " changed by recalibration");
            }
            assertTrue(plain.tensor("blocks.3.dw.bn.var").maxAbsDiff(one.tensor("blocks.3.dw.bn.var")) > 1e-3);
            assertEquals(plain.tensor("blocks.3.dw.weight"), one.tensor("blocks.3.dw.weight"));
        }
    }

    @Test
    void calibrationSubsetGivesBitIdenticalStatisticsWithTheSameSeed() {
        SearchSpace space = TestSpaces.tinyFmnist();
        ImageSet set = TestSpaces.randomSet(90, 1, 16, 10, 5);
        float[] mean = {0.5f};
        float[] std = {0.29f};
        try (Supernet net = Supernet.create(space, 31)) {
            TestSpaces.randomize(net, 33);
            ArchConfig arch = space.uniform(5, 4, 3, 12);
            ImageSet subset = Supernet.calibrationSubset(set, 40, 77);
            assertEquals(40, subset.size());
            assertEquals(set.name(), subset.name());
            // batches of 16: 16, 16, 8 images, so a different batch make-up would change the variance
            Subnet full = net.extractCalibrated(arch, set, 40, mean, std, 77, 16);
            Subnet part = net.extractCalibrated(arch, subset, 40, mean, std, 77, 16);
            assertEquals(full.tensors(), part.tensors());
            Subnet otherSeed = net.extractCalibrated(arch, set, 40, mean, std, 78, 16);
            assertTrue(full.tensor("blocks.1.dw.bn.var").maxAbsDiff(otherSeed.tensor("blocks.1.dw.bn.var")) > 0);
            // asking for more images than the set has: the whole set, rearranged
            assertEquals(90, Supernet.calibrationSubset(set, 500, 77).size());
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Supernet.calibrationSubset(set, 0, 1));
        assertEquals("numImages must be >= 1, found 0", e.getMessage());
    }

    @Test
    void trainingForwardUpdatesOnlyTheUsedSliceOfRunningStatistics() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 41)) {
            ArchConfig arch = space.uniform(3, 3, 2, 12);
            Map<String, float[]> before = snapshot(net);
            try (NDManager scope = net.manager().newSubManager()) {
                NDArray x = TestSpaces.images(scope, 4, 1, 12, 3);
                net.forward(scope, x, arch, true);
            }
            Map<String, float[]> after = snapshot(net);
            int hidden = SearchSpace.hiddenWidth(space.firstBlockWidth(), 3);
            float[] b = before.get("blocks.1.dw.bn.mean");
            float[] a = after.get("blocks.1.dw.bn.mean");
            for (int c = 0; c < a.length; c++) {
                if (c < hidden) {
                    assertTrue(a[c] != b[c], "used channel " + c + " not updated");
                } else {
                    assertEquals(b[c], a[c], "unused channel " + c + " updated");
                }
            }
            assertArrayEquals(before.get("blocks.3.dw.bn.mean"), after.get("blocks.3.dw.bn.mean"));
        }
    }
}
