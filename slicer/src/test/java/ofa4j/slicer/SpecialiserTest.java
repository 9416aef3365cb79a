package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orchestration and file formats of {@link Specialiser}, with a backend that needs no supernet. */
class SpecialiserTest {

    /** Zero weights of the right layout; "ONNX" = the metadata as text; figures derived from the arch. */
    static class FakeBackend implements Specialiser.Backend {
        final List<String> calls = new ArrayList<>();
        final List<Map<String, String>> exported = new ArrayList<>();

        @Override
        public Subnet extract(ArchConfig arch, long seed) {
            calls.add("extract " + arch.key());
            Map<String, Tensor> t = new LinkedHashMap<>();
            Subnet.layout(SearchSpace.fmnist(), arch).forEach((k, shape) -> {
                int n = 1;
                for (int d : shape) {
                    n *= d;
                }
                t.put(k, new Tensor(shape, new float[n]));
            });
            return new Subnet(SearchSpace.fmnist(), arch, t, 1e-5, Map.of());
        }

        @Override
        public double top1(Subnet subnet, Specialiser.Split split) {
            calls.add("top1 " + split);
            return split == Specialiser.Split.VAL ? 0.8 : 0.75;
        }

        @Override
        public byte[] exportOnnx(Subnet subnet, Map<String, String> metadata) {
            exported.add(metadata);
            return metadata.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public double latencyMs(byte[] onnx, Subnet subnet, Specialiser.LocalTiming timing) {
            calls.add("ort " + timing.threads() + "x" + timing.batch());
            return 0.5 + subnet.arch().resolution() / 100.0;
        }

        @Override
        public double verifyOnnx(byte[] onnx, Subnet subnet) {
            return 1e-6;
        }

        @Override
        public String describe() {
            return "fake";
        }

        /** A real INT8 model of the zero-weight subnet, calibrated on two zero images. */
        @Override
        public byte[] exportInt8(Subnet subnet, Map<String, String> metadata, Specialiser.Int8Settings int8, long seed) {
            calls.add("int8 " + int8.method() + " " + int8.images());
            int r = subnet.arch().resolution();
            return ofa4j.exporter.Int8Exporter.toBytes(subnet, ofa4j.exporter.Int8Exporter.Calibration.minMax(
                    new float[2 * r * r], 2, "2 zero images, seed " + seed), metadata);
        }

        @Override
        public double top1(byte[] onnx, Subnet subnet, Specialiser.Split split) {
            calls.add("onnx top1 " + split);
            return split == Specialiser.Split.VAL ? 0.79 : 0.74;
        }
    }

    @Test
    void writesOnnxReportAndPlotForEveryTarget(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        TestPredictors.LayerLatency other = new TestPredictors.LayerLatency(space, "other", 0.02, 2e-6);
        List<Fleet.Target> targets = List.of(
                new Fleet.Target("here-5ms", Constraint.builder().maxLatencyMs(cpu, 5).build()),
                new Fleet.Target("other-small", Constraint.builder().maxLatencyMs(other, 8).maxMacs(3_000_000).build()));
        SearchResult front = Nsga2Search.builder(CostAxis.latency(cpu)).optGenerations(10).build()
                .search(space, new TestPredictors.SmoothAccuracy(space, 1), Constraint.none(), 4);
        FakeBackend backend = new FakeBackend();
        Specialiser sp = new Specialiser(backend, dir);
        Specialiser.LocalTiming timing = new Specialiser.LocalTiming("test-cpu", 1, 1);
        ClosedLoop loop = new ClosedLoop(space, new TestPredictors.SmoothAccuracy(space, 1),
                EvolutionSearch.builder().optGenerations(10).build(), sp.measurer(7), null,
                Map.of(cpu.deviceName(), timing), 3, 1, null);
        List<Specialiser.Report> reports = sp.specialiseAll(loop, targets, Map.of("here-5ms", timing),
                CostAxis.latency(cpu), front.front(), 4, 7);

        assertEquals(2, reports.size());
        for (Specialiser.Report r : reports) {
            assertTrue(Files.exists(r.onnxFile()) && Files.exists(r.reportFile()));
            JsonObject j = JsonParser.parseString(Files.readString(r.reportFile())).getAsJsonObject();
            for (String f : List.of("format_version", "target", "constraint", "arch", "key", "search", "predicted",
                    "measured", "candidates", "macs", "params", "peak_activation_bytes", "onnx", "step_ms")) {
                assertTrue(j.has(f), r.target() + " report lacks " + f);
            }
            ArchConfig arch = ArchConfig.fromJsonTree(j.getAsJsonObject("arch"));
            assertEquals(r.candidate().arch().key(), arch.key());
            assertEquals(arch.key(), j.get("key").getAsString());
            assertEquals(r.candidate().costs().macs(), j.get("macs").getAsLong());
            assertEquals(r.candidate().predictedAccuracy(), j.getAsJsonObject("predicted").get("accuracy").getAsDouble());
            assertEquals(0.8, j.getAsJsonObject("measured").get("val_accuracy").getAsDouble());
            assertEquals(0.75, j.getAsJsonObject("measured").get("test_accuracy").getAsDouble());
            assertEquals(1e-6, j.getAsJsonObject("measured").get("onnx_max_abs_diff").getAsDouble());
            JsonObject steps = j.getAsJsonObject("step_ms");
            for (String s : List.of("search", "extract_bn_recalibration", "eval_test", "export",
                    "verify_onnx", "write_onnx", "measure_candidates", "deliver", "total")) {
                assertTrue(steps.has(s) && steps.get(s).getAsDouble() >= 0, s);
            }
            assertEquals(steps.get("search").getAsDouble() + steps.get("measure_candidates").getAsDouble()
                    + steps.get("deliver").getAsDouble(), steps.get("total").getAsDouble(), 3e-3); // each rounded to 1 µs
            assertEquals(Files.size(r.onnxFile()), j.getAsJsonObject("onnx").get("bytes").getAsLong());
            // every candidate of the loop is in the report, the delivered one marked, all measured at 0.8
            var cands = j.getAsJsonArray("candidates");
            assertEquals(r.outcome().proposed().size(), cands.size());
            assertTrue(cands.size() >= 1 && cands.size() <= 3, "K = 3 per round: " + cands.size());
            int delivered = 0;
            for (var c : cands) {
                assertEquals(0.8, c.getAsJsonObject().get("measured_val_accuracy").getAsDouble());
                delivered += c.getAsJsonObject().get("delivered").getAsBoolean() ? 1 : 0;
            }
            assertEquals(1, delivered);
        }
        Specialiser.Report here = reports.get(0);
        Specialiser.Report away = reports.get(1);
        assertEquals(0.5 + here.candidate().arch().resolution() / 100.0, here.measuredLatencyMs(), 1e-12);
        assertTrue(Double.isNaN(away.measuredLatencyMs()));
        JsonObject hj = JsonParser.parseString(Files.readString(here.reportFile())).getAsJsonObject();
        assertEquals(here.measuredLatencyMs(), hj.getAsJsonObject("measured").get("latency_ms").getAsDouble());
        assertEquals(5.0, hj.getAsJsonObject("constraint").getAsJsonObject("max_latency_ms").get("test-cpu").getAsDouble());
        JsonObject aj = JsonParser.parseString(Files.readString(away.reportFile())).getAsJsonObject();
        assertFalse(aj.getAsJsonObject("measured").has("latency_ms"));
        assertTrue(Double.isNaN(away.measuredLatencyMs()));
        assertEquals(null, SliceJson.Report.read(away.reportFile()).measured().latencyMs());
        assertEquals(here.measuredLatencyMs(), SliceJson.Report.read(here.reportFile()).measured().latencyMs());
        assertEquals(3_000_000L, aj.getAsJsonObject("constraint").get("max_macs").getAsLong());
        // the timed target's ONNX file carries the measured latency in its metadata
        String onnxText = Files.readString(here.onnxFile());
        assertTrue(onnxText.contains(Specialiser.METADATA_PREFIX + "measured_latency_ms="), onnxText);
        assertTrue(onnxText.contains(Specialiser.METADATA_PREFIX + "measured_test_accuracy=0.750000"), onnxText);
        assertFalse(Files.readString(away.onnxFile()).contains("measured_latency_ms"));
        assertTrue(backend.calls.contains("ort 1x1"));
        assertTrue(Files.size(dir.resolve("pareto.png")) > 5000);
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("here-5ms.json", "here-5ms.onnx", "other-small.json", "other-small.onnx", "pareto.png"),
                    names, "no temporary files may remain");
        }
    }

    @Test
    void int8ModelOfEachDeliveredSliceIsWrittenAndMeasuredNextToTheFp32One(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        List<Fleet.Target> targets = List.of(new Fleet.Target("here-5ms", Constraint.builder().maxLatencyMs(cpu, 5).build()));
        FakeBackend backend = new FakeBackend();
        Specialiser.Int8Settings int8 = new Specialiser.Int8Settings(ofa4j.exporter.Int8Exporter.Method.MINMAX, Double.NaN, 2);
        Specialiser sp = new Specialiser(backend, dir, int8);
        Specialiser.LocalTiming timing = new Specialiser.LocalTiming("test-cpu", 1, 1);
        ClosedLoop loop = new ClosedLoop(space, new TestPredictors.SmoothAccuracy(space, 1),
                EvolutionSearch.builder().optGenerations(5).build(), sp.measurer(7), null,
                Map.of(cpu.deviceName(), timing), 2, 1, null);
        Specialiser.Report r = sp.specialiseAll(loop, targets, Map.of("here-5ms", timing), CostAxis.latency(cpu),
                List.of(), 4, 7).get(0);

        // one INT8 model, of the delivered slice only, not of the candidates
        assertEquals(1, backend.calls.stream().filter(c -> c.equals("int8 MINMAX 2")).count(), backend.calls.toString());
        assertEquals(0.79, r.int8ValAccuracy());
        assertEquals(0.74, r.int8TestAccuracy());
        assertEquals(dir.resolve("here-5ms" + Specialiser.INT8_SUFFIX), r.int8OnnxFile());
        SliceJson.Report rep = SliceJson.Report.read(r.reportFile());
        assertEquals(0.8, rep.measured().valAccuracy());
        assertEquals(0.79, rep.measured().int8ValAccuracy());
        assertEquals(0.75, rep.measured().testAccuracy());
        assertEquals(0.74, rep.measured().int8TestAccuracy());
        assertEquals("minmax on 2 zero images, seed 7", rep.measured().int8Calibration());
        byte[] q = Files.readAllBytes(r.int8OnnxFile());
        assertEquals("here-5ms.int8.onnx", rep.int8Onnx().file());
        assertEquals(q.length, rep.int8Onnx().bytes());
        assertEquals(ofa4j.models.Hashing.sha256Hex(q), rep.int8Onnx().sha256());
        for (String step : List.of("int8_export", "int8_eval", "write_int8_onnx")) {
            assertTrue(rep.stepMs().get(step) >= 0, step + " in " + rep.stepMs());
        }
        Map<String, String> meta = ofa4j.exporter.OnnxExporter.readMetadata(r.int8OnnxFile());
        assertEquals("int8", meta.get(ofa4j.exporter.Int8Exporter.META_PRECISION));
        assertEquals("0.740000", meta.get(Specialiser.METADATA_PREFIX + "measured_int8_test_accuracy"));
        assertEquals("0.790000", meta.get(Specialiser.METADATA_PREFIX + "measured_int8_val_accuracy"));
        assertEquals("0.750000", meta.get(Specialiser.METADATA_PREFIX + "measured_test_accuracy"));
        assertEquals(r.candidate().arch().key(), meta.get(Specialiser.METADATA_PREFIX + "arch_key"));
        // the latency was measured on the FP32 model: the INT8 file does not claim it
        assertFalse(meta.containsKey(Specialiser.METADATA_PREFIX + "measured_latency_ms"), meta.toString());
        // and its QOperator form for OpenCV DNN, rewritten from the very bytes of the INT8 file
        Path qop = dir.resolve("here-5ms" + Specialiser.OPENCV_INT8_SUFFIX);
        assertEquals(qop, Specialiser.openCvInt8File(r.int8OnnxFile()));
        IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Specialiser.openCvInt8File(dir.resolve("here-5ms.onnx")));
        assertEquals("an INT8 model file must end in .int8.onnx, found 'here-5ms.onnx'", bad.getMessage());
        byte[] qopBytes = Files.readAllBytes(qop);
        assertArrayEquals(ofa4j.exporter.Int8Exporter.toQOperator(q), qopBytes);
        assertEquals("here-5ms.int8.opencv.onnx", rep.int8OpenCvOnnx().file());
        assertEquals(qopBytes.length, rep.int8OpenCvOnnx().bytes());
        assertEquals(ofa4j.models.Hashing.sha256Hex(qopBytes), rep.int8OpenCvOnnx().sha256());
        assertTrue(rep.stepMs().get("write_int8_opencv_onnx") >= 0, rep.stepMs().toString());
        Map<String, String> qopMeta = ofa4j.exporter.OnnxExporter.readMetadata(qop);
        assertEquals("qoperator", qopMeta.get(ofa4j.exporter.Int8Exporter.META_FORM));
        assertEquals("0.740000", qopMeta.get(Specialiser.METADATA_PREFIX + "measured_int8_test_accuracy"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("here-5ms.int8.onnx", "here-5ms.int8.opencv.onnx", "here-5ms.json", "here-5ms.onnx",
                    "pareto.png"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files may remain");
        }
        // without INT8 settings the report has no INT8 keys at all
        Path plain = dir.resolve("plain");
        Specialiser fp32 = new Specialiser(new FakeBackend(), plain);
        ClosedLoop loop2 = new ClosedLoop(space, new TestPredictors.SmoothAccuracy(space, 1),
                EvolutionSearch.builder().optGenerations(5).build(), fp32.measurer(7), null,
                Map.of(cpu.deviceName(), timing), 2, 1, null);
        Specialiser.Report p = fp32.specialiseAll(loop2, targets, Map.of("here-5ms", timing), CostAxis.latency(cpu),
                List.of(), 4, 7).get(0);
        String json = Files.readString(p.reportFile());
        assertFalse(json.contains("int8"), json);
        assertTrue(Double.isNaN(p.int8TestAccuracy()) && p.int8OnnxFile() == null);
    }
}
