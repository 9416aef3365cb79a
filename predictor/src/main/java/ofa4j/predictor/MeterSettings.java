package ofa4j.predictor;

import java.util.Arrays;
import java.util.SplittableRandom;
import ofa4j.models.SearchSpace;

/**
 * What the engine meters ({@link OrtLatencyMeter}, {@link DjlLatencyMeter}) share: the space, the
 * timing settings with their checks and accessors, the random inputs and the median.
 */
abstract class MeterSettings implements LatencyMeter {

    /** The space of the subnets timed. */
    protected final SearchSpace space;

    /** Seed of random weights and inputs. */
    protected final long seed;

    private final int threads;
    private final int batch;
    private final int warmup;
    private final int repeats;

    /**
     * @param engineLabel engine named in errors, e.g. {@code ONNX Runtime}
     * @param space the space
     * @param threads intra-op threads
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @param seed seed of random weights and inputs
     * @throws IllegalArgumentException naming a count out of range
     */
    MeterSettings(String engineLabel, SearchSpace space, int threads, int batch, int warmup, int repeats, long seed) {
        if (threads < 1 || batch < 1 || warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException(
                    engineLabel + " meter needs threads >= 1, batch >= 1, warmup >= 0, repeats >= 1, found " + threads
                            + ", " + batch + ", " + warmup + ", " + repeats);
        }
        this.space = space;
        this.threads = threads;
        this.batch = batch;
        this.warmup = warmup;
        this.repeats = repeats;
        this.seed = seed;
    }

    /** {@inheritDoc} */
    @Override
    public int threads() {
        return threads;
    }

    /** {@inheritDoc} */
    @Override
    public int batchSize() {
        return batch;
    }

    /** {@inheritDoc} */
    @Override
    public int warmup() {
        return warmup;
    }

    /** {@inheritDoc} */
    @Override
    public int repeats() {
        return repeats;
    }

    /**
     * Uniform random values in [-1, 1) for a model input.
     *
     * @param n how many
     * @param seed the seed
     * @return the values
     */
    static float[] randomInput(int n, long seed) {
        float[] v = new float[n];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    /**
     * The median of the first {@code n} timings (sorted in place).
     *
     * @param nanos timings, ns
     * @param n how many are filled (>= 1)
     * @return the median, ms
     */
    static double medianMs(long[] nanos, int n) {
        Arrays.sort(nanos, 0, n);
        double med = n % 2 == 1 ? nanos[n / 2] : (nanos[n / 2 - 1] + nanos[n / 2]) / 2.0;
        return med / 1e6;
    }
}
