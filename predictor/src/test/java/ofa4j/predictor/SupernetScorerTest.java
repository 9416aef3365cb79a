package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import ofa4j.models.Activation;
import ofa4j.models.SearchSpace;
import ofa4j.models.StageSpec;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset builder end to end on an untrained tiny supernet and 200 synthetic images. */
class SupernetScorerTest {

    @TempDir Path dir;

    static SearchSpace tiny() {
        return new SearchSpace(
                "tiny", 1, 10, 16, 2, Activation.HSWISH, 16, Activation.RELU,
                List.of(new StageSpec(24, 2, Activation.RELU, false), new StageSpec(40, 2, Activation.HSWISH, true)),
                64, 96, List.of(3, 5, 7), List.of(3, 4, 6), List.of(2, 3, 4), List.of(12, 16), 0.5);
    }

    static ImageSet images(String name, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] px = new float[n * 16 * 16];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10);
            for (int p = 0; p < 256; p++) {
                // a class-dependent brightness so that images differ by label
                px[i * 256 + p] = (float) Math.min(1, rng.nextDouble() * 0.5 + labels[i] * 0.05);
            }
        }
        return new ImageSet(name, 1, 16, 16, px, labels, 10);
    }

    @Test
    void builderOnAnUntrainedSupernetWritesValidRowsAndResumes() throws IOException {
        SearchSpace space = tiny();
        ImageSet train = images("train", 200, 1);
        ImageSet val = images("val", 100, 2);
        float[] mean = train.channelMean();
        float[] std = train.channelStd(mean);
        Path f = dir.resolve("acc.jsonl");
        try (Supernet net = Supernet.create(space, 3)) {
            SupernetScorer real = new SupernetScorer(net, train, val, mean, std, 200, 100);
            AtomicInteger calls = new AtomicInteger();
            SubnetScorer counting = (a, seed) -> {
                calls.incrementAndGet();
                return real.accuracy(a, seed);
            };
            AccuracyDatasetBuilder.Result r = AccuracyDatasetBuilder.builder().setSpace(space).setScorer(counting)
                    .setFile(f).optSamples(4).optSeed(1).optQuiet(true).build().build();
            assertEquals(4, r.newRows());
            List<AccuracySample> rows = AccuracyDataset.load(f, space, 4);
            for (AccuracySample s : rows) {
                assertTrue(s.accuracy() >= 0 && s.accuracy() <= 1, "" + s.accuracy());
                // an accuracy on 100 images is a multiple of 1/100
                assertEquals(0, Math.abs(s.accuracy() * 100 - Math.rint(s.accuracy() * 100)), 1e-9);
            }
            // deterministic: the same arch and seed score the same
            AccuracySample first = rows.get(0);
            assertEquals(first.accuracy(), real.accuracy(first.arch(), rowSeed(0)), 1e-12);
            AccuracyDatasetBuilder.Result again = AccuracyDatasetBuilder.builder().setSpace(space).setScorer(counting)
                    .setFile(f).optSamples(5).optSeed(1).optQuiet(true).build().build();
            assertEquals(1, again.newRows());
            assertEquals(4, again.skipped());
            assertEquals(5, calls.get());
        }
    }

    /** The seed the builder gives row {@code i} (same derivation as the builder). */
    private static long rowSeed(int i) {
        SplittableRandom seeds = new SplittableRandom(1 ^ 0x5DEECE66DL);
        long s = 0;
        for (int k = 0; k <= i; k++) {
            s = seeds.nextLong();
        }
        return s;
    }
}
