package ofa4j.predictor;

import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;

/**
 * The {@link OnnxModelSource} of the ofa4j exporter: the same nodes for single layers and whole
 * subnets, in FP32 ({@link OnnxExporter}) or INT8 QDQ form ({@link Int8Exporter}).
 */
public final class ExporterModels implements OnnxModelSource {

    /** Random images an INT8 whole-subnet timing model is calibrated on (its values do not change latency). */
    static final int INT8_CALIBRATION_IMAGES = 8;

    private final Precision precision;

    /** The FP32 models. */
    public ExporterModels() {
        this(Precision.FP32);
    }

    /**
     * The models of one precision.
     *
     * @param precision FP32 or INT8
     */
    public ExporterModels(Precision precision) {
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
    }

    /** {@inheritDoc} */
    @Override
    public Precision precision() {
        return precision;
    }

    /** {@inheritDoc} */
    @Override
    public byte[] layerModel(LayerSpec layer, long seed) {
        return precision == Precision.INT8 ? Int8Exporter.layerModel(layer, seed) : OnnxExporter.layerModel(layer, seed);
    }

    /**
     * {@inheritDoc}
     *
     * <p>An INT8 model is calibrated with min/max on {@value #INT8_CALIBRATION_IMAGES} random images
     * in [-1, 1) seeded by the subnet's architecture key.
     */
    @Override
    public byte[] subnetModel(Subnet subnet) {
        Map<String, String> meta = Map.of("ofa4j.purpose", "latency profiling");
        if (precision == Precision.FP32) {
            return OnnxExporter.toBytes(subnet, meta);
        }
        int c = subnet.space().inChannels();
        int r = subnet.arch().resolution();
        float[] x = new float[INT8_CALIBRATION_IMAGES * c * r * r];
        SplittableRandom rng = new SplittableRandom(subnet.arch().key().hashCode());
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return Int8Exporter.toBytes(subnet,
                Int8Exporter.Calibration.minMax(x, INT8_CALIBRATION_IMAGES, "random images (latency profiling)"), meta);
    }
}
