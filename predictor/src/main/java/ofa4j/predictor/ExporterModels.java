package ofa4j.predictor;

import java.util.Map;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;

/** The {@link OnnxModelSource} of the ofa4j exporter: the same nodes for single layers and whole subnets. */
public final class ExporterModels implements OnnxModelSource {

    /** {@inheritDoc} */
    @Override
    public byte[] layerModel(LayerSpec layer, long seed) {
        return OnnxExporter.layerModel(layer, seed);
    }

    /** {@inheritDoc} */
    @Override
    public byte[] subnetModel(Subnet subnet) {
        return OnnxExporter.toBytes(subnet, Map.of("ofa4j.purpose", "latency profiling"));
    }
}
