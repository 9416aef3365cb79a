package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.fixed.FixedNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupernetExtractionTest {

    @TempDir Path tmp;

    static List<ArchConfig> configs(SearchSpace space, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<ArchConfig> out = new ArrayList<>();
        out.add(space.max());
        out.add(space.min());
        for (int i = 0; i < n; i++) {
            out.add(space.sample(rng));
        }
        return out;
    }

    static float[] supernetLogits(Supernet net, ArchConfig arch, long seed) {
        try (NDManager scope = net.manager().newSubManager()) {
            NDArray x = TestSpaces.images(scope, 3, net.space().inChannels(), arch.resolution(), seed);
            return net.forward(scope, x, arch, false).toFloatArray();
        }
    }

    static float[] fixedLogits(Subnet subnet, long seed) {
        try (FixedNetwork f = new FixedNetwork(subnet);
                NDManager scope = NDManager.newBaseManager()) {
            NDArray x = TestSpaces.images(scope, 3, subnet.space().inChannels(), subnet.arch().resolution(), seed);
            return f.forward(scope, x).toFloatArray();
        }
    }

    void checkAgreement(SearchSpace space) throws Exception {
        try (Supernet net = Supernet.create(space, 7)) {
            TestSpaces.randomize(net, 11);
            int i = 0;
            for (ArchConfig arch : configs(space, 8, 3)) {
                float[] a = supernetLogits(net, arch, 100 + i);
                Subnet sub = net.extract(arch);
                float[] b = fixedLogits(sub, 100 + i);
                double d = TestSpaces.maxAbsDiff(a, b);
                assertTrue(TestSpaces.maxAbs(a) > 0.5, "logits must not vanish for " + arch.key() + ": " + TestSpaces.maxAbs(a));
                assertTrue(d <= 1e-5, "supernet vs fixed differ by " + d + " for " + arch.key());
                Path f = tmp.resolve("sub" + i + ".bin");
                sub.save(f);
                float[] c = fixedLogits(Subnet.load(f), 100 + i);
                assertTrue(TestSpaces.maxAbsDiff(a, c) <= 1e-5, "after Subnet save/load for " + arch.key());
                i++;
            }
        }
    }

    @Test
    void extractedSubnetMatchesSupernetTinyFmnist() throws Exception {
        checkAgreement(TestSpaces.tinyFmnist());
    }

    @Test
    void extractedSubnetMatchesSupernetSmallOfa() throws Exception {
        checkAgreement(TestSpaces.smallOfa());
    }

    @Test
    void savedAndLoadedSupernetComputesTheSame() throws Exception {
        SearchSpace space = TestSpaces.tinyFmnist();
        Path file = tmp.resolve("net.params");
        List<ArchConfig> archs = configs(space, 8, 5);
        List<float[]> before = new ArrayList<>();
        try (Supernet net = Supernet.create(space, 1)) {
            TestSpaces.randomize(net, 2);
            for (int i = 0; i < archs.size(); i++) {
                before.add(supernetLogits(net, archs.get(i), i));
            }
            net.saveParameters(file);
        }
        try (Supernet other = Supernet.create(space, 99)) {
            float[] fresh = supernetLogits(other, archs.get(0), 0);
            assertTrue(TestSpaces.maxAbsDiff(fresh, before.get(0)) > 1e-3, "another seed must differ");
            other.loadParameters(file);
            for (int i = 0; i < archs.size(); i++) {
                float[] a = supernetLogits(other, archs.get(i), i);
                assertEquals(0.0, TestSpaces.maxAbsDiff(a, before.get(i)), 1e-6, archs.get(i).key());
                float[] b = fixedLogits(other.extract(archs.get(i)), i);
                assertTrue(TestSpaces.maxAbsDiff(a, b) <= 1e-5, archs.get(i).key());
            }
            // loaded parameters still take gradients (DJL notes: loading must not drop requiresGrad)
            SupernetGradientTest.backward(other, space.max(), 3);
            for (String n : other.usedParameters(space.max())) {
                assertTrue(TestSpaces.maxAbs(SupernetGradientTest.grad(other.trainableParameters().get(n))) > 0,
                        "no gradient for " + n + " after loadParameters");
            }
        }
    }

    @Test
    void trainingModeForwardMatchesTheFixedNetworkInTrainingMode() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 17)) {
            TestSpaces.randomize(net, 18);
            for (ArchConfig arch : configs(space, 3, 19)) {
                Subnet sub = net.extract(arch);
                float[] a;
                try (NDManager scope = net.manager().newSubManager()) {
                    NDArray x = TestSpaces.images(scope, 4, 1, arch.resolution(), 5);
                    a = net.forward(scope, x, arch, true).toFloatArray();
                }
                float[] b;
                try (FixedNetwork f = new FixedNetwork(sub);
                        NDManager scope = NDManager.newBaseManager()) {
                    NDArray x = TestSpaces.images(scope, 4, 1, arch.resolution(), 5);
                    b = f.forward(scope, x, true).toFloatArray();
                }
                double d = TestSpaces.maxAbsDiff(a, b);
                assertTrue(d <= 1e-4, "training-mode outputs differ by " + d + " for " + arch.key());
            }
        }
    }

    @Test
    void defaultFmnistPresetRunsAndAgrees() {
        SearchSpace space = SearchSpace.fmnist();
        try (Supernet net = Supernet.create(space, 23)) {
            TestSpaces.randomize(net, 24);
            for (ArchConfig arch : List.of(space.max(), space.min())) {
                float[] a = supernetLogits(net, arch, 2);
                assertEquals(3 * 10, a.length);
                double d = TestSpaces.maxAbsDiff(a, fixedLogits(net.extract(arch), 2));
                assertTrue(d <= 1e-5, "fmnist preset differs by " + d + " at " + arch.key());
            }
            assertTrue(net.describe().contains("MB(I16,O24,E[3, 4, 6],K[3, 5, 7],S2,relu)"), net.describe());
        }
    }

    @Test
    void highResolutionFmnistPresetRunsAndAgrees() {
        // the first stage keeps the stem's 14x14 map: stride 1 while the width changes 16 -> 24
        presetRunsAndAgrees(SearchSpace.fmnistHr(), 29, "MB(I16,O24,E[3, 4, 6],K[3, 5, 7],S1,relu)");
    }

    @Test
    void strideOneStemPresetRunsAndAgrees() {
        // the stem keeps the whole image, so the first stage is the one that halves it
        presetRunsAndAgrees(SearchSpace.fmnistS1(), 32, "MB(I16,O24,E[3, 4, 6],K[3, 5, 7],S2,relu)");
    }

    /** Max, min and a random subnet of a preset space: supernet == extracted network; the first stage as expected. */
    private static void presetRunsAndAgrees(SearchSpace space, int seed, String firstStage) {
        try (Supernet net = Supernet.create(space, seed)) {
            TestSpaces.randomize(net, seed + 1);
            java.util.Random rng = new java.util.Random(seed + 2);
            for (ArchConfig arch : List.of(space.max(), space.min(), space.sample(rng))) {
                float[] a = supernetLogits(net, arch, 2);
                assertEquals(3 * 10, a.length);
                double d = TestSpaces.maxAbsDiff(a, fixedLogits(net.extract(arch), 2));
                assertTrue(d <= 1e-5, space.name() + " preset differs by " + d + " at " + arch.key());
            }
            assertTrue(net.describe().contains(firstStage), net.describe());
        }
    }
}
