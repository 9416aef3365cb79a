package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {

    @TempDir Path dir;

    @Test
    void aReportOfTheCurrentVersionLoadsAndRendersItsSummary() throws Exception {
        RunReport r = RunReport.read(SliceJsonTest.fixture("run-report-quick.json"));
        assertEquals("quick", r.preset());
        assertEquals(ofa4j.models.SearchSpace.fmnist(), r.searchSpace().toSpace());
        assertEquals(1716, r.training().steps());
        assertEquals(0.8536, r.slices().get(1).testAccuracy());
        assertEquals("lat-0.253ms", r.slices().get(1).target());
        assertEquals(872.89, r.costs().totalCpuS());
        assertEquals(179, r.predictor().afterRefinement().rows());
        assertEquals("95% interval 85.6-88.5% (+-1.5 points, 2000 images)", r.valInterval95());
        assertNull(r.valIntervalWide()); // not written by the build of the fixture
        String md = r.summary();
        assertTrue(md.contains("| lat-0.253ms | `" + r.slices().get(1).key() + "` |"), md);
        assertTrue(md.contains("85.36%"), md);

        r.write(dir);
        assertEquals(r, RunReport.read(dir.resolve("report.json")));
        assertEquals(md, Files.readString(dir.resolve("summary.md")));
        // a report of a version without precisions: its slices are FP32
        assertNull(r.slices().get(0).precision());
        assertEquals("fp32", r.slices().get(0).deliveredPrecision());
        assertTrue(md.contains("| lat-0.253ms | `" + r.slices().get(1).key() + "` | fp32 |"), md);
    }

    @Test
    void eachSliceRecordsItsPrecisionAndAutoBothCandidates() throws Exception {
        RunReport r = RunReport.read(SliceJsonTest.fixture("run-report-quick.json"));
        RunReport.Slice s = r.slices().get(1);
        AutoChoice auto = new AutoChoice(AutoChoice.FORMAT_VERSION, s.target(), "int8", "int8/" + s.target() + ".int8.onnx",
                "int8: measured validation accuracy 86.10% (int8) vs 85.90% (fp32)",
                new AutoChoice.Side("fp32-arch", 0.859, 0.8536, 0.251, s.target() + ".onnx", s.target() + ".json", false),
                new AutoChoice.Side("int8-arch", 0.861, 0.8512, 0.198, "int8/" + s.target() + ".int8.onnx",
                        "int8/" + s.target() + ".json", false));
        RunReport.Slice int8 = new RunReport.Slice(s.target(), "int8-arch", s.macs(), s.params(), s.predictedAccuracy(),
                s.valAccuracy(), s.testAccuracy(), 0.2, 0.198, s.candidatesMeasured(), s.deliveredFromRound(),
                s.outsideTableRange(), s.onnx(), s.report(), s.predictedAccuracyBasis(), s.searchPredictedAccuracy(),
                0.861, 0.8512, "int8/" + s.target() + ".int8.onnx", "int8", auto);
        java.util.List<RunReport.Slice> slices = new java.util.ArrayList<>(r.slices());
        slices.set(1, int8);
        RunReport.Slice fp32 = slices.get(0);
        slices.set(0, new RunReport.Slice(fp32.target(), fp32.key(), fp32.macs(), fp32.params(), fp32.predictedAccuracy(),
                fp32.valAccuracy(), fp32.testAccuracy(), fp32.predictedLatencyMs(), fp32.measuredLatencyMs(),
                fp32.candidatesMeasured(), fp32.deliveredFromRound(), fp32.outsideTableRange(), fp32.onnx(), fp32.report(),
                fp32.predictedAccuracyBasis(), fp32.searchPredictedAccuracy(), fp32.int8ValAccuracy(),
                fp32.int8TestAccuracy(), fp32.int8Onnx(), "fp32", null));
        RunReport withPrecision = new RunReport(r.formatVersion(), r.created(), r.preset(), r.space(), r.searchSpace(),
                r.data(), r.seed(), r.checkpointSha256(), r.training(), r.device(), r.predictor(), r.closedLoop(),
                r.valInterval95(), r.valIntervalWide(), slices, r.paretoPlot(), r.costs(), r.totalWallS());
        withPrecision.write(dir);
        com.google.gson.JsonArray js = com.google.gson.JsonParser.parseString(Files.readString(dir.resolve("report.json")))
                .getAsJsonObject().getAsJsonArray("slices");
        assertEquals("fp32", js.get(0).getAsJsonObject().get("precision").getAsString());
        assertTrue(!js.get(0).getAsJsonObject().has("auto"), "no auto block without --precision auto");
        com.google.gson.JsonObject j = js.get(1).getAsJsonObject();
        assertEquals("int8", j.get("precision").getAsString());
        assertEquals("int8", j.getAsJsonObject("auto").get("chosen").getAsString());
        assertEquals(0.859, j.getAsJsonObject("auto").getAsJsonObject("fp32").get("val_accuracy").getAsDouble());
        assertEquals(0.251, j.getAsJsonObject("auto").getAsJsonObject("fp32").get("latency_ms").getAsDouble());
        assertEquals(0.861, j.getAsJsonObject("auto").getAsJsonObject("int8").get("val_accuracy").getAsDouble());
        assertEquals(0.198, j.getAsJsonObject("auto").getAsJsonObject("int8").get("latency_ms").getAsDouble());
        assertEquals(withPrecision, RunReport.read(dir.resolve("report.json")));
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.contains("| " + s.target() + " | `int8-arch` | int8 (auto) |"), md);
        assertTrue(md.contains("| " + s.target() + " | int8 | `fp32-arch` | 85.90% / 85.36% | 0.251 | `int8-arch` | 86.10% / 85.12%"
                + " | 0.198 |"), md);
        assertTrue(md.contains("int8 rows: the delivered model is the INT8 one"), md);
    }
}
