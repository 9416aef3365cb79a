package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/** INT8 latency profiles: the meter times the INT8 form of layers and subnets, and profiles keep their precision. */
class Int8ProfileTest {

    @Test
    void anInt8MeterTimesUint8LayersAndWholeInt8Subnets() {
        SearchSpace space = SearchSpace.fmnist();
        try (OrtLatencyMeter meter = new OrtLatencyMeter(space, new ExporterModels(Precision.INT8), 1, 1, 1, 3, 5)) {
            assertEquals(Precision.INT8, meter.precision());
            List<LayerSpec> layers = space.layers(space.min());
            // the stem reads the float image, a block reads uint8, the classifier writes float logits
            for (LayerSpec l : List.of(layers.get(0), layers.get(2), layers.get(layers.size() - 1))) {
                double ms = meter.layerMs(l);
                assertTrue(ms > 0 && ms < 1000, l.key() + ": " + ms);
            }
            double ms = meter.subnetMs(space.min());
            assertTrue(ms > 0 && ms < 1000, "min subnet " + ms);
        }
        try (OrtLatencyMeter meter = OrtLatencyMeter.withExporter(space, 1, 1)) {
            assertEquals(Precision.FP32, meter.precision());
        }
    }

    @Test
    void aProfileRecordsItsMetersPrecisionAndTheHeldOutCheckRefusesAnother() {
        SearchSpace space = SearchSpace.fmnist();
        FakeMeter m = new FakeMeter(space);
        m.precision = Precision.INT8;
        DeviceProfile p = Profiler.profile(space, m, "fake-int8", 6, 1, 3, true, null);
        assertEquals(Precision.INT8, p.precision());
        Profiler.HeldOut h = Profiler.heldOut(p, m, 5, 99);
        assertEquals(5, h.subnets());
        assertEquals(0, h.mapePercent(), 1e-6); // the fake device is exactly affine
        assertTrue(h.rawMapePercent() > 1, "raw " + h.rawMapePercent());
        FakeMeter fp32 = new FakeMeter(space);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profiler.heldOut(p, fp32, 5, 99));
        assertTrue(e.getMessage().startsWith("device profile 'fake-int8' times int8 models, but fp32"), e.getMessage());
    }

    @Test
    void int8IsRefusedForThePytorchEngineAndNamesAreDistinct() {
        SearchSpace space = SearchSpace.fmnist();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProfileStage.meter(space, "pytorch", Precision.INT8, 1, 1, 1));
        assertEquals("INT8 profiles are measured in onnxruntime (the INT8 models are ONNX QDQ models), found engine"
                + " 'pytorch'", e.getMessage());
        assertEquals("cpu-ort-1t-int8", ProfileStage.localDeviceName("onnxruntime", Precision.INT8, 1, 1));
        assertEquals("cpu-ort-2t-b8-int8", ProfileStage.localDeviceName("onnxruntime", Precision.INT8, 2, 8));
        assertEquals("cpu-ort-1t", ProfileStage.localDeviceName("onnxruntime", Precision.FP32, 1, 1));
        e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("INT4"));
        assertEquals("precision must be one of [fp32, int8], found 'INT4'", e.getMessage());
    }
}
