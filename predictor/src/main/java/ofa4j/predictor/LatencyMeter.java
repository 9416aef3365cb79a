package ofa4j.predictor;

import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;

/**
 * Measures latencies on one device for the {@link Profiler}: one layer variant alone, and one
 * whole subnet end to end. {@link OrtLatencyMeter} does it in ONNX Runtime on this machine.
 */
public interface LatencyMeter extends AutoCloseable {

    /** @return engine name, {@code onnxruntime} or {@code pytorch} */
    String engine();

    /** @return the precision of the models timed, FP32 unless overridden */
    default Precision precision() {
        return Precision.FP32;
    }

    /** @return intra-op threads */
    int threads();

    /** @return batch size of the timed forward passes */
    int batchSize();

    /** @return warm-up runs before timing */
    int warmup();

    /** @return timed runs whose median is reported */
    int repeats();

    /**
     * Times one layer variant alone.
     *
     * @param layer the layer
     * @return median latency of one forward pass, ms
     */
    double layerMs(LayerSpec layer);

    /**
     * Times a whole subnet end to end (random weights: latency does not depend on the values).
     *
     * @param arch the subnet
     * @return median latency of one forward pass, ms
     */
    double subnetMs(ArchConfig arch);

    /**
     * Times a delivered model exactly as the profile timed its subnets: same engine, session
     * options, threads, batch, input, warm-up and repeats. Prediction and measurement share this path.
     *
     * @param subnet the subnet (its trained weights)
     * @param onnx the subnet's ONNX model (used by engines that run ONNX)
     * @return median latency of one forward pass, ms
     */
    double modelMs(ofa4j.models.Subnet subnet, byte[] onnx);

    /**
     * Warms up the process before a table is timed (JIT compilation of the engine's call path,
     * caches, clock); the first thousands of runs in a fresh JVM are measurably slower. Default:
     * times {@code layer} a few times and discards the results.
     *
     * @param layer a representative layer
     */
    default void warmUpProcess(LayerSpec layer) {
        for (int i = 0; i < 10; i++) {
            layerMs(layer);
        }
    }

    /** Releases engine resources. */
    @Override
    void close();
}
