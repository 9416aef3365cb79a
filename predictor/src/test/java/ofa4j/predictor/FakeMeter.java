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

    final SearchSpace space;
    final AtomicInteger layerCalls = new AtomicInteger();

    FakeMeter(SearchSpace space) {
        this.space = space;
    }

    static double layer(LayerSpec l) {
        return 0.002 + CostModel.macs(l) * 1e-6;
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
        layerCalls.incrementAndGet();
        return layer(layer);
    }

    @Override
    public double subnetMs(ArchConfig arch) {
        double s = 0;
        for (LayerSpec l : space.layers(arch)) {
            s += layer(l);
        }
        return INTERCEPT + SCALE * s;
    }

    @Override
    public void close() {}
}
