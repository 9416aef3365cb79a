package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slices of INT8 precision: candidates measured and delivered as INT8 models, and the auto choice. */
class Int8SliceTest {

    /** The fake backend, recording the precision of every model it times. */
    static final class TimingBackend extends SpecialiserTest.FakeBackend {
        final List<String> timed = new ArrayList<>();

        @Override
        public double latencyMs(byte[] onnx, Subnet subnet, Specialiser.LocalTiming timing) {
            String p = new String(onnx, java.nio.charset.StandardCharsets.ISO_8859_1).contains("QuantizeLinear")
                    ? "int8" : "fp32";
            timed.add(p + "@" + timing.precision().id());
            return super.latencyMs(onnx, subnet, timing);
        }
    }

    private static Specialiser.Report slice(Path dir, Precision precision, TimingBackend backend) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        List<Fleet.Target> targets = List.of(new Fleet.Target("here-5ms", Constraint.builder().maxLatencyMs(cpu, 5).build()));
        Specialiser.Int8Settings int8 = new Specialiser.Int8Settings(Int8Exporter.Method.MINMAX, Double.NaN, 2);
        Specialiser sp = new Specialiser(backend, dir, precision == Precision.INT8 ? int8 : null, precision);
        Specialiser.LocalTiming timing = new Specialiser.LocalTiming("test-cpu", "onnxruntime", 1, 1, 30, 200, null,
                precision);
        ClosedLoop loop = new ClosedLoop(space, new TestPredictors.SmoothAccuracy(space, 1),
                EvolutionSearch.builder().optGenerations(5).build(), sp.measurer(7), null,
                Map.of(cpu.deviceName(), timing), 2, 1, null).screening(100);
        Specialiser.Report r = sp.specialiseAll(loop, targets, Map.of("here-5ms", timing), CostAxis.latency(cpu),
                List.of(), 4, 7).get(0);
        if (precision == Precision.INT8) {
            // every candidate measured in both precisions: FP32 0.8 (DJL), INT8 0.79 (ONNX Runtime)
            assertEquals(r.outcome().proposed().stream().map(m -> m.arch().canonical().key()).distinct().count(),
                    sp.int8Rows().size());
            for (var row : sp.int8Rows()) {
                assertEquals(0.8, row.fp32ValAccuracy());
                assertEquals(0.79, row.int8ValAccuracy());
                assertEquals("minmax on 2 zero images, seed 7", row.calibration());
            }
        }
        return r;
    }

    @Test
    void anInt8SliceIsChosenMeasuredAndTimedAsItsInt8Model(@TempDir Path dir) throws Exception {
        TimingBackend backend = new TimingBackend();
        Specialiser.Report r = slice(dir, Precision.INT8, backend);
        assertEquals(Precision.INT8, r.precision());
        // only INT8 models are timed, with the INT8 profile's timing
        assertFalse(backend.timed.isEmpty());
        assertTrue(backend.timed.stream().allMatch("int8@int8"::equals), backend.timed.toString());
        for (var c : r.outcome().proposed()) {
            assertEquals(0.79, c.measurement().valAccuracy()); // the loop chose by INT8 accuracy
        }
        assertEquals(0.8, r.valAccuracy());
        assertEquals(0.75, r.testAccuracy());
        assertEquals(0.79, r.deliveredValAccuracy());
        assertEquals(0.74, r.deliveredTestAccuracy());
        assertEquals(0.5 + r.candidate().arch().resolution() / 100.0, r.measuredLatencyMs(), 1e-12);
        SliceJson.Report rep = SliceJson.Report.read(r.reportFile());
        assertEquals("int8", rep.precision());
        assertEquals(r.measuredLatencyMs(), rep.measured().latencyMs());
        assertEquals(0.79, rep.measured().int8ValAccuracy());
        // the INT8 model carries the measured latency; the FP32 model beside it does not
        Map<String, String> meta = OnnxExporter.readMetadata(r.int8OnnxFile());
        assertEquals(String.format(java.util.Locale.ROOT, "%.6f", r.measuredLatencyMs()),
                meta.get(Specialiser.METADATA_PREFIX + "measured_latency_ms"));
        assertEquals("int8", meta.get(Specialiser.METADATA_PREFIX + "precision"));
        assertFalse(Files.readString(r.onnxFile()).contains("measured_latency_ms")); // the fake's FP32 "model" is its metadata
        assertTrue(Files.readString(r.reportFile()).contains("\"precision\": \"int8\""));
    }

    @Test
    void autoDeliversTheHigherMeasuredValidationAccuracy(@TempDir Path dir) throws Exception {
        Specialiser.Report q8 = slice(dir.resolve("int8"), Precision.INT8, new TimingBackend());
        TimingBackend fp32Backend = new TimingBackend();
        Specialiser.Report f = slice(dir.resolve("fp32"), Precision.FP32, fp32Backend);
        assertTrue(fp32Backend.timed.stream().allMatch("fp32@fp32"::equals), fp32Backend.timed.toString());
        assertEquals("fp32", SliceJson.Report.read(f.reportFile()).precision());
        AutoChoice c = AutoChoice.of(f, q8, dir);
        assertEquals("fp32", c.chosen()); // 0.80 > 0.79
        assertEquals("fp32/here-5ms.onnx", c.onnx());
        assertEquals("int8/here-5ms.int8.onnx", c.int8().onnx());
        assertEquals(0.79, c.int8().valAccuracy());
        assertEquals(0.74, c.int8().testAccuracy());
        assertEquals("fp32: measured validation accuracy 80.00% (fp32) vs 79.00% (int8)", c.why());
        assertEquals(dir.resolve("here-5ms.auto.json"), c.writeTo(dir));
        assertEquals(c, AutoChoice.read(dir.resolve("here-5ms.auto.json")));
        assertFalse(c.fp32().overBudget() || c.int8().overBudget());
        // a side whose delivered latency is over its bound loses to one within it, whatever its accuracy
        Specialiser.Report slow = new Specialiser.Report(f.target(), f.candidate(), f.valAccuracy(), f.testAccuracy(), 5.5,
                f.onnxMaxAbsDiff(), f.onnxFile(), f.reportFile(), f.stepMs(), f.outcome(), f.int8ValAccuracy(),
                f.int8TestAccuracy(), f.int8OnnxFile(), f.precision());
        AutoChoice c2 = AutoChoice.of(slow, q8, dir);
        assertTrue(c2.fp32().overBudget());
        assertEquals("int8", c2.chosen());
        assertEquals("int8: measured validation accuracy 79.00% (int8) vs 80.00% (fp32), the fp32 slice's delivered"
                + " latency is over its bound", c2.why());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AutoChoice.of(q8, f, dir));
        assertEquals("auto needs an fp32 and an int8 slice, found int8 and fp32", e.getMessage());
    }

    @Test
    void aProfileOfTheOtherPrecisionIsRefusedBeforeAnythingIsSliced() {
        SearchSpace space = SearchSpace.fmnist();
        DeviceProfile fp32 = new DeviceProfile("cpu-ort-1t", "onnxruntime", 1, 1, space, null,
                Map.of("x", 1.0), 0, 1);
        SliceStage.LoopSettings loop = new SliceStage.LoopSettings(2, 1, 10, 0, null, Precision.INT8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SliceStage.slice(null, null,
                new TestPredictors.SmoothAccuracy(space, 1), fp32, List.of(), Path.of("unused"), loop, null,
                EvolutionSearch.ofaDefaults(), 1));
        assertEquals("device profile 'cpu-ort-1t' times fp32 models, but int8 models are asked for: use a profile of"
                + " int8 models (measure one with 'ofa profile --precision int8')", e.getMessage());
    }
}
