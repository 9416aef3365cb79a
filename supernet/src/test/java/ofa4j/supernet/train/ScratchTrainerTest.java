package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.Subnet;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ScratchTrainer}: a tiny subnet learns an easy task from scratch with the supernet's recipe,
 * and an interrupted training resumed ends exactly where an uninterrupted one does.
 */
class ScratchTrainerTest {

    /** Three classes told apart by brightness: class c is about c / 2 everywhere, plus noise. */
    private static ImageSet brightness(int n, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[n * size * size];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int p = 0; p < size * size; p++) {
                px[i * size * size + p] = (float) Math.min(1, Math.max(0, y[i] / 2.0 + 0.15 * r.nextGaussian()));
            }
        }
        return new ImageSet("brightness", 1, size, size, px, y, 3);
    }

    @Test
    void aTinySubnetLearnsFromScratch() {
        SearchSpace space = TestSpaces.micro();
        ImageSet train = brightness(192, 8, 1);
        // 12 epochs of 12 steps: enough for an easy task, seconds on a CPU
        Phase phase = new Phase("full", 12, 0.1, 1, space.kernels(), space.expandRatios(), space.depths(), false, 0, 0);
        ScratchTrainer.Result r = ScratchTrainer.train(space, space.max(), train, new float[] {0.5f},
                new float[] {0.4f}, phase, 16, 3e-5, 12, 7, null);
        assertEquals(12, r.epochs());
        assertEquals(12 * (192 / 16), r.steps());
        assertEquals(12, r.epochLoss().size());
        assertTrue(r.epochLoss().get(11) < r.epochLoss().get(0), r.epochLoss().toString());
        assertEquals(space.max(), r.subnet().arch());
        int[] idx = new int[192];
        java.util.Arrays.setAll(idx, i -> i);
        int correct = 0;
        try (NDManager m = NDManager.newBaseManager(); FixedNetwork net = new FixedNetwork(r.subnet())) {
            NDArray x = Batches.images(m, train, idx, 8, new float[] {0.5f}, new float[] {0.4f});
            int[] pred = net.forward(m, x).argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
            for (int i = 0; i < pred.length; i++) {
                correct += pred[i] == train.labels()[i] ? 1 : 0;
            }
        }
        assertTrue(correct > 0.6 * 192, correct + " of 192 (chance 64)");
        assertThrows(IllegalArgumentException.class, () -> ScratchTrainer.train(space, space.max(), train,
                new float[] {0.5f}, new float[] {0.4f}, phase, 500, 0, 1, 7, null));
    }

    @Test
    void anInterruptedTrainingResumedEndsWithTheSameWeights(@TempDir Path dir) throws Exception {
        SearchSpace space = TestSpaces.micro();
        ImageSet train = brightness(64, 8, 2);
        float[] mean = {0.5f};
        float[] std = {0.4f};
        Phase phase = new Phase("full", 3, 0.1, 1, space.kernels(), space.expandRatios(), space.depths(), false, 1, 0);
        ScratchTrainer.Result whole = ScratchTrainer.train(space, space.max(), train, mean, std, phase, 16, 3e-5, 3, 5,
                dir.resolve("whole"), false, null);
        assertEquals(3, whole.epochs());
        assertEquals(3 * 4, whole.steps());
        assertEquals(0, whole.resumedFrom());
        // only the last epoch's files stay
        assertEquals(List.of("optimizer-e3.bin", "scratch-state.json", "subnet-e3.bin"),
                Files.list(dir.resolve("whole")).map(p -> p.getFileName().toString()).sorted().toList());

        ScratchTrainer.Result cut = ScratchTrainer.train(space, space.max(), train, mean, std, phase, 16, 3e-5, 3, 5,
                dir.resolve("cut"), false, null, 2);
        assertEquals(2, cut.epochs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScratchTrainer.train(space,
                space.max(), train, mean, std, phase, 16, 3e-5, 3, 5, dir.resolve("cut"), false, null));
        assertTrue(e.getMessage().contains("already holds a from-scratch training; use --resume"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScratchTrainer.train(space, space.min(), train, mean,
                std, phase, 16, 3e-5, 3, 5, dir.resolve("cut"), true, null));
        assertTrue(e.getMessage().contains("archKey=" + space.max().key()), e.getMessage());
        ScratchTrainer.Result resumed = ScratchTrainer.train(space, space.max(), train, mean, std, phase, 16, 3e-5, 3,
                5, dir.resolve("cut"), true, null);
        assertEquals(2, resumed.resumedFrom());
        assertEquals(3, resumed.epochs());
        assertEquals(whole.steps(), resumed.steps());
        assertEquals(whole.epochLoss(), resumed.epochLoss());
        Subnet a = whole.subnet();
        Subnet b = resumed.subnet();
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        for (String name : a.tensors().keySet()) {
            assertArrayEquals(a.tensors().get(name).data(), b.tensors().get(name).data(), name);
        }
        // a finished training resumed again trains nothing and returns the same weights
        ScratchTrainer.Result again = ScratchTrainer.train(space, space.max(), train, mean, std, phase, 16, 3e-5, 3,
                5, dir.resolve("cut"), true, null);
        assertEquals(3, again.resumedFrom());
        assertArrayEquals(b.tensors().get("classifier.weight").data(), again.subnet().tensors().get("classifier.weight").data());
    }
}
