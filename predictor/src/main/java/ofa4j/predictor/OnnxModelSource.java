package ofa4j.predictor;

import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;

/** Produces the ONNX models that latency profiling times (implemented on the exporter). */
public interface OnnxModelSource {

    /** @return the precision of the models built, FP32 unless overridden */
    default Precision precision() {
        return Precision.FP32;
    }

    /**
     * Builds a tiny ONNX model of one layer variant with random weights.
     *
     * @param layer the layer
     * @param seed weight seed
     * @return serialised ONNX model
     */
    byte[] layerModel(LayerSpec layer, long seed);

    /**
     * Exports a whole subnet.
     *
     * @param subnet the subnet (weights may be random)
     * @return serialised ONNX model
     */
    byte[] subnetModel(Subnet subnet);
}
