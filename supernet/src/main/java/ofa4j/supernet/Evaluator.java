package ofa4j.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import ofa4j.models.Subnet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;

/** Measures the accuracy of extracted subnets. */
public final class Evaluator {

    private Evaluator() {}

    /**
     * Top-1 accuracy of {@code subnet} on {@code set}: images resized to the subnet's resolution and
     * normalised with {@code mean}/{@code std}, run through a {@link FixedNetwork} in evaluation
     * mode in batches of {@code batchSize}; every batch's arrays are closed before the next.
     *
     * @param subnet the subnet
     * @param set the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images per forward (e.g. 500)
     * @return the fraction of images whose highest logit is the label, in [0, 1]
     * @throws IllegalArgumentException on channel/class mismatch, an empty set or batchSize < 1
     */
    public static double top1(Subnet subnet, ImageSet set, float[] mean, float[] std, int batchSize) {
        checkTop1(subnet, set, mean, std, batchSize);
        long correct = 0;
        try (FixedNetwork net = new FixedNetwork(subnet)) {
            for (int start = 0; start < set.size(); start += batchSize) {
                int end = Math.min(set.size(), start + batchSize);
                int[] idx = new int[end - start];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = start + i;
                }
                try (NDManager scope = NDManager.newBaseManager()) {
                    NDArray x = Batches.images(scope, set, idx, subnet.arch().resolution(), mean, std);
                    correct += countCorrect(net.forward(scope, x), Arrays.copyOfRange(set.labels(), start, end));
                }
            }
        }
        return (double) correct / set.size();
    }

    /**
     * Checks the arguments of a top-1 measurement (here or in another runtime): images that fit the
     * subnet's space, a non-empty set, a positive batch, no more classes than the subnet predicts.
     *
     * @param subnet the subnet
     * @param set the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images per forward
     * @throws IllegalArgumentException naming what does not fit
     */
    public static void checkTop1(Subnet subnet, ImageSet set, float[] mean, float[] std, int batchSize) {
        Supernet.checkImages(subnet.space(), set, mean, std);
        if (set.size() == 0) {
            throw new IllegalArgumentException("image set " + set.name() + " is empty");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, found " + batchSize);
        }
        if (set.numClasses() > subnet.space().numClasses()) {
            throw new IllegalArgumentException(
                    "image set " + set.name() + " has " + set.numClasses() + " classes, the subnet predicts "
                            + subnet.space().numClasses());
        }
    }

    /**
     * Counts rows whose arg-max equals the label (ties go to the lowest index, as PyTorch's argmax).
     *
     * @param logits [N, classes]
     * @param labels N labels
     * @return number correct
     */
    public static long countCorrect(NDArray logits, int[] labels) {
        if (logits.getShape().get(0) != labels.length) {
            throw new IllegalArgumentException(
                    "logits have " + logits.getShape().get(0) + " rows for " + labels.length + " labels");
        }
        return countCorrect(logits.toFloatArray(), (int) logits.getShape().get(1), labels);
    }

    /**
     * Counts rows whose arg-max equals the label (ties go to the lowest index, as PyTorch's argmax).
     *
     * @param v logits, row-major [labels.length, classes]
     * @param classes values per row
     * @param labels the labels
     * @return number correct
     * @throws IllegalArgumentException if the sizes do not agree
     */
    public static long countCorrect(float[] v, int classes, int[] labels) {
        if (classes < 1 || v.length != (long) classes * labels.length) {
            throw new IllegalArgumentException("logits have " + v.length + " values for " + labels.length
                    + " labels of " + classes + " classes");
        }
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (v[i * classes + k] > v[i * classes + best]) {
                    best = k;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        return correct;
    }
}
