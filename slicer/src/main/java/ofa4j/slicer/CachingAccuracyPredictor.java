package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyPredictor;

/**
 * Wraps an accuracy predictor with a cache keyed by {@link ArchConfig#key()} (equal keys are equal
 * networks), so searches for several devices share predictions. Misses of one call go to the
 * wrapped predictor in a single batch. Thread-safe: calls to the wrapped predictor are serialised
 * (a DJL model need not be safe for concurrent use).
 */
public final class CachingAccuracyPredictor implements AccuracyPredictor {

    private final AccuracyPredictor delegate;
    private final ConcurrentHashMap<String, Double> cache = new ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /**
     * Wraps a predictor.
     *
     * @param delegate the predictor whose answers are cached
     */
    public CachingAccuracyPredictor(AccuracyPredictor delegate) {
        if (delegate == null) {
            throw new IllegalArgumentException("predictor to cache must not be null");
        }
        this.delegate = delegate;
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
                cache.putIfAbsent(missingKeys.get(j), p[j]);
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
}
