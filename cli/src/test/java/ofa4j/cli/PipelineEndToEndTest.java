package ofa4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import ofa4j.cli.serve.SlicingServer;
import ofa4j.exporter.OnnxExporter;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.QualityReport;
import ofa4j.slicer.RunReport;
import ofa4j.slicer.SliceJson;
import ofa4j.supernet.data.FashionMnist;
import org.junit.jupiter.api.BeforeAll;
import org.openqa.selenium.WebElement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;


/**
 * The whole pipeline through the command line on the smoke preset (a minute of training on 256
 * images: the figures are not about accuracy), then every stage command on the run it leaves, with
 * their bad-input paths.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineEndToEndTest {

    @TempDir static Path dir;
    private Path run;
    private CliRunner.Result first;

    @BeforeAll
    void runTheMainJob() {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Fashion-MNIST is not installed at " + FashionMnist.SYSTEM_DIR);
        run = dir.resolve("smoke");
        first = CliRunner.run("run", "--preset", "smoke", "--out", run.toString(), "--samples", "20",
                "--calibration-images", "100", "--profile-subnets", "5", "--candidates", "3", "--rounds", "1", "--quiet");
        assertEquals(0, first.code(), first.err());
    }

    @Test
    void runLeavesReportSummaryPlotAndVerifiedOnnxFiles() throws Exception {
        RunReport r = RunReport.read(run.resolve("report.json"));
        assertEquals("smoke", r.preset());
        assertEquals(4, r.slices().size());
        for (RunReport.Slice s : r.slices()) {
            assertEquals("fp32", s.precision(), s.target());
            assertNull(s.auto(), s.target());
            Path onnx = Path.of(s.onnx());
            assertTrue(Files.size(onnx) > 10_000, onnx.toString());
            Map<String, String> meta = OnnxExporter.readMetadata(onnx);
            assertEquals(s.key(), meta.get(OnnxExporter.META_ARCH_KEY));
            assertTrue(s.testAccuracy() >= 0 && s.testAccuracy() <= 1, "test accuracy " + s.testAccuracy());
            SliceJson.Report rep = SliceJson.Report.read(Path.of(s.report()));
            assertTrue(rep.measured().onnxMaxAbsDiff() <= 1e-4, rep.toString());
            assertEquals(s.key(), rep.key());
            // the latency budgets hold for the predicted latency of the chosen subnets
            if (s.target().startsWith("lat-")) {
                double budget = Double.parseDouble(s.target().substring(4, s.target().length() - 2));
                assertTrue(s.predictedLatencyMs() <= budget + 1e-9, s.toString());
            }
        }
        assertEquals(6, r.costs().stages().size()); // train, profile, table, fit, slice, refit
        // the closed loop measured candidates, kept them apart from the sampled table and refitted on both
        assertTrue(r.closedLoop().candidatesMeasured() >= 4, r.closedLoop().toString());
        assertTrue(r.predictor().afterRefinement().rows() > r.predictor().rows(), r.predictor().toString());
        assertTrue(Files.isRegularFile(run.resolve("predictor").resolve(PredictorStage.MEASURED_FILE)));
        assertTrue(r.costs().totalCpuS() > 0);
        assertTrue(Files.size(run.resolve("slices").resolve("pareto.png")) > 5_000);
        assertTrue(Files.readString(run.resolve("summary.md")).contains("| target | subnet |"));
    }

    /**
     * Every exported model of the run, FP32 and INT8, has the same test top-1 in OpenCV DNN as in ONNX
     * Runtime, within 0.2 point: the FP32 model itself, and the INT8 model through its QOperator form
     * ({@code T.int8.opencv.onnx}, which OpenCV runs in int8; the QDQ file {@code T.int8.onnx} it is
     * rewritten from is what ONNX Runtime's reported INT8 accuracy is of).
     */
    @Test
    void everyDeliveredModelHasTheSameTestTop1InOpenCvAsInOnnxRuntime() throws Exception {
        org.junit.jupiter.api.Assertions.assertNull(ofa4j.exporter.OpenCvDnn.unavailable(),
                "OpenCV DNN is needed (apt-get install python3-opencv)");
        RunReport r = RunReport.read(run.resolve("report.json"));
        // the run's test split: the first test images
        ofa4j.supernet.data.ImageSet test = FashionMnist.load(null, true).test().head(r.data().testImages());
        assertEquals(r.data().testImages(), test.size());
        int[] idx = java.util.stream.IntStream.range(0, test.size()).toArray();
        int int8Checked = 0;
        for (RunReport.Slice s : r.slices()) {
            byte[] onnx = Files.readAllBytes(Path.of(s.onnx()));
            Map<String, String> meta = OnnxExporter.readMetadata(Path.of(s.onnx()));
            int res = Integer.parseInt(meta.get("ofa4j.resolution"));
            float[] mean = {Float.parseFloat(meta.get(ofa4j.models.Subnet.INPUT_MEAN_KEY))};
            float[] std = {Float.parseFloat(meta.get(ofa4j.models.Subnet.INPUT_STD_KEY))};
            float[] x = ofa4j.supernet.data.Batches.pixels(test, idx, res, mean, std);
            double ortTop1 = ortTop1(onnx, x, test, res);
            double cvTop1 = top1(ofa4j.exporter.OpenCvDnn.run(onnx, x, test.size(), 1, res, res).logits(), test.labels());
            assertEquals(s.testAccuracy(), ortTop1, 1e-9, s.target() + ": ONNX Runtime top-1 is the reported test accuracy");
            assertTrue(Math.abs(cvTop1 - ortTop1) <= 0.002, s.target() + ": OpenCV " + cvTop1 + " vs ONNX Runtime " + ortTop1);
            if (s.int8Onnx() == null) {
                continue;
            }
            Path qdq = Path.of(s.int8Onnx());
            Path qop = run.resolve("slices").resolve(s.target() + ".int8.opencv.onnx");
            byte[] qopBytes = Files.readAllBytes(qop);
            SliceJson.Report rep = SliceJson.Report.read(Path.of(s.report()));
            assertEquals(qop.getFileName().toString(), rep.int8OpenCvOnnx().file());
            assertEquals(qopBytes.length, rep.int8OpenCvOnnx().bytes());
            assertEquals(ofa4j.models.Hashing.sha256Hex(qopBytes), rep.int8OpenCvOnnx().sha256());
            Map<String, String> qopMeta = OnnxExporter.readMetadata(qop);
            assertEquals(ofa4j.exporter.Int8Exporter.FORM_QOPERATOR, qopMeta.get(ofa4j.exporter.Int8Exporter.META_FORM));
            assertEquals(ofa4j.exporter.Int8Exporter.FORM_QDQ,
                    OnnxExporter.readMetadata(qdq).get(ofa4j.exporter.Int8Exporter.META_FORM));
            assertEquals(s.key(), qopMeta.get(OnnxExporter.META_ARCH_KEY));
            double ortQdq = ortTop1(Files.readAllBytes(qdq), x, test, res);
            double ortQop = ortTop1(qopBytes, x, test, res);
            double cvQop = top1(ofa4j.exporter.OpenCvDnn.run(qopBytes, x, test.size(), 1, res, res).logits(), test.labels());
            assertEquals(s.int8TestAccuracy(), ortQdq, 1e-9, s.target() + ": the reported INT8 test accuracy");
            assertTrue(Math.abs(ortQop - ortQdq) <= 0.002, s.target() + ": ONNX Runtime, QOperator " + ortQop + " vs QDQ "
                    + ortQdq);
            assertTrue(Math.abs(cvQop - ortQdq) <= 0.002, s.target() + ": INT8 in OpenCV " + cvQop + " vs ONNX Runtime "
                    + ortQdq);
            int8Checked++;
        }
        assertEquals(r.slices().size(), int8Checked);
    }

    private static double ortTop1(byte[] onnx, float[] x, ofa4j.supernet.data.ImageSet test, int res) throws Exception {
        try (ofa4j.exporter.Verifier v = ofa4j.exporter.Verifier.open(onnx, 2)) {
            return top1(v.run(x, test.size(), 1, res, res).data(), test.labels());
        }
    }

    @Test
    void everyDeliveredSliceHasAnInt8ModelWhoseAccuraciesAreInItsReport() throws Exception {
        RunReport r = RunReport.read(run.resolve("report.json"));
        ofa4j.supernet.data.ImageSet test = FashionMnist.load(null, true).test().head(r.data().testImages());
        int[] idx = java.util.stream.IntStream.range(0, test.size()).toArray();
        for (RunReport.Slice s : r.slices()) {
            SliceJson.Report rep = SliceJson.Report.read(Path.of(s.report()));
            // FP32 and INT8 side by side in the slice report and the run report
            assertEquals(s.testAccuracy(), rep.measured().testAccuracy());
            assertEquals(s.int8TestAccuracy(), rep.measured().int8TestAccuracy(), s.target());
            assertEquals(s.int8ValAccuracy(), rep.measured().int8ValAccuracy(), s.target());
            // 500 calibration images by default, all 256 of the smoke preset's training split here
            assertTrue(rep.measured().int8Calibration().matches("minmax on 256 images of .*train.*, seed -?\\d+"),
                    rep.measured().int8Calibration());
            Path q = Path.of(s.int8Onnx());
            assertEquals(run.resolve("slices").resolve(s.target() + ".int8.onnx"), q);
            assertEquals(Files.size(q), rep.int8Onnx().bytes());
            Map<String, String> meta = OnnxExporter.readMetadata(q);
            assertEquals("int8", meta.get(ofa4j.exporter.Int8Exporter.META_PRECISION));
            assertEquals(s.key(), meta.get(OnnxExporter.META_ARCH_KEY));
            double ratio = (double) Files.size(q) / Files.size(Path.of(s.onnx()));
            assertTrue(ratio > 0.25 && ratio < 0.35, s.target() + ": INT8 / FP32 bytes " + ratio);
            // the reported INT8 test accuracy is the file's top-1 in ONNX Runtime on the run's test split
            int res = Integer.parseInt(meta.get("ofa4j.resolution"));
            float[] mean = {Float.parseFloat(meta.get(ofa4j.models.Subnet.INPUT_MEAN_KEY))};
            float[] std = {Float.parseFloat(meta.get(ofa4j.models.Subnet.INPUT_STD_KEY))};
            float[] x = ofa4j.supernet.data.Batches.pixels(test, idx, res, mean, std);
            try (ofa4j.exporter.Verifier v = ofa4j.exporter.Verifier.open(Files.readAllBytes(q), 2)) {
                assertEquals(s.int8TestAccuracy(), top1(v.run(x, test.size(), 1, res, res).data(), test.labels()), 1e-9,
                        s.target());
            }
        }
        assertTrue(Files.readString(run.resolve("summary.md")).contains("test accuracy FP32 -> INT8"));
    }

    private static double top1(float[] logits, int[] labels) {
        return (double) ofa4j.supernet.Evaluator.countCorrect(logits, logits.length / labels.length, labels) / labels.length;
    }

    @Test
    void resumeReusesEveryStage() throws Exception {
        Path qf = run.resolve("predictor").resolve(PredictorStage.QUALITY_FILE);
        JsonObject cvBefore = JsonParser.parseString(Files.readString(qf)).getAsJsonObject().getAsJsonObject("cross_validation");
        assertEquals(5, cvBefore.getAsJsonObject("ridge").getAsJsonArray("per_fold").size(), cvBefore.toString());
        // without --quiet: the stage lines say what was reused (-q prints only the results)
        CliRunner.Result again = CliRunner.run("run", "--preset", "smoke", "--out", run.toString(), "--samples", "20",
                "--calibration-images", "100", "--profile-subnets", "5", "--candidates", "3", "--rounds", "1", "--resume");
        assertEquals(0, again.code(), again.err());
        JsonObject r = JsonParser.parseString(Files.readString(run.resolve("report.json"))).getAsJsonObject();
        assertEquals(0, r.getAsJsonObject("predictor").get("new_rows").getAsInt());
        assertTrue(r.getAsJsonObject("device").get("reused").getAsBoolean());
        // the 5-fold cross-validation is read back, not refitted: same figures, flagged as reused
        assertTrue(r.getAsJsonObject("predictor").get("cross_validation_reused").getAsBoolean());
        assertEquals(cvBefore, JsonParser.parseString(Files.readString(qf)).getAsJsonObject().getAsJsonObject("cross_validation"));
        assertTrue(again.out().contains("cross-validation reused"), again.out());
    }

    @Test
    void crossValidationIsReusedOnlyForTheSameTableFoldsAndSeed() throws Exception {
        Path qf = run.resolve("predictor").resolve(PredictorStage.QUALITY_FILE);
        JsonObject stored = JsonParser.parseString(Files.readString(qf)).getAsJsonObject().getAsJsonObject("cross_validation");
        QualityReport.CrossValidationKey key = new QualityReport.CrossValidationKey(stored.get("folds").getAsInt(),
                stored.get("seed").getAsLong(), stored.get("table_sha256").getAsString(), null,
                stored.get("mlp_config").getAsString());
        List<ofa4j.predictor.CrossValidation> back = PredictorStage.reusableCrossValidation(qf, key);
        assertEquals(2, back.size());
        assertEquals(stored.getAsJsonObject("ridge").get("kendall_tau_mean").getAsDouble(), back.get(1).tauMean(), 1e-12);
        assertEquals(stored.getAsJsonObject("mlp").get("rmse_pt_sd").getAsDouble(), back.get(0).rmseSd(), 1e-12);
        QualityReport.CrossValidationKey otherTable = new QualityReport.CrossValidationKey(key.folds(), key.seed(),
                "0".repeat(64), null, key.mlpConfig());
        assertTrue(PredictorStage.reusableCrossValidation(qf, otherTable).isEmpty());
        QualityReport.CrossValidationKey otherFolds = new QualityReport.CrossValidationKey(4, key.seed(),
                key.tableSha256(), null, key.mlpConfig());
        assertTrue(PredictorStage.reusableCrossValidation(qf, otherFolds).isEmpty());
        Path corrupt = dir.resolve("corrupt-quality.json");
        Files.writeString(corrupt, "{\"cross_validation\":");
        assertTrue(PredictorStage.reusableCrossValidation(corrupt, key).isEmpty());
        assertTrue(PredictorStage.reusableCrossValidation(dir.resolve("absent.json"), key).isEmpty());
    }

    @Test
    void runRefusesToOverwriteWithoutResume() {
        CliRunner.Result r = CliRunner.run("run", "--preset", "smoke", "--out", run.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--resume"), r.err());
        CliRunner.Result badSpace = CliRunner.run("run", "--preset", "smoke", "--space", "fmnist-xl",
                "--out", dir.resolve("never").toString());
        assertEquals(2, badSpace.code());
        assertTrue(badSpace.err().contains("fmnist-xl") && badSpace.err().contains("fmnist-hr"), badSpace.err());
        assertTrue(!Files.exists(dir.resolve("never")), "a refused run leaves no directory");
    }

    @Test
    void evalAndExportWork() throws Exception {
        CliRunner.Result e = CliRunner.run("eval", "--supernet", run.resolve("supernet").toString(), "--arch", "min",
                "--calibration-images", "100", "--quiet");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("top-1") && e.out().contains("r20-"), e.out());
        Path onnx = dir.resolve("min.onnx");
        CliRunner.Result x = CliRunner.run("export", "--supernet", run.resolve("supernet").toString(), "--arch", "min",
                "--out", onnx.toString(), "--verify", "--calibration-images", "100", "--quiet");
        assertEquals(0, x.code(), x.err());
        assertTrue(x.out().contains("PASS"), x.out());
        assertTrue(Files.size(onnx) > 10_000);
        try (var files = Files.list(dir)) { // verified under a temporary name, then renamed: none is left
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
        }
        Path q = dir.resolve("min.int8.onnx");
        CliRunner.Result i = CliRunner.run("export", "--supernet", run.resolve("supernet").toString(), "--arch", "min",
                "--precision", "int8", "--int8-calibration", "minmax", "--int8-images", "64", "--out", q.toString(),
                "--verify", "--calibration-images", "100", "--quiet");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("ONNX Runtime top-1, FP32 -> INT8: validation ") && i.out().contains("(minmax on 64 images of"),
                i.out());
        Map<String, String> meta = OnnxExporter.readMetadata(q);
        assertEquals("int8", meta.get(ofa4j.exporter.Int8Exporter.META_PRECISION));
        assertEquals("minmax", meta.get(ofa4j.exporter.Int8Exporter.META_CALIBRATION_METHOD));
        assertEquals("64", meta.get(ofa4j.exporter.Int8Exporter.META_CALIBRATION_IMAGES));
        assertTrue(Files.size(q) < Files.size(onnx) / 3, Files.size(q) + " vs " + Files.size(onnx));
        // and its QOperator form for OpenCV DNN, next to it
        Path qop = dir.resolve("min.int8.opencv.onnx");
        assertArrayEquals(ofa4j.exporter.Int8Exporter.toQOperator(Files.readAllBytes(q)), Files.readAllBytes(qop));
        assertTrue(i.out().contains("ONNX Runtime top-1 of the QOperator form (for OpenCV DNN): validation "), i.out());
        assertTrue(i.out().contains(qop + " (" + Files.size(qop) + " bytes, QOperator form for OpenCV DNN)"), i.out());
    }

    @Test
    void badInputIsOneLineWithExitCode() {
        CliRunner.Result r = CliRunner.run("eval", "--supernet", dir.resolve("nothing").toString(), "--quiet");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nothing") && r.err().contains("no checkpoint"), r.err());
        r = CliRunner.run("export", "--supernet", run.resolve("supernet").toString(), "--arch", "{\"resolution\":99}");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("depths"), r.err());
        r = CliRunner.run("export", "--supernet", run.resolve("supernet").toString(), "--arch", "min", "--precision", "int4");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--precision must be one of [fp32, int8], found 'int4'"), r.err());
        r = CliRunner.run("export", "--supernet", run.resolve("supernet").toString(), "--arch", "min", "--precision", "int8",
                "--int8-calibration", "entropy");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--int8-calibration must be one of minmax, percentile; found 'entropy'"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--max-macs", "3000000", "--int8-percentile", "30");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--int8-percentile must be in (50, 100], found 30.0"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--device", "toaster", "--max-macs", "1000000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'toaster'") && r.err().contains("cpu-ort-1t"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--max-macs", "1000", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("1409496") || r.err().contains("1.409"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--max-macs", "3000000", "--predictor", "oracle", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'oracle'") && r.err().contains("[best, mlp, ridge]"), r.err());
        r = CliRunner.run("pareto", "--run", run.toString(), "--axis", "joules");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'joules'"), r.err());
        r = CliRunner.run("train", "--preset", "huge");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'huge'") && r.err().contains("quick"), r.err());
        r = CliRunner.run("profile", "--import", "x.csv");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--kit"), r.err());
        r = CliRunner.run("serve", "--run", run.toString(), "--port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--port") && r.err().contains("70000"), r.err());
        r = CliRunner.run("serve", "--run", dir.resolve("nothing").toString(), "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no device profiles"), r.err());
        r = CliRunner.run("predictor", "fit", "--run", run.toString(), "--samples", "5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--samples") && r.err().contains("5"), r.err());
        r = CliRunner.run("predictor", "fit", "--run", run.toString(), "--spark", "yarn");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--spark must be local, local[N]") && r.err().contains("found 'yarn'"), r.err());
        r = CliRunner.run("run", "--preset", "smoke", "--out", dir.resolve("never").toString(), "--spark", "local[2]",
                "--spark-threads", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--spark-threads must be in [1, 256], found 0"), r.err());
        assertTrue(!Files.exists(dir.resolve("never")), "a bad Spark option must stop the run before training");
        r = CliRunner.run("slice", "--run", run.toString(), "--max-latency-ms", "0.2,0.3", "--spark", "local[2]",
                "--spark-latency", "timed", "--out", dir.resolve("never").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--spark-latency must be one of profile, measure; found 'timed'"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--max-latency-ms", "0.2,0.20", "--out",
                dir.resolve("never").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--max-latency-ms budgets must be distinct, found 0.2 twice in [0.2, 0.2]"), r.err());
        assertTrue(!Files.exists(dir.resolve("never")), "a bad fleet option must stop before slicing");
        // a fleet of another precision needs that precision's profile: the run has none yet
        r = CliRunner.run("slice", "--run", run.toString(), "--max-latency-ms", "0.2,0.3", "--precision", "int8", "--spark",
                "local[2]", "--out", dir.resolve("never").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown device 'cpu-ort-1t-int8'"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--max-latency-ms", "0.2,0.3", "--precision", "auto", "--out",
                dir.resolve("never").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown device 'cpu-ort-1t-int8'"), r.err());
        assertTrue(!Files.exists(dir.resolve("never")), "a refused precision must stop before anything is written");
    }

    @Test
    void predictorFitOnSparkBuildsTheRunsTableByteForByte() throws Exception {
        // a copy of the trained supernet without its table: --spark local[2] measures the 20 subnets
        // that 'ofa run' measured in-process, with the same seed
        Path copy = dir.resolve("on-spark");
        try (var files = Files.walk(run.resolve("supernet"))) {
            for (Path f : files.toList()) {
                Path to = copy.resolve("supernet").resolve(run.resolve("supernet").relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        CliRunner.Result r = CliRunner.run("predictor", "fit", "--run", copy.toString(), "--samples", "20",
                "--calibration-images", "100", "--cv", "0", "--spark", "local[2]", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("20 rows (20 new) in ") && r.out().contains(" on Spark: 8 tasks on 1 executor(s)"),
                r.out());
        Path table = Path.of(PredictorStage.ACCURACY_FILE);
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(run.resolve("predictor").resolve(table)),
                Files.readAllBytes(copy.resolve("predictor").resolve(table)));
    }

    @Test
    void stageCommandsWorkOnTheirOwn() throws Exception {
        // predictor fit on the run's table: every row is already there, so nothing is re-measured
        CliRunner.Result r = CliRunner.run("predictor", "fit", "--run", run.toString(), "--samples", "20",
                "--calibration-images", "100", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("20 rows (0 new)"), r.out());
        assertTrue(r.out().contains("mlp: n=") && r.out().contains("ridge: n="), r.out());
        assertTrue(r.out().contains("mlp: 5-fold CV Kendall tau") && r.out().contains("ridge: 5-fold CV Kendall tau"), r.out());
        JsonObject cv = JsonParser.parseString(Files.readString(run.resolve("predictor").resolve(PredictorStage.QUALITY_FILE)))
                .getAsJsonObject().getAsJsonObject("cross_validation");
        assertEquals(5, cv.get("folds").getAsInt());
        double tau = cv.getAsJsonObject("ridge").get("kendall_tau_mean").getAsDouble();
        assertTrue(tau >= -1 && tau <= 1 && cv.getAsJsonObject("ridge").get("kendall_tau_min").getAsDouble() <= tau, cv.toString());
        // a profile of this machine
        Path prof = dir.resolve("devices").resolve("here.json");
        r = CliRunner.run("profile", "--out", prof.toString(), "--subnets", "3", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("profiled cpu-ort-1t"), r.out());
        JsonObject p = JsonParser.parseString(Files.readString(prof)).getAsJsonObject();
        assertEquals("cpu-ort-1t", p.get("name").getAsString());
        // training on its own, resumed: the finished smoke run has nothing left to do
        r = CliRunner.run("train", "--preset", "smoke", "--out", run.resolve("supernet").toString(), "--resume", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("trained fmnist (smoke preset)"), r.out());
    }

    @Test
    void sliceAndParetoWork() throws Exception {
        Path out = dir.resolve("slice-out");
        CliRunner.Result r = CliRunner.run("slice", "--run", run.toString(), "--max-macs", "3000000", "--out", out.toString(),
                "--calibration-images", "100", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("MACs <= 3.000 M"), r.out());
        assertTrue(r.out().contains("accuracy predictor: mlp (") || r.out().contains("accuracy predictor: ridge ("), r.out());
        JsonObject rep = JsonParser.parseString(Files.readString(out.resolve("slice.json"))).getAsJsonObject();
        assertTrue(rep.get("macs").getAsLong() <= 3_000_000, rep.get("macs").toString());
        assertTrue(Files.size(out.resolve("slice.onnx")) > 10_000);
        Path png = dir.resolve("front.png");
        r = CliRunner.run("pareto", "--run", run.toString(), "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(png) > 5_000);
        assertTrue(r.out().contains("front of"), r.out());
    }

    @Test
    void int8ProfileAndSlicesOfEachPrecisionAndAuto() throws Exception {
        // a copy of the run: the INT8 profile and rows stay out of the other tests' run
        Path r8 = dir.resolve("int8-run");
        try (var files = Files.walk(run)) {
            for (Path f : files.toList()) {
                Path t = r8.resolve(run.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
        CliRunner.Result r = CliRunner.run("profile", "--supernet", r8.resolve("supernet").toString(), "--precision", "int8",
                "--subnets", "3", "--held-out", "3", "--out", r8.resolve("devices").resolve("cpu-ort-1t-int8.json").toString(),
                "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("profiled cpu-ort-1t-int8 (int8)") && r.out().contains("held-out: 3 other random subnets"),
                r.out());
        JsonObject prof = JsonParser.parseString(Files.readString(r8.resolve("devices").resolve("cpu-ort-1t-int8.json")))
                .getAsJsonObject();
        assertEquals("int8", prof.get("precision").getAsString());
        assertEquals(2, prof.get("version").getAsInt());
        // an FP32 slice refuses the INT8 profile, an INT8 slice the FP32 one
        r = CliRunner.run("slice", "--run", r8.toString(), "--device", "cpu-ort-1t-int8", "--max-macs", "3000000", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("device profile 'cpu-ort-1t-int8' times int8 models, but fp32 models are asked for"),
                r.err());
        r = CliRunner.run("slice", "--run", r8.toString(), "--device", "cpu-ort-1t", "--precision", "int8", "--max-macs",
                "3000000", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("device profile 'cpu-ort-1t' times fp32 models, but int8 models are asked for"), r.err());
        r = CliRunner.run("slice", "--run", r8.toString(), "--precision", "int4", "--max-macs", "3000000", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--precision must be one of fp32, int8, auto; found 'int4'"), r.err());
        r = CliRunner.run("profile", "--precision", "int8", "--engine", "pytorch", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--precision int8 needs --engine onnxruntime"), r.err());
        // an INT8 slice: searched with the INT8 profile, measured and delivered as an INT8 model
        // three times the middle subnet's latency: every subnet of the smoke space fits
        double budget = 3 * prof.getAsJsonObject("measurement").get("anchorMs").getAsDouble();
        Path o8 = dir.resolve("slice-int8");
        r = CliRunner.run("slice", "--run", r8.toString(), "--precision", "int8", "--max-latency-ms",
                String.valueOf(budget), "--out", o8.toString(), "--calibration-images", "100", "--candidates", "2",
                "--int8-images", "50", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("[int8] latency"), r.out());
        SliceJson.Report rep = SliceJson.Report.read(o8.resolve("slice.json"));
        assertEquals("int8", rep.precision());
        assertTrue(rep.measured().latencyMs() <= budget, rep.measured().latencyMs() + " > " + budget);
        assertTrue(Files.size(o8.resolve("slice.int8.onnx")) > 5_000);
        assertEquals("int8", OnnxExporter.readMetadata(o8.resolve("slice.int8.onnx")).get("ofa4j.slice.precision"));
        List<String> rows = Files.readAllLines(r8.resolve("predictor").resolve("int8-measured.jsonl"));
        assertTrue(rows.size() >= 1 && rows.get(0).contains("\"int8_val_accuracy\""), rows.toString());
        // auto: both precisions under the same budget, the higher measured validation accuracy delivered
        Path oa = dir.resolve("slice-auto");
        r = CliRunner.run("slice", "--run", r8.toString(), "--precision", "auto", "--max-latency-ms", String.valueOf(budget),
                "--out", oa.toString(), "--calibration-images", "100", "--candidates", "2", "--int8-images", "50", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonObject auto = JsonParser.parseString(Files.readString(oa.resolve("slice.auto.json"))).getAsJsonObject();
        double v32 = auto.getAsJsonObject("fp32").get("val_accuracy").getAsDouble();
        double v8 = auto.getAsJsonObject("int8").get("val_accuracy").getAsDouble();
        assertEquals(v8 >= v32 ? "int8" : "fp32", auto.get("chosen").getAsString(), auto.toString());
        assertTrue(Files.isRegularFile(oa.resolve(auto.get("onnx").getAsString())), auto.toString());
        assertEquals("fp32", SliceJson.Report.read(oa.resolve("fp32").resolve("slice.json")).precision());
        assertEquals("int8", SliceJson.Report.read(oa.resolve("int8").resolve("slice.json")).precision());
        assertTrue(r.out().contains("auto: slice -> "), r.out());
        serveSearchesEachPrecisionWithItsProfile(r8, budget);
    }

    /** {@code ofa serve} on a run with an INT8 profile: int8 searched and timed with it, auto choosing, bad names 400. */
    private void serveSearchesEachPrecisionWithItsProfile(Path r8, double budget) throws Exception {
        CandidatesOption two = new CandidatesOption();
        two.k = 2;
        ofa4j.predictor.DeviceProfile p32 = ofa4j.predictor.DeviceProfile.find(r8.resolve("devices"), "cpu-ort-1t");
        ofa4j.predictor.DeviceProfile p8 = ofa4j.predictor.DeviceProfile.find(r8.resolve("devices"), "cpu-ort-1t-int8");
        try (ServeCommand.Backend backend = ServeCommand.Backend.open(r8, "best", new DataOptions(), 100, two, 42, true);
                SlicingServer server = new SlicingServer(backend, SlicingServer.Options.defaults().withThreads(8, 1))) {
            int port = server.start("127.0.0.1", 0);
            HttpClient http = HttpClient.newHttpClient();
            java.util.function.Function<String, HttpResponse<String>> post = body -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/slice"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(), HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            HttpResponse<String> bad = post.apply("{\"device\":\"cpu-ort-1t\",\"precision\":\"int4\"}");
            assertEquals(400, bad.statusCode(), bad.body());
            JsonObject jb = JsonParser.parseString(bad.body()).getAsJsonObject();
            assertEquals("precision", jb.get("field").getAsString());
            assertEquals("field 'precision' must be one of [fp32, int8, auto], found \"int4\"", jb.get("error").getAsString());
            JsonObject devices = JsonParser.parseString(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + port + "/v1/devices")).build(), HttpResponse.BodyHandlers.ofString()).body()).getAsJsonObject();
            assertEquals("[\"cpu-ort-1t\"]", devices.get("devices").toString(), "INT8 profiles are not devices of their own");
            assertEquals("[\"fp32\",\"int8\",\"auto\"]", devices.getAsJsonObject("precisions").get("cpu-ort-1t").toString());
            String body = "{\"device\":\"cpu-ort-1t\",\"max_latency_ms\":" + budget + ",\"precision\":\"int8\"}";
            HttpResponse<String> a = post.apply(body);
            assertEquals(200, a.statusCode(), a.body());
            JsonObject j8 = JsonParser.parseString(a.body()).getAsJsonObject();
            assertEquals("int8", j8.get("precision").getAsString());
            assertEquals("cpu-ort-1t-int8", j8.get("latency_profile").getAsString());
            ofa4j.models.ArchConfig arch = ofa4j.models.ArchConfig.fromJsonTree(j8.getAsJsonObject("arch"));
            // the predicted latency is the INT8 profile's, not the FP32 one's; the measured one its meter's
            assertEquals(p8.predictMs(arch), j8.getAsJsonObject("predicted").get("latency_ms").getAsDouble(), 1e-9);
            assertTrue(p8.predictMs(arch) != p32.predictMs(arch));
            assertEquals("measurement", j8.getAsJsonObject("measured").get("latency_checked_by").getAsString());
            double measured8 = j8.getAsJsonObject("measured").get("latency_ms").getAsDouble();
            assertTrue(measured8 > 0 && measured8 <= budget, j8.toString());
            HttpResponse<byte[]> m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + j8.get("onnx").getAsString())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, m.statusCode());
            Map<String, String> meta = OnnxExporter.readMetadata(m.body());
            assertEquals("int8", meta.get(ofa4j.exporter.Int8Exporter.META_PRECISION));
            assertEquals(j8.get("key").getAsString(), meta.get(OnnxExporter.META_ARCH_KEY));
            // auto: both searches (the INT8 one from the backend's cache), the higher measured accuracy delivered
            HttpResponse<String> au = post.apply(body.replace("\"int8\"", "\"auto\""));
            assertEquals(200, au.statusCode(), au.body());
            JsonObject ja = JsonParser.parseString(au.body()).getAsJsonObject();
            JsonObject how = ja.getAsJsonObject("auto");
            JsonObject s32 = how.getAsJsonObject("fp32");
            JsonObject s8 = how.getAsJsonObject("int8");
            assertEquals("cpu-ort-1t", s32.get("latency_profile").getAsString());
            assertEquals("cpu-ort-1t-int8", s8.get("latency_profile").getAsString());
            assertEquals(j8.get("key").getAsString(), s8.get("key").getAsString());
            assertEquals(j8.getAsJsonObject("measured").get("val_accuracy").getAsDouble(), s8.get("val_accuracy").getAsDouble());
            String want = s32.get("over_budget").getAsBoolean() != s8.get("over_budget").getAsBoolean()
                    ? (s32.get("over_budget").getAsBoolean() ? "int8" : "fp32")
                    : s8.get("val_accuracy").getAsDouble() >= s32.get("val_accuracy").getAsDouble() ? "int8" : "fp32";
            assertEquals(want, how.get("chosen").getAsString(), ja.toString());
            assertEquals(want, ja.get("precision").getAsString());
            assertEquals(how.getAsJsonObject(want).get("key").getAsString(), ja.get("key").getAsString());
            // the page: INT8 and auto enabled for this device; auto answers from the cache with the API's figures
            assertNull(Browser.unavailable(), Browser.unavailable());
            try (Browser br = new Browser(Files.createDirectories(dir.resolve("int8-downloads")), 1280, 800)) {
                br.driver.get("http://127.0.0.1:" + port + "/");
                br.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 60);
                assertTrue(br.byId("precision-int8").isEnabled() && br.byId("precision-auto").isEnabled());
                assertTrue(!br.byId("precision-hint").isDisplayed());
                WebElement exact = br.byId("budget-exact");
                exact.clear();
                exact.sendKeys(String.valueOf(budget));
                br.byId("precision-auto").click();
                br.byId("slice").click();
                br.waitShown("result", 60);
                Map<String, String> table = new java.util.LinkedHashMap<>();
                for (WebElement td : br.all("#result-table tr td")) {
                    table.put(td.findElement(org.openqa.selenium.By.xpath("..")).getAttribute("data-field"),
                            td.getAttribute("data-value"));
                }
                assertEquals(want, table.get("precision"));
                assertEquals(ja.get("latency_profile").getAsString(), table.get("latency_profile"));
                assertEquals(how.get("why").getAsString(), table.get("auto"));
                assertEquals(ja.get("key").getAsString(), table.get("key"));
            }
            System.out.printf("[serve auto] fp32 val %.4f lat %s, int8 val %.4f lat %s -> %s%n",
                    s32.get("val_accuracy").getAsDouble(), s32.get("latency_ms"), s8.get("val_accuracy").getAsDouble(),
                    s8.get("latency_ms"), want);
        }
    }

    @Test
    void finetuneTrainsASliceAndResumes() throws Exception {
        Path ft = dir.resolve("finetune");
        CliRunner.Result r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "1",
                "--int8-images", "50", "--qat", "off", "--out", ft.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("before: val ") && r.out().contains("after 1 epoch(s): val "), r.out());
        assertTrue(r.out().contains(": no quantization-aware fine-tuning (--qat off)"), r.out());
        JsonObject rep = JsonParser.parseString(Files.readString(ft.resolve("finetune.json"))).getAsJsonObject();
        assertEquals(1, rep.get("epochs").getAsInt());
        assertEquals(0, rep.get("resumed_from").getAsInt());
        assertEquals(1, rep.getAsJsonArray("history").size());
        assertEquals(false, rep.get("qat").getAsBoolean());
        assertEquals("off", rep.get("qat_mode").getAsString());
        assertNull(rep.get("quantization_aware"));
        assertFalse(Files.exists(ft.resolve("qat")));
        // the run's accuracy table decides the BN recalibration, as for the run's own slices
        assertEquals(AccuracyTableInfo.read(run.resolve("predictor")).calibrationImages(),
                rep.get("calibration_images").getAsInt());
        // without QAT the INT8 model is the post-training export of the fine-tuned weights
        assertEquals("0", OnnxExporter.readMetadata(ft.resolve("finetuned.int8.onnx")).get("ofa4j.finetune.qat_epochs"));
        for (String when : List.of("before", "after")) {
            for (String k : List.of("val", "test", "int8_val", "int8_test")) {
                double a = rep.getAsJsonObject(when).get(k).getAsDouble();
                assertTrue(a > 0.1 && a <= 1, when + "." + k + " = " + a);
            }
        }
        assertTrue(Files.size(ft.resolve("finetuned.onnx")) > 10_000);
        assertEquals("1", OnnxExporter.readMetadata(ft.resolve("finetuned.onnx")).get("ofa4j.finetune.epochs"));
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "1", "--out", ft.toString(), "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("already holds a fine-tune; use --resume"), r.err());
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "max", "--epochs", "1", "--out", ft.toString(),
                "--resume", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is of subnet "), r.err());
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "1", "--int8-images", "50",
                "--out", ft.toString(), "--resume", "--quiet");
        assertEquals(0, r.code(), r.err());
        rep = JsonParser.parseString(Files.readString(ft.resolve("finetune.json"))).getAsJsonObject();
        assertEquals(1, rep.get("resumed_from").getAsInt()); // nothing left to train
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--slice", "x.json", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("exactly one of --slice (a slice report) and --arch"), r.err());
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--calibration-images", "0",
                "--out", dir.resolve("ft-bad").toString(), "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--calibration-images must be >= 1, found 0"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("ft-bad")));
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "0", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--epochs must be in [1, 1000], found 0"), r.err());
    }

    @Test
    void scratchStartsBeforeTheSupernetHasFinishedAndResumeAddsTheComparison() throws Exception {
        // a copy of the run whose newest checkpoint is the one before the end: a supernet still training
        Path early = dir.resolve("early");
        Path sup = early.resolve("supernet");
        Files.createDirectories(sup);
        try (var files = Files.walk(run.resolve("supernet"))) {
            for (Path f : files.toList()) {
                Path to = sup.resolve(run.resolve("supernet").relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        List<String> ckpts;
        try (var l = Files.list(sup)) {
            ckpts = l.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("ckpt-")).sorted().toList();
        }
        assertEquals(2, ckpts.size(), ckpts.toString());
        Files.writeString(sup.resolve("latest"), ckpts.get(0) + "\n");
        Path sc = dir.resolve("scratch");
        CliRunner.Result r = CliRunner.run("scratch", "--run", early.toString(), "--arch", "min", "--epochs", "2",
                "--out", sc.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        String waiting = "the supernet in " + sup + " has not finished training (newest checkpoint " + ckpts.get(0)
                + ": phase ";
        assertEquals(1, r.out().lines().filter(l -> l.startsWith(waiting)).count(), r.out());
        JsonObject rep = JsonParser.parseString(Files.readString(sc.resolve("scratch.json"))).getAsJsonObject();
        assertEquals(2, rep.get("format_version").getAsInt());
        assertEquals(2, rep.get("epochs").getAsInt());
        assertEquals(2, rep.getAsJsonArray("epoch_loss").size());
        assertEquals(ckpts.get(0), rep.get("supernet_checkpoint").getAsString());
        assertTrue(!rep.has("sliced_val") || rep.get("sliced_val").isJsonNull(), rep.toString());
        double scratchVal = rep.get("scratch_val").getAsDouble();
        assertTrue(scratchVal > 0 && scratchVal <= 1, rep.toString());
        assertTrue(Files.isRegularFile(sc.resolve("scratch-state.json")));

        r = CliRunner.run("scratch", "--run", early.toString(), "--arch", "min", "--epochs", "2", "--out", sc.toString(),
                "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("already holds a from-scratch training; use --resume"), r.err());

        // the supernet has finished: --resume trains nothing more and adds the sliced comparison
        Files.writeString(sup.resolve("latest"), ckpts.get(1) + "\n");
        r = CliRunner.run("scratch", "--run", early.toString(), "--arch", "min", "--epochs", "2", "--out", sc.toString(),
                "--resume", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resumed after epoch 2 of 2"), r.out());
        rep = JsonParser.parseString(Files.readString(sc.resolve("scratch.json"))).getAsJsonObject();
        assertEquals(2, rep.get("resumed_from").getAsInt());
        assertEquals(scratchVal, rep.get("scratch_val").getAsDouble());
        assertEquals(ckpts.get(1), rep.get("supernet_checkpoint").getAsString());
        double sliced = rep.get("sliced_val").getAsDouble();
        assertTrue(sliced > 0 && sliced <= 1, rep.toString());
        assertTrue(!rep.has("note") || rep.get("note").isJsonNull(), rep.toString());
    }

    @Test
    void finetuneWithQatOnTrainsTheFakeQuantizedSubnetAndReportsInt8BeforeAndAfter() throws Exception {
        Path ft = dir.resolve("finetune-qat");
        CliRunner.Result r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "1",
                "--int8-images", "50", "--qat", "on", "--qat-epochs", "1", "--out", ft.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(": quantization-aware fine-tuning (--qat on)"), r.out());
        assertTrue(r.out().contains("after 1 QAT epoch(s): val "), r.out());
        JsonObject rep = JsonParser.parseString(Files.readString(ft.resolve("finetune.json"))).getAsJsonObject();
        assertEquals(2, rep.get("format_version").getAsInt());
        assertTrue(rep.get("qat").getAsBoolean());
        assertEquals("on", rep.get("qat_mode").getAsString());
        JsonObject q = rep.getAsJsonObject("quantization_aware");
        assertEquals(1, q.get("epochs").getAsInt());
        assertEquals(0.001, q.get("lr").getAsDouble());
        assertEquals(1, q.getAsJsonArray("history").size());
        // QAT starts from the FP32 fine-tune: its "before" is the report's "after"
        assertEquals(rep.getAsJsonObject("after"), q.getAsJsonObject("before"));
        for (String k : List.of("val", "test", "int8_val", "int8_test")) {
            double a = q.getAsJsonObject("after").get(k).getAsDouble();
            assertTrue(a > 0.1 && a <= 1, "quantization_aware.after." + k + " = " + a);
        }
        assertTrue(rep.get("note").getAsString().contains("; INT8 validation accuracy "), rep.get("note").getAsString());
        // QAT changed the trained weights and left the BN statistics (frozen, folded by the export) alone
        ofa4j.models.Subnet fp32 = ofa4j.models.Subnet.load(ft.resolve("subnet-e1.bin"));
        ofa4j.models.Subnet qat = ofa4j.models.Subnet.load(ft.resolve("qat").resolve("subnet-e1.bin"));
        double changed = 0;
        for (var e : fp32.tensors().entrySet()) {
            float[] x = e.getValue().data();
            float[] y = qat.tensors().get(e.getKey()).data();
            boolean statistic = e.getKey().endsWith(".mean") || e.getKey().endsWith(".var");
            for (int i = 0; i < x.length; i++) {
                if (statistic) {
                    assertEquals(x[i], y[i], 0f, e.getKey());
                } else {
                    changed = Math.max(changed, Math.abs(x[i] - y[i]));
                }
            }
        }
        assertTrue(changed > 1e-4, "QAT changed no weight (max change " + changed + ")");
        Map<String, String> meta = OnnxExporter.readMetadata(ft.resolve("finetuned.int8.onnx"));
        assertEquals("1", meta.get("ofa4j.finetune.qat_epochs"));
        assertEquals("int8", meta.get("ofa4j.precision"));
        assertEquals(String.format(java.util.Locale.ROOT, "%.6f", q.getAsJsonObject("after").get("int8_val").getAsDouble()),
                meta.get("ofa4j.finetune.measured_int8_val_accuracy"));
        // resumable: nothing left to train in either stage
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--epochs", "1", "--int8-images", "50",
                "--qat", "on", "--qat-epochs", "1", "--out", ft.toString(), "--resume", "--quiet");
        assertEquals(0, r.code(), r.err());
        rep = JsonParser.parseString(Files.readString(ft.resolve("finetune.json"))).getAsJsonObject();
        assertEquals(1, rep.getAsJsonObject("quantization_aware").get("resumed_from").getAsInt());
        assertEquals(q.getAsJsonObject("after"), rep.getAsJsonObject("quantization_aware").getAsJsonObject("after"));
        // bad values: one line naming the value and what is allowed, before any work
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--qat", "maybe", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--qat must be one of auto, on, off; found 'maybe'"), r.err());
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--qat-epochs", "0", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--qat-epochs must be in [1, 1000], found 0"), r.err());
        r = CliRunner.run("finetune", "--run", run.toString(), "--arch", "min", "--qat-lr", "-1", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--qat-lr must be in (0, 10), found -1.0"), r.err());
    }

    @Test
    void bestPredictorIsTheOneThatRanksBetterInQualityJson() throws Exception {
        Path pd = dir.resolve("pred-choice");
        Files.createDirectories(pd);
        for (String f : List.of(PredictorStage.MLP_FILE, PredictorStage.RIDGE_FILE)) {
            Files.copy(run.resolve("predictor").resolve(f), pd.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (PredictorStage.LoadedPredictor p = PredictorStage.loadPredictor(pd, "best")) {
            assertEquals("mlp", p.predictor().name());
            assertTrue(p.why().contains("no quality.json"), p.why());
        }
        // the run's own quality.json with the taus set by hand
        JsonObject q = JsonParser.parseString(Files.readString(run.resolve("predictor").resolve(PredictorStage.QUALITY_FILE)))
                .getAsJsonObject();
        q.getAsJsonObject("mlp").addProperty("kendall_tau", 0.9);
        q.getAsJsonObject("ridge").addProperty("kendall_tau", 0.5);
        q.getAsJsonObject("cross_validation").getAsJsonObject("mlp").addProperty("kendall_tau_mean", 0.70);
        q.getAsJsonObject("cross_validation").getAsJsonObject("ridge").addProperty("kendall_tau_mean", 0.75);
        Files.writeString(pd.resolve(PredictorStage.QUALITY_FILE), q.toString());
        try (PredictorStage.LoadedPredictor p = PredictorStage.loadPredictor(pd, "best")) {
            assertEquals("ridge", p.predictor().name());
            assertTrue(p.why().contains("cross-validation") && p.why().contains("0.750"), p.why());
        }
        q.remove("cross_validation"); // held-out figures only
        Files.writeString(pd.resolve(PredictorStage.QUALITY_FILE), q.toString());
        try (PredictorStage.LoadedPredictor p = PredictorStage.loadPredictor(pd, "best");
                PredictorStage.LoadedPredictor forced = PredictorStage.loadPredictor(pd, "ridge")) {
            assertEquals("mlp", p.predictor().name());
            assertTrue(p.why().contains("held-out"), p.why());
            assertEquals("ridge", forced.predictor().name());
        }
        Files.writeString(pd.resolve(PredictorStage.QUALITY_FILE), "{\"mlp\":");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> PredictorStage.loadPredictor(pd, "best"));
        assertTrue(e.getMessage().contains(pd.resolve(PredictorStage.QUALITY_FILE).toString()), e.getMessage());
    }

    @Test
    void serveSlicesOnDemandOverHttp() throws Exception {
        CandidatesOption three = new CandidatesOption();
        three.k = 3;
        try (ServeCommand.Backend backend = ServeCommand.Backend.open(run, "best", new DataOptions(), 100, three, 42, true);
                SlicingServer server = new SlicingServer(backend, SlicingServer.Options.defaults().withThreads(8, 1))) {
            int port = server.start("127.0.0.1", 0);
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"device\":\"cpu-ort-1t\",\"max_macs\":4000000}";
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/slice"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long t0 = System.nanoTime();
            HttpResponse<String> a = http.send(req, HttpResponse.BodyHandlers.ofString());
            double uncachedMs = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            HttpResponse<String> b = http.send(req, HttpResponse.BodyHandlers.ofString());
            double cachedMs = (System.nanoTime() - t0) / 1e6;
            System.out.printf("[serve] uncached %.1f ms, cached %.1f ms%n", uncachedMs, cachedMs);
            assertEquals(200, a.statusCode(), a.body());
            JsonObject ja = JsonParser.parseString(a.body()).getAsJsonObject();
            JsonObject jb = JsonParser.parseString(b.body()).getAsJsonObject();
            assertTrue(ja.get("macs").getAsLong() <= 4_000_000);
            // the answer went through the closed loop: measured, with at most K = 3 candidates
            int measuredCandidates = ja.get("candidates_measured").getAsInt();
            assertTrue(measuredCandidates >= 1 && measuredCandidates <= 3, ja.toString());
            double val = ja.getAsJsonObject("measured").get("val_accuracy").getAsDouble();
            assertTrue(val > 0 && val <= 1, ja.toString());
            try (PredictorStage.LoadedPredictor chosen = PredictorStage.loadPredictor(run.resolve("predictor"), "best")) {
                assertEquals(chosen.predictor().name(),
                        ja.getAsJsonObject("predicted").get("accuracy_predictor").getAsString(), ja.toString());
            }
            assertEquals(ja.get("key"), jb.get("key"));
            assertTrue(jb.get("cached").getAsBoolean());
            HttpResponse<byte[]> m = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + ja.get("onnx").getAsString())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, m.statusCode());
            assertTrue(m.body().length > 10_000);
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/slice"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"cpu-ort-1t\",\"max_macs\":10}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(422, bad.statusCode(), bad.body());
        }
    }

    /** Sends a request to a test's server with the bearer token. */
    private static HttpRequest.Builder authed(int port, String path, String token) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(java.time.Duration.ofSeconds(120)).header("Authorization", "Bearer " + token);
    }

    @Test
    void slicingPageInAHeadlessBrowserAgreesWithTheApi() throws Exception {
        assertNull(Browser.unavailable(), Browser.unavailable());
        CandidatesOption three = new CandidatesOption();
        three.k = 3;
        String token = "page-token-123";
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (ServeCommand.Backend backend = ServeCommand.Backend.open(run, "best", new DataOptions(), 100, three, 42, true);
                SlicingServer server = new SlicingServer(backend, SlicingServer.Options.defaults().withThreads(8, 1)
                        .withToken(token));
                Browser b = new Browser(downloads, 1280, 800)) {
            int port = server.start("127.0.0.1", 0);
            HttpClient http = HttpClient.newHttpClient();
            // the page's files need an allowed Host but no token; its data requests carry the token
            b.driver.get("http://127.0.0.1:" + port + "/#token=" + token);
            b.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 60);
            assertEquals("http://127.0.0.1:" + port + "/", b.driver.getCurrentUrl(), "the token leaves the address bar");
            List<String> options = b.all("#device option").stream().map(e -> e.getAttribute("value")).toList();
            JsonObject devices = JsonParser.parseString(http.send(authed(port, "/v1/devices", token).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).getAsJsonObject();
            assertEquals(devices.getAsJsonArray("devices").asList().stream().map(JsonElement::getAsString).toList(), options);
            new org.openqa.selenium.support.ui.Select(b.byId("device")).selectByValue("cpu-ort-1t");
            JsonObject front = JsonParser.parseString(http.send(authed(port, "/v1/front?device=cpu-ort-1t&metric=latency",
                    token).build(), HttpResponse.BodyHandlers.ofString()).body()).getAsJsonObject();
            double min = front.getAsJsonObject("latency_ms").get("min").getAsDouble();
            double max = front.getAsJsonObject("latency_ms").get("max").getAsDouble();
            assertTrue(min > 0 && max > min, front.toString());
            // the budget moves by keyboard: End is the largest subnet, then 150 of 1000 steps down
            WebElement slider = b.byId("budget");
            slider.sendKeys(org.openqa.selenium.Keys.END);
            for (int i = 0; i < 150; i++) {
                slider.sendKeys(org.openqa.selenium.Keys.ARROW_LEFT);
            }
            assertEquals("850", slider.getAttribute("value"));
            double budget = min + (max - min) * 850 / 1000; // as the page computes it
            String shown = b.byId("budget-exact").getAttribute("value");
            assertEquals(Math.ceil(budget * 10000) / 10000, Double.parseDouble(shown), 1e-9, shown);
            // hover by keyboard: the chart's first point shows its arch key from the API's front
            b.byId("chart").sendKeys(org.openqa.selenium.Keys.HOME);
            String tip = b.driver.findElement(org.openqa.selenium.By.cssSelector("#chart .chart-tip")).getText();
            assertTrue(tip.contains(front.getAsJsonArray("front").get(0).getAsJsonObject().get("key").getAsString()), tip);
            b.byId("slice").click();
            b.waitShown("result", 120);
            b.waitForBodyData("front", v -> !v.endsWith("|0"), 30); // the front is read again with the measured candidates
            // the same request through the API answers from the cache: the table shows the same figures
            String body = "{\"device\":\"cpu-ort-1t\",\"precision\":\"fp32\",\"max_latency_ms\":" + shown + "}";
            HttpResponse<String> api = http.send(authed(port, "/v1/slice", token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, api.statusCode(), api.body());
            JsonObject a = JsonParser.parseString(api.body()).getAsJsonObject();
            assertTrue(a.get("cached").getAsBoolean(), a.toString());
            Map<String, String> table = new java.util.LinkedHashMap<>();
            for (WebElement td : b.all("#result-table tr td")) {
                table.put(td.findElement(org.openqa.selenium.By.xpath("..")).getAttribute("data-field"), td.getAttribute("data-value"));
            }
            assertEquals(a.get("key").getAsString(), table.get("key"));
            assertEquals(a.get("id").getAsString(), table.get("id"));
            assertEquals("fp32", table.get("precision"));
            assertEquals(a.get("macs").getAsLong(), Long.parseLong(table.get("macs")));
            assertEquals(a.get("params").getAsLong(), Long.parseLong(table.get("params")));
            assertEquals(a.getAsJsonObject("predicted").get("accuracy").getAsDouble(),
                    Double.parseDouble(table.get("predicted_accuracy")), 1e-12);
            assertEquals(a.getAsJsonObject("predicted").get("latency_ms").getAsDouble(),
                    Double.parseDouble(table.get("predicted_latency_ms")), 1e-12);
            assertEquals(a.getAsJsonObject("measured").get("val_accuracy").getAsDouble(),
                    Double.parseDouble(table.get("measured_accuracy")), 1e-12);
            assertTrue(a.getAsJsonObject("predicted").get("latency_ms").getAsDouble() <= Double.parseDouble(shown) + 1e-9);
            // the ONNX download (fetched with the token) is the API's model, byte for byte
            b.byId("dl-onnx").click();
            Path onnx = b.waitForDownload(a.get("id").getAsString() + ".onnx", 60);
            HttpResponse<byte[]> model = http.send(authed(port, a.get("onnx").getAsString(), token).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, model.statusCode());
            assertTrue(model.body().length > 10_000);
            assertEquals(ofa4j.models.Hashing.sha256Hex(model.body()), ofa4j.models.Hashing.sha256Hex(Files.readAllBytes(onnx)));
            b.byId("dl-json").click();
            Path json = b.waitForDownload(a.get("id").getAsString() + ".json", 30);
            assertEquals(a.get("key").getAsString(), JsonParser.parseString(Files.readString(json)).getAsJsonObject()
                    .get("key").getAsString());
            // this run has no INT8 profile: INT8 and auto are disabled on the page, with the command that makes one,
            // and refused by the API with the same command (422, field precision)
            assertEquals(List.of("fp32"), devices.getAsJsonObject("precisions").getAsJsonArray("cpu-ort-1t").asList()
                    .stream().map(JsonElement::getAsString).toList());
            assertTrue(!b.byId("precision-int8").isEnabled() && !b.byId("precision-auto").isEnabled());
            assertTrue(b.byId("precision-fp32").isSelected());
            String hint = b.byId("precision-hint").getText();
            assertTrue(hint.contains("No INT8 latency profile of cpu-ort-1t") && hint.contains("ofa profile --precision int8"),
                    hint);
            for (String p : List.of("int8", "auto")) {
                HttpResponse<String> no8 = http.send(authed(port, "/v1/slice", token).header("Content-Type",
                        "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"cpu-ort-1t\","
                                + "\"precision\":\"" + p + "\",\"max_latency_ms\":" + shown + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(422, no8.statusCode(), no8.body());
                JsonObject e = JsonParser.parseString(no8.body()).getAsJsonObject();
                assertEquals("precision", e.get("field").getAsString());
                assertTrue(e.get("error").getAsString().startsWith("precision '" + p + "' needs an INT8 latency profile of"
                        + " device 'cpu-ort-1t'") && e.get("error").getAsString().contains("--precision int8 --out "),
                        e.toString());
            }
            // an invalid budget: the page shows the API's own message
            WebElement exact = b.byId("budget-exact");
            exact.clear();
            exact.sendKeys("-1");
            b.byId("slice").click();
            WebElement error = b.waitShown("error", 30);
            HttpResponse<String> bad = http.send(authed(port, "/v1/slice", token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"cpu-ort-1t\",\"precision\":\"fp32\","
                            + "\"max_latency_ms\":-1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode());
            assertEquals("Error 400 (max_latency_ms): " + JsonParser.parseString(bad.body()).getAsJsonObject().get("error")
                    .getAsString(), error.getText());
            // an API message that quotes a request's markup verbatim is shown as text, never parsed
            b.js("const o = document.createElement('option'); o.value = o.textContent = '<img id=pwn src=x>';"
                    + " const s = document.getElementById('device'); s.appendChild(o); s.value = o.value;"
                    + " s.dispatchEvent(new Event('change'));");
            HttpResponse<String> echo = http.send(authed(port, "/v1/front?device="
                    + java.net.URLEncoder.encode("<img id=pwn src=x>", java.nio.charset.StandardCharsets.UTF_8), token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, echo.statusCode());
            String message = JsonParser.parseString(echo.body()).getAsJsonObject().get("error").getAsString();
            assertTrue(message.startsWith("unknown device '<img id=pwn src=x>'"), message);
            new org.openqa.selenium.support.ui.WebDriverWait(b.driver, java.time.Duration.ofSeconds(30))
                    .until(d -> d.findElement(org.openqa.selenium.By.id("error")).getText().equals("Error 404 (device): " + message));
            assertTrue(b.all("#pwn").isEmpty());
        }
    }

    @Test
    void reportPageShowsEverySectionFromDiskAndThroughTheServer() throws Exception {
        assertNull(Browser.unavailable(), Browser.unavailable());
        Path page = run.resolve(ofa4j.cli.serve.RunReportPage.FILE);
        assertTrue(Files.size(page) > 50_000, "report.html inlines the chart library and the data");
        String html = Files.readString(page);
        assertTrue(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"),
                "report.html loads nothing from elsewhere: everything is inline");
        RunReport r = RunReport.read(run.resolve("report.json"));
        try (Browser b = new Browser(Files.createDirectories(dir.resolve("report-downloads")), 1280, 800)) {
            b.driver.get(page.toUri().toString());
            checkReport(b, r);
            CandidatesOption three = new CandidatesOption();
            three.k = 3;
            try (ServeCommand.Backend backend = ServeCommand.Backend.open(run, "best", new DataOptions(), 100, three, 42, true);
                    SlicingServer server = new SlicingServer(backend, SlicingServer.Options.defaults().withThreads(8, 1))) {
                int port = server.start("127.0.0.1", 0);
                b.driver.get("http://127.0.0.1:" + port + "/report.html");
                checkReport(b, r);
                assertFitsAPhone(b);
                b.viewport(1280, 800, false);
                b.driver.get("http://127.0.0.1:" + port + "/");
                b.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 60);
                assertFitsAPhone(b);
            }
        }
    }

    /** At a phone's viewport (390 x 844 CSS px) the page needs no sideways scrolling and its controls stay on screen. */
    private static void assertFitsAPhone(Browser b) {
        b.viewport(390, 844, true);
        Object overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth;");
        assertTrue(((Number) overflow).intValue() <= 0, "page is " + overflow + " px wider than a 390 px phone: "
                + b.driver.getCurrentUrl());
        Object offScreen = b.js("return [...document.querySelectorAll('select, input, button')].filter(e =>"
                + " e.offsetParent !== null && (e.getBoundingClientRect().right > window.innerWidth + 1"
                + " || e.getBoundingClientRect().left < -1)).length;");
        assertEquals(0, ((Number) offScreen).intValue(), "controls outside a 390 px phone's width");
    }

    private static void checkReport(Browser b, RunReport r) {
        assertEquals("true", b.waitForBodyData("ready", v -> !v.isEmpty(), 30), b.byId("report-error").getText());
        for (String id : List.of("summary", "training", "predictor", "latency", "pareto", "costs")) {
            assertTrue(b.byId(id).isDisplayed(), id);
            assertTrue(b.all("#" + id + " .missing").isEmpty(), id + ": " + b.byId(id).getText());
        }
        // training curves: loss and accuracy charts with one legend entry per phase at least
        assertEquals(1, b.all("#chart-loss canvas").size());
        assertEquals(1, b.all("#chart-acc canvas").size());
        assertTrue(b.all("#chart-loss .u-legend .u-series").size() >= 2);
        assertEquals(1, b.all("#chart-predictor canvas").size());
        assertEquals(1, b.all("#chart-latency canvas").size());
        assertTrue(b.byId("latency-lines").getText().contains("held-out error (MAPE) on"), b.byId("latency-lines").getText());
        assertTrue(b.byId("predictor-lines").getText().contains("Kendall tau"), b.byId("predictor-lines").getText());
        Object png = b.js("const i = document.querySelector('#pareto-figure img'); return i && i.complete ? i.naturalWidth : 0;");
        assertTrue(((Number) png).intValue() > 100, "Pareto figure width " + png);
        assertEquals(r.slices().size(), b.all("#slices-table tbody tr").size());
        assertEquals(r.costs().stages().size(), b.all("#costs-table tbody tr").size());
        assertEquals(r.slices().get(0).key(), b.all("#slices-table tbody tr td.mono").get(0).getText());
    }
}
