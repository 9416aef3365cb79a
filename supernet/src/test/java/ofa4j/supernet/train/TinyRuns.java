package ofa4j.supernet.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.Activation;
import ofa4j.models.SearchSpace;
import ofa4j.models.StageSpec;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import ofa4j.supernet.data.ImageSet;

/** Tiny spaces, data and schedules that keep trainer tests fast. */
final class TinyRuns {

    private TinyRuns() {}

    /**
     * Two stages (24/40 x 0.25 -> 8/16 channels after rounding), strides 2, 2, SE on the second,
     * all elastic choices of the fmnist space.
     */
    static SearchSpace tinySpace(List<Integer> resolutions) {
        return new SearchSpace(
                "tiny", 1, 10, 16, 2, Activation.HSWISH, 16, Activation.RELU,
                List.of(new StageSpec(24, 2, Activation.RELU, false), new StageSpec(40, 2, Activation.HSWISH, true)),
                96, 128, List.of(3, 5, 7), List.of(3, 4, 6), List.of(2, 3, 4), resolutions, 0.25);
    }

    /** Random 28x28 grey images with random labels (for mechanics, not learning). */
    static ImageSet noise(String name, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[n * 784];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextDouble();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(10);
        }
        return new ImageSet(name, 1, 28, 28, px, y, 10);
    }

    static DataSplits noiseSplits(int train, long seed) {
        ImageSet all = noise("noise/train", train + 32, seed);
        return DataSplits.carve(all, noise("noise/test", 16, seed + 1), 32, 1, 0, 0, 0);
    }

    /** Fashion-MNIST from the system copy: the first {@code train} train-split images. */
    static DataSplits fashion(int train, int val) throws IOException {
        FashionMnist.Sets sets = FashionMnist.read(FashionMnist.SYSTEM_DIR);
        return DataSplits.fashionMnist(sets, train, val);
    }

    static boolean haveFashion() {
        return Files.isDirectory(FashionMnist.SYSTEM_DIR);
    }

    /** A preset without per-epoch evaluation. */
    static TrainingPreset noEval(int batch) {
        return new TrainingPreset("test", 0, 0, batch, List.of(1, 1, 1, 1, 1, 1), Phase.OFA_SUBNETS_PER_STEP, 0.05, 0, 0, 0);
    }

    /** Copies of all trainable parameter values of the latest checkpoint of {@code runDir}. */
    static Map<String, float[]> params(Path runDir) throws IOException {
        try (ofa4j.supernet.Supernet net = Checkpoint.loadSupernet(runDir)) {
            Map<String, float[]> out = new java.util.TreeMap<>();
            net.trainableParameters().forEach((k, v) -> out.put(k, v.getArray().toFloatArray()));
            return out;
        }
    }
}
