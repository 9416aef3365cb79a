package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.fixed.FixedNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupernetInputTest {

    @TempDir Path tmp;

    @Test
    void archOutsideTheSpaceIsRejectedNamingTheValue() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 1);
                NDManager scope = net.manager().newSubManager()) {
            NDArray x = TestSpaces.images(scope, 2, 1, 16, 1);
            List<BlockChoice> b = new ArrayList<>(space.max().blocks());
            b.set(2, new BlockChoice(9, 6));
            ArchConfig badKernel = new ArchConfig(b, space.max().depths(), 16);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> net.forward(scope, x, badKernel, false));
            assertTrue(e.getMessage().contains("found 9"), e.getMessage());
            ArchConfig badRes = new ArchConfig(space.max().blocks(), space.max().depths(), 20);
            e = assertThrows(IllegalArgumentException.class, () -> net.forward(scope, x, badRes, false));
            assertTrue(e.getMessage().contains("found 20"), e.getMessage());
            ArchConfig badDepth = new ArchConfig(space.max().blocks(), List.of(4, 5), 16);
            e = assertThrows(IllegalArgumentException.class, () -> net.usedParameters(badDepth));
            assertTrue(e.getMessage().contains("found 5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.extract(badDepth));
            assertThrows(IllegalArgumentException.class, () -> net.isNoDecay("nope.weight"));
        }
    }

    @Test
    void wrongInputResolutionIsRejectedNamingTheShape() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 1);
                NDManager scope = net.manager().newSubManager()) {
            NDArray x = TestSpaces.images(scope, 2, 1, 16, 1);
            ArchConfig at12 = space.uniform(3, 3, 2, 12);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> net.forward(scope, x, at12, true));
            assertTrue(e.getMessage().contains("(2, 1, 16, 16)") && e.getMessage().contains("12"), e.getMessage());
            NDArray rgb = TestSpaces.images(scope, 2, 3, 12, 1);
            assertThrows(IllegalArgumentException.class, () -> net.forward(scope, rgb, at12, true));
            try (FixedNetwork f = new FixedNetwork(net.extract(at12))) {
                e = assertThrows(IllegalArgumentException.class, () -> f.forward(scope, x));
                assertTrue(e.getMessage().contains("12"), e.getMessage());
            }
        }
    }

    @Test
    void noDecayCoversBatchNormAndBiasesOnly() {
        try (Supernet net = Supernet.create(TestSpaces.tinyFmnist(), 1)) {
            assertTrue(net.isNoDecay("blocks.1.dw.bn.gamma"));
            assertTrue(net.isNoDecay("stem.bn.beta"));
            assertTrue(net.isNoDecay("classifier.bias"));
            assertTrue(net.isNoDecay("blocks.5.se.reduce.bias"));
            assertTrue(!net.isNoDecay("blocks.1.dw.weight"));
            assertTrue(!net.isNoDecay("blocks.1.dw.ktrans.7to5"));
            assertTrue(!net.isNoDecay("feature_mix.weight"));
            for (String n : net.trainableParameters().keySet()) {
                assertTrue(!n.endsWith(".mean") && !n.endsWith(".var"), "running stat " + n + " listed as trainable");
            }
        }
    }

    @Test
    void corruptOrMismatchingParameterFilesAreRejected() throws IOException {
        Path file = tmp.resolve("p.bin");
        try (Supernet net = Supernet.create(TestSpaces.tinyFmnist(), 1)) {
            net.saveParameters(file);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 1;
            Path bad = tmp.resolve("bad.bin");
            Files.write(bad, bytes);
            IOException e = assertThrows(IOException.class, () -> net.loadParameters(bad));
            assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
            Path cut = tmp.resolve("cut.bin");
            Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(file), 100));
            assertThrows(IOException.class, () -> net.loadParameters(cut));
            Path junk = tmp.resolve("junk.bin");
            Files.writeString(junk, "hello");
            e = assertThrows(IOException.class, () -> net.loadParameters(junk));
            assertTrue(e.getMessage().contains("OFA4JNET"), e.getMessage());
        }
        try (Supernet other = Supernet.create(TestSpaces.smallOfa(), 1)) {
            IOException e = assertThrows(IOException.class, () -> other.loadParameters(file));
            assertTrue(e.getMessage().contains("stem.conv.weight") || e.getMessage().contains("does not have"),
                    e.getMessage());
        }
    }

    @Test
    void copiedParametersGiveTheSameOutputs() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet a = Supernet.create(space, 1);
                Supernet b = Supernet.create(space, 2)) {
            TestSpaces.randomize(a, 3);
            ArchConfig arch = space.uniform(5, 4, 3, 16);
            float[] la = SupernetExtractionTest.supernetLogits(a, arch, 4);
            b.copyParametersFrom(a);
            float[] lb = SupernetExtractionTest.supernetLogits(b, arch, 4);
            assertTrue(TestSpaces.maxAbsDiff(la, lb) == 0.0);
            try (Supernet c = Supernet.create(TestSpaces.smallOfa(), 1)) {
                assertThrows(IllegalArgumentException.class, () -> c.copyParametersFrom(a));
            }
        }
    }
}
