package ofa4j.predictor;

import java.util.concurrent.atomic.AtomicInteger;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/** A deterministic device: a layer costs 2 us + 1 ns per MAC; a subnet 0.05 ms + 0.9 x its layer sum. */
final class FakeMeter implements LatencyMeter {

    static final double INTERCEPT = 0.05;
    static final double SCALE = 0.9;

    /** Slow-down of the calls inside a load burst ({@link #bursty}). */
    static final double BURST_FACTOR = 1.5;

    final SearchSpace space;
    final AtomicInteger layerCalls = new AtomicInteger();
    final AtomicInteger subnetCalls = new AtomicInteger();
    private final int burstLayerCalls;
    private final int burstSubnetCalls;
    private final int erraticSubnetCalls;

    FakeMeter(SearchSpace space) {
        this(space, 0, 0, 0);
    }

    private FakeMeter(SearchSpace space, int burstLayerCalls, int burstSubnetCalls, int erraticSubnetCalls) {
        this.space = space;
        this.burstLayerCalls = burstLayerCalls;
        this.burstSubnetCalls = burstSubnetCalls;
        this.erraticSubnetCalls = erraticSubnetCalls;
    }

    /**
     * A device in an uneven slow episode: during its first {@code subnetCalls} subnet timings the
     * anchor subnet and about half of the others (chosen by their key) come out {@link
     * #BURST_FACTOR} times slow, the same at every pass, so that keeping the fastest pass cannot
     * repair them; later timings are exact.
     */
    static FakeMeter erratic(SearchSpace space, int subnetCalls) {
        return new FakeMeter(space, 0, 0, subnetCalls);
    }

    /**
     * A device under a load burst: its first {@code layerCalls} layer timings and first {@code
     * subnetCalls} subnet timings come out {@link #BURST_FACTOR} times slow, as when another process
     * takes the core for a while; later ones are exact.
     */
    static FakeMeter bursty(SearchSpace space, int layerCalls, int subnetCalls) {
        return new FakeMeter(space, layerCalls, subnetCalls, 0);
    }

    /** Exact subnet latency, whatever the burst. */
    double exactSubnetMs(ArchConfig arch) {
        double s = 0;
        for (LayerSpec l : space.layers(arch)) {
            s += layer(l);
        }
        return INTERCEPT + SCALE * s;
    }

    static double layer(LayerSpec l) {
        return 0.002 + CostModel.macs(l) * 1e-6;
    }

    /** The precision this fake device claims to time. */
    Precision precision = Precision.FP32;

    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public String engine() {
        return "onnxruntime";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public int batchSize() {
        return 1;
    }

    @Override
    public int warmup() {
        return 0;
    }

    @Override
    public int repeats() {
        return 1;
    }

    @Override
    public double layerMs(LayerSpec layer) {
        return layer(layer) * (layerCalls.getAndIncrement() < burstLayerCalls ? BURST_FACTOR : 1.0);
    }

    @Override
    public double subnetMs(ArchConfig arch) {
        int call = subnetCalls.getAndIncrement();
        boolean erratic = call < erraticSubnetCalls
                && (arch.equals(ProfileMeter.anchor(space)) || (arch.key().hashCode() & 1) == 1);
        return exactSubnetMs(arch) * (call < burstSubnetCalls || erratic ? BURST_FACTOR : 1.0);
    }

    @Override
    public double modelMs(ofa4j.models.Subnet subnet, byte[] onnx) {
        return exactSubnetMs(subnet.arch());
    }

    @Override
    public void close() {}
}
