package ofa4j.predictor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;

/**
 * Builds an accuracy dataset: samples {@code samples} distinct subnets uniformly from the space
 * (kernels, expand ratios, depths and resolutions; seeded, so the same seed gives the same list),
 * scores each with a {@link SubnetScorer} and appends one row per subnet to a JSONL file
 * ({@link AccuracyDataset}). Resumable: subnets whose key is already in the file are skipped, so a
 * killed build continues where it stopped and a larger {@code samples} extends the same list.
 */
public final class AccuracyDatasetBuilder {

    /** Default number of subnets for the {@code quick} preset. */
    public static final int QUICK_SAMPLES = 300;

    /** Default number of subnets for the {@code full} preset. */
    public static final int FULL_SAMPLES = 3000;

    /** Cap on sampling attempts per wanted subnet (duplicate keys are re-drawn). */
    private static final int ATTEMPTS_PER_SAMPLE = 100;

    private final SearchSpace space;
    private final SubnetScorer scorer;
    private final Path file;
    private final int samples;
    private final long seed;
    private final boolean quiet;
    private final PrintStream progressOut;

    private AccuracyDatasetBuilder(Builder b) {
        this.space = b.space;
        this.scorer = b.scorer;
        this.file = b.file;
        this.samples = b.samples;
        this.seed = b.seed;
        this.quiet = b.quiet;
        this.progressOut = b.progressOut;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Outcome of a build.
     *
     * @param file the dataset file
     * @param totalRows rows in the file after the build
     * @param newRows rows measured in this call
     * @param skipped sampled subnets already in the file (not re-measured)
     * @param seconds wall time of this call
     */
    public record Result(Path file, int totalRows, int newRows, int skipped, double seconds) {}

    /**
     * Returns the deterministic list of distinct subnets the build measures.
     *
     * @param space the space
     * @param samples how many
     * @param seed the seed
     * @return {@code samples} subnets with distinct keys
     * @throws IllegalArgumentException if the space has too few distinct subnets to draw them
     */
    public static List<ArchConfig> sampleDistinct(SearchSpace space, int samples, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Set<String> seen = new HashSet<>();
        List<ArchConfig> out = new ArrayList<>(samples);
        long attempts = 0;
        long cap = (long) ATTEMPTS_PER_SAMPLE * samples;
        while (out.size() < samples) {
            if (attempts++ >= cap) {
                throw new IllegalArgumentException(
                        "could draw only " + out.size() + " distinct subnets of space " + space.name() + " in "
                                + cap + " attempts, " + samples + " requested");
            }
            ArchConfig a = space.sample(rng).canonical();
            if (seen.add(a.key())) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The subnets an accuracy table measures: the space's largest and smallest subnet, then
     * distinct random ones. With the extremes in the table every subnet of the space lies between
     * measured accuracies, so a prediction is an interpolation rather than a guess beyond the
     * table.
     *
     * @param space the space
     * @param samples how many in all (the extremes count; below 2 only random subnets are drawn)
     * @param seed the seed
     * @return {@code samples} subnets with distinct keys
     */
    public static List<ArchConfig> tableSubnets(SearchSpace space, int samples, long seed) {
        if (samples < 2) {
            return sampleDistinct(space, samples, seed);
        }
        List<ArchConfig> out = new ArrayList<>();
        out.add(space.max().canonical());
        out.add(space.min().canonical());
        Set<String> seen = new HashSet<>();
        out.forEach(a -> seen.add(a.key()));
        for (ArchConfig a : sampleDistinct(space, samples, seed)) {
            if (out.size() < samples && seen.add(a.key())) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The seed of the BN calibration images shared by every row of a table built with {@code seed};
     * a closed loop that measures candidates as rows of the same table uses it too.
     *
     * @param seed the table's seed
     * @return the calibration seed
     */
    public static long calibrationSeed(long seed) {
        return new SplittableRandom(seed ^ 0x5DEECE66DL).nextLong();
    }

    /**
     * Runs the build: scores every sampled subnet whose key is not yet in the file.
     *
     * @return counts and time
     * @throws IOException if the existing file is corrupt or writing fails
     */
    public Result build() throws IOException {
        long t0 = System.nanoTime();
        List<ArchConfig> archs = tableSubnets(space, samples, seed);
        CostModel cost = new CostModel(space);
        int skipped = 0;
        int fresh = 0;
        try (AccuracyDataset ds = AccuracyDataset.openForAppend(file)) {
            List<Integer> todo = new ArrayList<>();
            for (int i = 0; i < archs.size(); i++) {
                if (ds.contains(archs.get(i).key())) {
                    skipped++;
                } else {
                    todo.add(i);
                }
            }
            ProgressBar bar = quiet || todo.isEmpty() ? null : progressBar(todo.size());
            try {
                // One calibration seed for the whole table, as OFA recalibrates every subnet on the
                // same cached subset of training images: the rows then differ by architecture only,
                // not by which images happened to set their batch-norm statistics.
                long calibrationSeed = calibrationSeed(seed);
                for (int i : todo) {
                    ArchConfig a = archs.get(i);
                    double acc = scorer.accuracy(a, calibrationSeed);
                    ds.append(AccuracySample.of(a, acc, cost.macs(a)));
                    fresh++;
                    if (bar != null) {
                        bar.step();
                        bar.setExtraMessage(String.format(java.util.Locale.ROOT, " last %.1f%%", 100 * acc));
                    }
                }
            } finally {
                if (bar != null) {
                    bar.close();
                }
            }
            return new Result(ds.file(), ds.rows().size(), fresh, skipped, (System.nanoTime() - t0) / 1e9);
        }
    }

    private ProgressBar progressBar(int max) {
        return ofa4j.supernet.Progress.bar("accuracy table", max, "", 1, true, progressOut);
    }

    /** Builder of {@link AccuracyDatasetBuilder}. */
    public static final class Builder {
        private SearchSpace space;
        private SubnetScorer scorer;
        private Path file;
        private int samples = QUICK_SAMPLES;
        private long seed = 1;
        private boolean quiet;
        private PrintStream progressOut;

        private Builder() {}

        /**
         * @param s the search space (required)
         * @return this
         */
        public Builder setSpace(SearchSpace s) {
            this.space = s;
            return this;
        }

        /**
         * @param s measures one subnet (required)
         * @return this
         */
        public Builder setScorer(SubnetScorer s) {
            this.scorer = s;
            return this;
        }

        /**
         * @param f the JSONL dataset file (required; created or resumed)
         * @return this
         */
        public Builder setFile(Path f) {
            this.file = f;
            return this;
        }

        /**
         * @param n number of distinct subnets, default {@link #QUICK_SAMPLES}
         * @return this
         */
        public Builder optSamples(int n) {
            this.samples = n;
            return this;
        }

        /**
         * @param s sampling seed, default 1
         * @return this
         */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * @param q no progress bar when true, default false
         * @return this
         */
        public Builder optQuiet(boolean q) {
            this.quiet = q;
            return this;
        }

        /**
         * @param out where the progress bar is drawn, default the console (stderr)
         * @return this
         */
        public Builder optProgressOut(PrintStream out) {
            this.progressOut = out;
            return this;
        }

        /**
         * Checks the settings and builds.
         *
         * @return the builder of the dataset
         * @throws IllegalArgumentException naming a missing or bad setting
         */
        public AccuracyDatasetBuilder build() {
            if (space == null || scorer == null || file == null) {
                throw new IllegalArgumentException(
                        "accuracy dataset builder needs space, scorer and file; missing "
                                + (space == null ? "space" : scorer == null ? "scorer" : "file"));
            }
            if (samples < 1) {
                throw new IllegalArgumentException("samples must be >= 1, found " + samples);
            }
            return new AccuracyDatasetBuilder(this);
        }
    }
}
