package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyPredictor;

/**
 * Wraps an accuracy predictor with a cache keyed by {@link ArchConfig#key()} (equal keys are equal
 * networks), so searches for several devices share predictions. Misses of one call go to the
 * wrapped predictor in a single batch. The cache is bounded ({@link LruCache}: least recently used
 * predictions go first), so a long-lived service keeps a bounded heap. Thread-safe: calls to the
 * wrapped predictor are serialised (a DJL model need not be safe for concurrent use).
 */
public final class CachingAccuracyPredictor implements AccuracyPredictor {

    private final AccuracyPredictor delegate;
    private final LruCache<String, Double> cache;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /**
     * Predictions kept by default: an evolution search asks about some 10^4 distinct subnets, so
     * this holds the searches of many requests; at about 240 bytes an entry (a key string of some
     * 100 characters, the boxed value, the map's entry) it is some 50 MB of heap.
     */
    public static final int DEFAULT_MAX_ENTRIES = 200_000;

    /** Estimated bytes kept by default (see {@link #DEFAULT_MAX_ENTRIES}). */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /**
     * Wraps a predictor with a cache of the default size ({@link #DEFAULT_MAX_ENTRIES} predictions,
     * {@link #DEFAULT_MAX_BYTES} bytes).
     *
     * @param delegate the predictor whose answers are cached
     */
    public CachingAccuracyPredictor(AccuracyPredictor delegate) {
        this(delegate, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES);
    }

    /**
     * Wraps a predictor with a cache of a given size.
     *
     * @param delegate the predictor whose answers are cached
     * @param maxEntries predictions kept at most
     * @param maxBytes estimated bytes kept at most (key strings and boxed values)
     * @throws IllegalArgumentException for a null predictor or a limit below 1
     */
    public CachingAccuracyPredictor(AccuracyPredictor delegate, int maxEntries, long maxBytes) {
        if (delegate == null) {
            throw new IllegalArgumentException("predictor to cache must not be null");
        }
        this.delegate = delegate;
        // value: a boxed Double, 16 bytes
        this.cache = new LruCache<>("predictions", maxEntries, maxBytes, (k, v) -> LruCache.stringBytes(k) + 16);
    }

    /** {@inheritDoc} */
    @Override
    public double[] predict(List<ArchConfig> archs) {
        double[] out = new double[archs.size()];
        List<ArchConfig> missing = new ArrayList<>();
        List<String> missingKeys = new ArrayList<>();
        List<Integer> missingAt = new ArrayList<>();
        for (int i = 0; i < archs.size(); i++) {
            String key = archs.get(i).key();
            Double v = cache.get(key);
            if (v != null) {
                out[i] = v;
                hits.incrementAndGet();
            } else {
                missing.add(archs.get(i));
                missingKeys.add(key);
                missingAt.add(i);
            }
        }
        if (!missing.isEmpty()) {
            double[] p;
            synchronized (delegate) {
                p = delegate.predict(missing);
            }
            if (p == null || p.length != missing.size()) {
                throw new IllegalStateException("accuracy predictor " + delegate.name() + " returned "
                        + (p == null ? "null" : p.length + " values") + " for " + missing.size() + " subnets");
            }
            for (int j = 0; j < p.length; j++) {
                cache.put(missingKeys.get(j), p[j]);
                out[missingAt.get(j)] = p[j];
            }
            misses.addAndGet(p.length);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return delegate.name();
    }

    /** @return predictions answered from the cache */
    public long hits() {
        return hits.get();
    }

    /** @return predictions passed to the wrapped predictor */
    public long misses() {
        return misses.get();
    }

    /** @return distinct subnets cached */
    public int size() {
        return cache.size();
    }

    /** @return sizes and limits of the prediction cache */
    public LruCache.Stats stats() {
        return cache.stats();
    }
}
