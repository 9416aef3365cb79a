package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import org.junit.jupiter.api.Test;

/**
 * The backbone of the project: for random subnets of both presets' layouts, the supernet's own
 * forward (eval mode) at config C equals the exported ONNX model of {@code extract(C)} run in ONNX
 * Runtime, within 1e-4 absolute, at batch 1 and batch 4, at every resolution of the space. The
 * supernets have random BN statistics, gammas and kernel transforms (and large logits), so the
 * comparison can fail.
 */
class SupernetOnnxEquivalenceTest {

    private static final double TOLERANCE = 1e-4;

    private static void check(SearchSpace space, int configs, long seed) {
        try (Supernet net = Supernet.create(space, seed); NDManager m = NDManager.newBaseManager()) {
            TestSpaces.randomize(net, seed + 1);
            SplittableRandom rng = new SplittableRandom(seed);
            List<ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min()));
            while (archs.size() < configs) {
                archs.add(space.sample(rng));
            }
            int checked = 0;
            for (ArchConfig base : archs) {
                byte[] onnx = null;
                for (int res : space.resolutions()) {
                    ArchConfig a = new ArchConfig(base.blocks(), base.depths(), res);
                    onnx = OnnxExporter.toBytes(net.extract(a), Map.of());
                    for (int batch : new int[] {1, 4}) {
                        NDArray x = TestSpaces.images(m, batch, space.inChannels(), res, rng.nextLong());
                        float[] expected = net.forward(m, x, a, false).toFloatArray();
                        Verifier.Comparison c = Verifier.compare(onnx, x.toFloatArray(),
                                new long[] {batch, space.inChannels(), res, res}, expected, TOLERANCE);
                        assertTrue(c.passed(), a.key() + " batch " + batch + ": " + c.report());
                        checked++;
                    }
                }
            }
            assertTrue(checked >= configs * space.resolutions().size() * 2);
        }
    }

    @Test
    void fmnistSupernetEqualsOnnxForTwentyRandomConfigs() {
        check(SearchSpace.fmnist(), 22, 11); // max, min and 20 random
    }

    @Test
    void ofaImageNetLayoutSupernetEqualsOnnxForTwentyRandomConfigs() {
        // OFA's w1.0 layout at small inputs (3 channels, 24 and 32 px, 5 classes) to keep the test fast
        check(TestSpaces.smallOfa(), 22, 12); // max, min and 20 random
    }
}
