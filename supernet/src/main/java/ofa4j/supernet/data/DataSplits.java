package ofa4j.supernet.data;

import java.util.Arrays;
import java.util.SplittableRandom;
import ofa4j.models.Shuffle;

/**
 * The three data splits of a run: {@code train} for weight updates, {@code val} (carved from the
 * original training set with a fixed seed) for BN recalibration checks, subnet scoring and
 * predictor fitting, and {@code test} for final reporting only. {@code mean} and {@code std} are
 * per-channel statistics of the train split, used to normalise every split.
 *
 * @param train training split
 * @param val validation split (disjoint from train)
 * @param test test split (never used for search or fitting)
 * @param mean per-channel mean of the train split (pixels in [0, 1])
 * @param std per-channel standard deviation of the train split
 */
public record DataSplits(ImageSet train, ImageSet val, ImageSet test, float[] mean, float[] std) {

    /** Default validation size carved from Fashion-MNIST's 60,000 training images. */
    public static final int DEFAULT_VAL_SIZE = 5000;

    /** Default seed of the validation carve-out (fixed so that every run sees the same split). */
    public static final long DEFAULT_SPLIT_SEED = 20200426L;

    /** Checks that the splits agree on image shape and classes. */
    public DataSplits {
        for (ImageSet s : new ImageSet[] {val, test}) {
            if (s.channels() != train.channels() || s.height() != train.height() || s.width() != train.width()
                    || s.numClasses() != train.numClasses()) {
                throw new IllegalArgumentException(
                        "split " + s.name() + " has shape " + s.channels() + "x" + s.height() + "x" + s.width()
                                + "/" + s.numClasses() + " classes, train has " + train.channels() + "x"
                                + train.height() + "x" + train.width() + "/" + train.numClasses());
            }
        }
        if (mean.length != train.channels() || std.length != train.channels()) {
            throw new IllegalArgumentException(
                    "mean/std need " + train.channels() + " channels, found " + mean.length + "/" + std.length);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Splits a full training set into train and validation (a seeded permutation: the first
     * {@code valSize} shuffled images form the validation split), then optionally keeps only the
     * first {@code trainSubset} / {@code valSubset} / {@code testSubset} images of each split (for
     * quick presets and tests; 0 = all). Mean and std are computed on the final train split.
     *
     * @param fullTrain the original training set
     * @param test the test set
     * @param valSize images carved out for validation (Fashion-MNIST default 5000)
     * @param seed seed of the carve-out permutation
     * @param trainSubset keep this many train images, 0 = all
     * @param valSubset keep this many validation images, 0 = all
     * @param testSubset keep this many test images, 0 = all
     * @return the splits
     * @throws IllegalArgumentException if {@code valSize} is not in [1, size - 1] or a subset size is
     *     negative
     */
    public static DataSplits carve(
            ImageSource fullTrain, ImageSource test, int valSize, long seed, int trainSubset, int valSubset, int testSubset) {
        int n = fullTrain.size();
        if (valSize < 1 || valSize >= n) {
            throw new IllegalArgumentException(
                    "validation size must be in [1, " + (n - 1) + "] for " + fullTrain.name() + ", found " + valSize);
        }
        if (trainSubset < 0 || valSubset < 0 || testSubset < 0) {
            throw new IllegalArgumentException(
                    "subset sizes must be >= 0 (0 = all), found train " + trainSubset + ", val " + valSubset
                            + ", test " + testSubset);
        }
        int[] perm = permutation(n, new SplittableRandom(seed));
        int[] valIdx = Arrays.copyOfRange(perm, 0, valSize);
        int[] trainIdx = Arrays.copyOfRange(perm, valSize, n);
        // Keep the original order inside each split: reading is sequential and subsets stay
        // comparable between runs with different subset sizes.
        Arrays.sort(valIdx);
        Arrays.sort(trainIdx);
        if (trainSubset > 0 && trainSubset < trainIdx.length) {
            trainIdx = Arrays.copyOf(trainIdx, trainSubset);
        }
        if (valSubset > 0 && valSubset < valIdx.length) {
            valIdx = Arrays.copyOf(valIdx, valSubset);
        }
        String base = fullTrain.name().replaceAll("/train$", "");
        ImageSet train = fullTrain.subset(base + "/train-split", trainIdx);
        ImageSet val = fullTrain.subset(base + "/val-split", valIdx);
        ImageSet t = testSubset > 0 && testSubset < test.size() ? test.head(testSubset) : test.all();
        float[] mean = train.channelMean();
        float[] std = train.channelStd(mean);
        return new DataSplits(train, val, t, mean, std);
    }

    /**
     * Splits one labelled set (e.g. a user's {@link ImageFolder}, which has no separate test set)
     * into train, validation and test with a seeded permutation: the first {@code testSize}
     * shuffled images are the test split, the next {@code valSize} the validation split, the rest
     * train. Mean and std are computed on the train split.
     *
     * @param all the images
     * @param valSize validation images (>= 1)
     * @param testSize test images (>= 1)
     * @param seed seed of the permutation
     * @return the splits
     * @throws IllegalArgumentException if the sizes leave fewer than one train image
     */
    public static DataSplits carveAll(ImageSet all, int valSize, int testSize, long seed) {
        int n = all.size();
        if (valSize < 1 || testSize < 1 || valSize + testSize >= n) {
            throw new IllegalArgumentException(
                    "validation (" + valSize + ") and test (" + testSize + ") sizes must be >= 1 and leave train images"
                            + " in " + all.name() + " of " + n + " images");
        }
        int[] perm = permutation(n, new SplittableRandom(seed));
        int[] testIdx = Arrays.copyOfRange(perm, 0, testSize);
        int[] valIdx = Arrays.copyOfRange(perm, testSize, testSize + valSize);
        int[] trainIdx = Arrays.copyOfRange(perm, testSize + valSize, n);
        Arrays.sort(testIdx);
        Arrays.sort(valIdx);
        Arrays.sort(trainIdx);
        ImageSet train = all.subset(all.name() + "/train-split", trainIdx);
        float[] mean = train.channelMean();
        return new DataSplits(
                train, all.subset(all.name() + "/val-split", valIdx), all.subset(all.name() + "/test-split", testIdx),
                mean, train.channelStd(mean));
    }

    /**
     * Fashion-MNIST with the default validation size and seed.
     *
     * @param sets the loaded data
     * @param trainSubset keep this many train images, 0 = all 55,000
     * @param valSubset keep this many validation images, 0 = all 5,000
     * @return the splits
     */
    public static DataSplits fashionMnist(FashionMnist.Sets sets, int trainSubset, int valSubset) {
        return carve(sets.train(), sets.test(), DEFAULT_VAL_SIZE, DEFAULT_SPLIT_SEED, trainSubset, valSubset, 0);
    }

    /**
     * A seeded Fisher-Yates permutation of {@code 0..n-1} ({@link Shuffle#permutation}): the
     * validation carve-out and every epoch's image order, so its draws are part of every run's
     * identity.
     *
     * @param n size
     * @param rng random source
     * @return the permutation
     */
    public static int[] permutation(int n, SplittableRandom rng) {
        return Shuffle.permutation(n, rng);
    }

    /**
     * Identifies the data of a run: train and validation fingerprints and the normalisation
     * (checkpoints refuse to resume on other data).
     *
     * @return SHA-256 based fingerprint string
     */
    public String fingerprint() {
        return train.fingerprint().substring(0, 32) + "-" + val.fingerprint().substring(0, 32);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataSplits d && d.train == train && d.val == val && d.test == test
                && Arrays.equals(d.mean, mean) && Arrays.equals(d.std, std);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(train) * 31 + Arrays.hashCode(mean);
    }

    @Override
    public String toString() {
        return "DataSplits[train=" + train.size() + ", val=" + val.size() + ", test=" + test.size() + ", mean="
                + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
