package ofa4j.supernet.ops;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates per-channel batch statistics of every batch-norm layer over several forwards, as
 * OFA's {@code set_running_statistics} does: each batch contributes its mean and its biased
 * variance, weighted by its number of images; the result is the exact weighted average.
 */
public final class BnStatistics {

    private final Map<String, double[][]> sums = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();

    /** Creates an empty accumulator. */
    public BnStatistics() {}

    /**
     * Adds one batch of one layer.
     *
     * @param name batch-norm prefix, e.g. {@code blocks.3.dw.bn}
     * @param mean per-channel batch mean
     * @param var per-channel biased batch variance
     * @param batch number of images in the batch (the weight)
     */
    public void add(String name, float[] mean, float[] var, int batch) {
        double[][] s = sums.computeIfAbsent(name, k -> new double[2][mean.length]);
        if (s[0].length != mean.length) {
            throw new IllegalStateException(
                    "batch norm " + name + " saw " + s[0].length + " channels, now " + mean.length);
        }
        for (int c = 0; c < mean.length; c++) {
            s[0][c] += (double) mean[c] * batch;
            s[1][c] += (double) var[c] * batch;
        }
        counts.merge(name, (long) batch, Long::sum);
    }

    /**
     * @param name batch-norm prefix
     * @return the averaged mean
     * @throws IllegalArgumentException if the layer was never seen
     */
    public float[] mean(String name) {
        return average(name, 0);
    }

    /**
     * @param name batch-norm prefix
     * @return the averaged (biased, per batch) variance
     * @throws IllegalArgumentException if the layer was never seen
     */
    public float[] var(String name) {
        return average(name, 1);
    }

    /** @return whether any batch of layer {@code name} was recorded */
    public boolean has(String name) {
        return sums.containsKey(name);
    }

    private float[] average(String name, int which) {
        double[][] s = sums.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no statistics were recorded for batch norm '" + name + "'");
        }
        long n = counts.get(name);
        float[] out = new float[s[which].length];
        for (int c = 0; c < out.length; c++) {
            out[c] = (float) (s[which][c] / n);
        }
        return out;
    }
}
