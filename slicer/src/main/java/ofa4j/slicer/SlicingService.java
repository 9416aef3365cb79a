package ofa4j.slicer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * The core of on-demand slicing: one search space, one accuracy predictor (cached across requests
 * by architecture key) and named device latency models; each request names a device and optional
 * bounds and gets the best predicted subnet. Results are cached by the request's constraint (the
 * {@link #MAX_RESULTS} most recently used), so a repeated request costs nothing. Thread-safe;
 * searches of different requests may run concurrently.
 */
public final class SlicingService {

    private final SearchSpace space;
    private final CachingAccuracyPredictor predictor;
    private final Map<String, LatencyPredictor> devices;
    private final SearchStrategy strategy;
    private final long seed;
    private final CostTable table;
    /** Search results kept (least recently used go first). */
    public static final int MAX_RESULTS = 1024;

    /**
     * Estimated bytes of a kept result: the best candidate, a front of tens of candidates and the
     * per-generation history; the byte limit is {@link #MAX_RESULTS} of them.
     */
    static final long RESULT_BYTES = 16 * 1024;

    private final LruCache<String, SearchResult> results = new LruCache<>("search results", MAX_RESULTS,
            MAX_RESULTS * RESULT_BYTES, (k, v) -> LruCache.stringBytes(k) + RESULT_BYTES);

    /**
     * Creates the service.
     *
     * @param space the search space of the supernet
     * @param predictor its accuracy predictor
     * @param devices latency models by device name (at least one)
     * @param strategy the search (e.g. {@link EvolutionSearch#ofaDefaults()})
     * @param seed seed of every search (same request, same answer)
     */
    public SlicingService(SearchSpace space, AccuracyPredictor predictor, Map<String, LatencyPredictor> devices,
            SearchStrategy strategy, long seed) {
        if (space == null || predictor == null || strategy == null) {
            throw new IllegalArgumentException("space, predictor and strategy must not be null");
        }
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("the slicing service needs at least one device latency model");
        }
        this.space = space;
        this.predictor = predictor instanceof CachingAccuracyPredictor c ? c : new CachingAccuracyPredictor(predictor);
        this.devices = new LinkedHashMap<>(devices);
        this.strategy = strategy;
        this.seed = seed;
        this.table = new CostTable(space);
    }

    /** @return the device names, in the order given */
    public List<String> devices() {
        return new ArrayList<>(devices.keySet());
    }

    /** @return the search space */
    public SearchSpace space() {
        return space;
    }

    /**
     * Returns a device's latency model.
     *
     * @param device the device name
     * @return its latency model
     * @throws IllegalArgumentException naming the device and the known devices
     */
    public LatencyPredictor device(String device) {
        LatencyPredictor p = devices.get(device);
        if (p == null) {
            throw new IllegalArgumentException("unknown device '" + device + "'; known devices: " + devices.keySet());
        }
        return p;
    }

    /**
     * Builds the constraint of a request; null arguments are absent bounds.
     *
     * @param device device name (its latency model carries the latency bound)
     * @param maxLatencyMs max predicted latency on the device (ms), or null
     * @param maxMacs max MACs, or null
     * @param maxParams max parameters, or null
     * @param maxPeakMemoryBytes max peak activation memory (bytes), or null
     * @param minResolution min input resolution (px), or null
     * @param maxResolution max input resolution (px), or null
     * @return the constraint
     * @throws IllegalArgumentException for an unknown device or a bad bound, naming it
     */
    public Constraint constraint(String device, Double maxLatencyMs, Long maxMacs, Long maxParams,
            Long maxPeakMemoryBytes, Integer minResolution, Integer maxResolution) {
        return Constraint.of(device(device), maxLatencyMs, maxMacs, maxParams, maxPeakMemoryBytes, minResolution,
                maxResolution);
    }

    /**
     * Searches the best subnet for a device and constraint, or returns the cached answer. The
     * device's predicted latency is always computed (and reported) even without a latency bound.
     *
     * @param device device name
     * @param constraint the constraint (e.g. from {@link #constraint})
     * @return the search result
     * @throws IllegalArgumentException for an unknown device
     * @throws InfeasibleConstraintException at once for an impossible constraint, with the cheapest values
     */
    public SearchResult slice(String device, Constraint constraint) {
        LatencyPredictor d = device(device);
        StringBuilder kb = new StringBuilder(device);
        for (Constraint.LatencyBound b : constraint.latencyBounds()) {
            kb.append('|').append(b.predictor().deviceName()).append('<').append(b.maxMs());
        }
        kb.append('|').append(constraint.maxMacs()).append('|').append(constraint.maxParams()).append('|')
                .append(constraint.maxPeakMemoryBytes()).append('|').append(constraint.minResolution()).append('|')
                .append(constraint.maxResolution());
        String key = kb.toString();
        SearchResult cached = results.get(key);
        if (cached != null) {
            return cached;
        }
        List<LatencyPredictor> extra = new ArrayList<>(strategy.extraDevices());
        extra.add(d);
        ConstrainedSpace cs = new ConstrainedSpace(space, constraint, extra, table);
        SearchResult r = strategy.search(cs, predictor, seed);
        synchronized (results) { // concurrent searches of one request: the first result stays
            SearchResult first = results.get(key);
            if (first != null) {
                return first;
            }
            results.put(key, r);
        }
        return r;
    }

    /** @return cached search results */
    public int cachedResults() {
        return results.size();
    }

    /** @return sizes and limits of the search-result cache */
    public LruCache.Stats resultStats() {
        return results.stats();
    }

    /** @return the shared, caching accuracy predictor */
    public CachingAccuracyPredictor predictor() {
        return predictor;
    }
}
