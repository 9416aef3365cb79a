package ofa4j.predictor;

import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;

/**
 * The meter of a device profile, rebuilt to time delivered models: the same engine, threads,
 * batch, warm-up and repeats as the profile recorded, and the same process warm-up before the
 * first timing. A slice's measured latency and the profile's prediction therefore come from one
 * timing path ({@link LatencyMeter#modelMs}).
 */
public final class ProfileMeter implements AutoCloseable {

    private final String engine;
    private final Precision precision;
    private final SearchSpace space;
    private final int threads;
    private final int batch;
    private final int warmup;
    private final int repeats;
    /** The ONNX Runtime meter, kept; a PyTorch meter is opened per timing since it sets libtorch's thread count. */
    private final LatencyMeter ort;
    /** Engines whose call path this JVM has warmed up: the warm-up is per process, not per meter. */
    private static final java.util.Set<String> WARMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private byte[] anchorOnnx;
    private final Double anchorReferenceMs;

    /** Interleaved rounds of a paired timing (ONNX Runtime): the profile's repeats are split over them. */
    static final int PAIRED_ROUNDS = 8;

    private ProfileMeter(String engine, Precision precision, SearchSpace space, int threads, int batch, int warmup,
            int repeats, Double anchorReferenceMs) {
        this.anchorReferenceMs = anchorReferenceMs;
        this.engine = engine;
        this.precision = precision;
        this.space = space;
        this.threads = threads;
        this.batch = batch;
        this.warmup = warmup;
        this.repeats = repeats;
        this.ort = "pytorch".equals(engine) ? null
                : new OrtLatencyMeter(space, new ExporterModels(precision), threads, batch, warmup, repeats, 1);
    }

    /**
     * Opens the meter of a profile measured on this machine.
     *
     * @param profile the device profile (its measurement block gives warm-up and repeats; engine
     *     defaults when absent)
     * @param space the space of the subnets to time
     * @return the meter (close it)
     */
    public static ProfileMeter of(DeviceProfile profile, SearchSpace space) {
        boolean pt = "pytorch".equals(profile.engine());
        DeviceProfile.Measurement m = profile.measurement();
        int warmup = m != null ? m.warmup() : pt ? DjlLatencyMeter.DEFAULT_WARMUP : OrtLatencyMeter.DEFAULT_WARMUP;
        int repeats = m != null ? m.repeats() : pt ? DjlLatencyMeter.DEFAULT_REPEATS : OrtLatencyMeter.DEFAULT_REPEATS;
        // The profile's speed is what its table and fit describe (fastest of passes), so the anchor's
        // latency at that speed is the profile's prediction of it; the anchor's own timing during
        // profiling is one noisier sample of the same speed.
        Double reference = m != null && m.anchorMs() != null ? profile.predictMs(anchor(profile.space())) : null;
        return new ProfileMeter(profile.engine(), profile.precision(), space, profile.threads(), profile.batchSize(), warmup,
                repeats, reference);
    }

    /**
     * The anchor subnet: the middle choice of every elastic dimension (kernel, expand, depth and
     * resolution) with random weights, timed by the profiler around every pass and by a meter
     * interleaved with every timing, to tell how fast the machine is now (this machine has slow
     * episodes of 1.4-1.6x lasting 10 s to minutes). A middle subnet, not the largest: its
     * latency is where the profile's fit is surest, since a slice's timing is scaled by it.
     *
     * @param space the space
     * @return the anchor subnet
     */
    public static ofa4j.models.ArchConfig anchor(SearchSpace space) {
        return space.uniform(middle(space.kernels()), middle(space.expandRatios()), middle(space.depths()),
                middle(space.resolutions()));
    }

    private static int middle(java.util.List<Integer> values) {
        return values.get(values.size() / 2);
    }

    /**
     * Opens a meter with explicit settings.
     *
     * @param engine {@code onnxruntime} or {@code pytorch}
     * @param space the space
     * @param threads intra-op threads
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @param anchorReferenceMs the anchor's latency at the profile's machine speed (null: timings are reported raw)
     * @return the meter (close it)
     */
    public static ProfileMeter of(String engine, SearchSpace space, int threads, int batch, int warmup, int repeats,
            Double anchorReferenceMs) {
        return of(engine, Precision.FP32, space, threads, batch, warmup, repeats, anchorReferenceMs);
    }

    /**
     * Opens a meter with explicit settings for models of one precision (the anchor is timed in
     * the same precision, as the profile timed it).
     *
     * @param engine {@code onnxruntime} or {@code pytorch}
     * @param precision FP32, or INT8 (ONNX Runtime only)
     * @param space the space
     * @param threads intra-op threads
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @param anchorReferenceMs the anchor's latency at the profile's machine speed (null: timings are reported raw)
     * @return the meter (close it)
     */
    public static ProfileMeter of(String engine, Precision precision, SearchSpace space, int threads, int batch,
            int warmup, int repeats, Double anchorReferenceMs) {
        if (!DeviceProfile.ENGINES.contains(engine)) {
            throw new IllegalArgumentException("engine must be one of " + DeviceProfile.ENGINES + ", found '" + engine + "'");
        }
        if (precision == Precision.INT8 && !"onnxruntime".equals(engine)) {
            throw new IllegalArgumentException("INT8 models are timed in onnxruntime, found engine '" + engine + "'");
        }
        return new ProfileMeter(engine, precision, space, threads, batch, warmup, repeats, anchorReferenceMs);
    }

    /** @return the precision of the models this meter times */
    public Precision precision() {
        return precision;
    }

    /**
     * One timing of a model.
     *
     * @param ms latency at the machine speed the profile was measured at: {@code rawMs / slowdown}
     * @param rawMs the median wall time measured now
     * @param slowdown how much slower the machine was than while profiling ({@code rawMs / ms}):
     *     from the anchor timed interleaved with the model (ONNX Runtime) or just before and after
     *     it (PyTorch); 1 when the profile has no anchor
     */
    public record Timing(double ms, double rawMs, double slowdown) {}

    /**
     * Times a model; the first call warms the process up as profiling does. When the profile has an
     * anchor, the timing is reported both raw and at the profile's machine speed: ONNX Runtime times
     * model and anchor interleaved in {@link #PAIRED_ROUNDS} rounds and scales the median ratio by
     * the profile's anchor; PyTorch divides by the anchor's slowdown timed just before and just
     * after. This machine has slow episodes of
     * 1.4-1.6x lasting 10 s to minutes, and a budget refers to the device, not to its neighbours'
     * load. Waiting for a quiet phase instead was tried and dropped: in a slow episode every wait
     * found the machine still slow, and cost seconds per constraint.
     *
     * @param subnet the subnet with its trained weights
     * @param onnx its ONNX model
     * @return the timing
     */
    public synchronized Timing time(Subnet subnet, byte[] onnx) {
        if (ort != null) {
            return time(ort, subnet, onnx);
        }
        try (LatencyMeter pt = new DjlLatencyMeter(space, threads, batch, warmup, repeats, 1)) {
            return time(pt, subnet, onnx);
        }
    }

    private Timing time(LatencyMeter meter, Subnet subnet, byte[] onnx) {
        if (WARMED.add(engine + "/" + threads)) {
            meter.warmUpProcess(LayerVariants.enumerate(space).values().iterator().next());
        }
        if (anchorReferenceMs == null) {
            double ms = meter.modelMs(subnet, onnx);
            return new Timing(ms, ms, 1);
        }
        if (meter instanceof OrtLatencyMeter o) {
            // model and anchor interleaved: both see the same moments of the machine
            double[] paired = o.pairedMs(onnx, anchorOnnx(), PAIRED_ROUNDS);
            double ms = paired[2] * anchorReferenceMs;
            return new Timing(ms, paired[0], paired[0] / ms);
        }
        double before = anchorMs(meter) / anchorReferenceMs;
        double raw = meter.modelMs(subnet, onnx);
        double after = anchorMs(meter) / anchorReferenceMs;
        double slowdown = Math.sqrt(before * after);
        return new Timing(raw / slowdown, raw, slowdown);
    }

    @Override
    public void close() {
        if (ort != null) {
            ort.close();
        }
    }

    /** The anchor's latency now (the PyTorch engine times it around each model). */
    private double anchorMs(LatencyMeter meter) {
        return meter.subnetMs(anchor(space));
    }

    /** One export of the anchor, reused. */
    private byte[] anchorOnnx() {
        if (anchorOnnx == null) {
            anchorOnnx = new ExporterModels(precision).subnetModel(RandomWeights.subnet(space, anchor(space), 1));
        }
        return anchorOnnx;
    }
}
