package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.ReferenceForward;
import ofa4j.supernet.Evaluator;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Search, extraction with BN recalibration, measurement, ONNX export and reports on a tiny untrained
 * supernet (random BN statistics, gammas and kernel transforms, so that disagreements show) and a
 * few hundred Fashion-MNIST images; checks supernet == subnet == ONNX.
 */
class SpecialiseEndToEndTest {

    private static final double TOLERANCE = 1e-4;

    @Test
    void specialisesAFleetIntoVerifiedOnnxFilesAndReports(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Fashion-MNIST not installed at " + FashionMnist.SYSTEM_DIR);
        FashionMnist.Sets sets = FashionMnist.read(FashionMnist.SYSTEM_DIR);
        DataSplits data = DataSplits.carve(sets.train(), sets.test(), 1000, 7, 200, 100, 100);
        SearchSpace space = TestSpaces.tinyFmnist();
        TestPredictors.LayerLatency here = new TestPredictors.LayerLatency(space, "this-machine", 0.005, 1e-7);
        TestPredictors.LayerLatency away = new TestPredictors.LayerLatency(space, "far-away", 0.05, 1e-6);
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 3);
        double midHere = (here.predictMs(space.min()) + here.predictMs(space.max())) / 2;
        List<Fleet.Target> targets = List.of(
                new Fleet.Target("local", Constraint.builder().maxLatencyMs(here, midHere).build()),
                new Fleet.Target("remote-small", Constraint.builder().maxLatencyMs(away, away.predictMs(space.max()) * 0.6)
                        .maxResolution(12).build()));
        SearchResult front = Nsga2Search.builder(CostAxis.latency(here)).optGenerations(20).build()
                .search(space, acc, Constraint.none(), 5);

        try (Supernet supernet = Supernet.create(space, 1)) {
            TestSpaces.randomize(supernet, 2);
            SupernetBackend backend = new SupernetBackend(supernet, data, 200, 100);
            Specialiser sp = new Specialiser(backend, dir);
            // the latency models here are made up, so the loop keeps their predictions (no local device);
            // the delivered "local" subnet is still timed in ONNX Runtime for its report
            ClosedLoop loop = new ClosedLoop(space, acc, EvolutionSearch.builder().optGenerations(20).build(),
                    sp.measurer(11), null, Map.of(), 2, 1, null);
            List<Specialiser.Report> reports = sp.specialiseAll(loop, targets,
                    Map.of("local", new Specialiser.LocalTiming("this-machine", 1, 1)), CostAxis.latency(here),
                    front.front(), 5, 11);
            assertEquals(2, reports.size());
            assertTrue(Files.size(dir.resolve("pareto.png")) > 5000);
            if (System.getenv("OFA_PLOT_KEEP") != null) {
                Files.copy(dir.resolve("pareto.png"), Path.of(System.getenv("OFA_PLOT_KEEP")),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }

            for (Specialiser.Report r : reports) {
                ArchConfig arch = r.candidate().arch();
                assertTrue(Files.size(r.onnxFile()) > 1000);
                JsonObject j = JsonParser.parseString(Files.readString(r.reportFile())).getAsJsonObject();
                assertEquals(arch, ArchConfig.fromJsonTree(j.getAsJsonObject("arch")));
                assertEquals(arch.key(), j.get("key").getAsString());
                System.out.println("[e2e] " + r.target() + " " + arch.key() + ": step_ms " + j.getAsJsonObject("step_ms") + ", measured "
                        + j.getAsJsonObject("measured"));
                JsonObject measured = j.getAsJsonObject("measured");
                double val = measured.get("val_accuracy").getAsDouble();
                double test = measured.get("test_accuracy").getAsDouble();
                assertTrue(val >= 0 && val <= 1 && test >= 0 && test <= 1);
                assertTrue(measured.get("onnx_max_abs_diff").getAsDouble() <= TOLERANCE, measured.toString());
                for (String step : List.of("extract_bn_recalibration", "eval_test", "export", "verify_onnx")) {
                    assertTrue(j.getAsJsonObject("step_ms").get(step).getAsDouble() > 0, step);
                }

                // the same calibration seed gives the same subnet: the reported accuracies are reproducible
                Subnet subnet = backend.extract(arch, 11);
                assertEquals(val, Evaluator.top1(subnet, data.val(), data.mean(), data.std(), 100), 1e-12);
                assertEquals(test, Evaluator.top1(subnet, data.test(), data.mean(), data.std(), 100), 1e-12);

                // the ONNX file written agrees with an independent plain-Java forward of the subnet
                byte[] onnx = Files.readAllBytes(r.onnxFile());
                int n = 6;
                int res = arch.resolution();
                float[] input;
                try (NDManager m = NDManager.newBaseManager()) {
                    int[] idx = new int[n];
                    Arrays.setAll(idx, i -> i);
                    input = Batches.images(m, data.test(), idx, res, data.mean(), data.std()).toFloatArray();
                }
                float[] reference = ReferenceForward.forward(subnet, input, n);
                Verifier.Comparison c = Verifier.compare(onnx, input, new long[] {n, 1, res, res}, reference, TOLERANCE);
                assertTrue(c.passed(), r.target() + ": " + c.report());

                String meta = new String(onnx, StandardCharsets.ISO_8859_1);
                for (String k : List.of("measured_test_accuracy", "measured_val_accuracy", "predicted_accuracy",
                        "constraint", "arch_key")) {
                    assertTrue(meta.contains(Specialiser.METADATA_PREFIX + k), k);
                }
                assertTrue(meta.contains(OnnxExporter.META_ARCH_KEY));
            }
            Specialiser.Report local = reports.get(0);
            assertTrue(local.measuredLatencyMs() > 0 && local.measuredLatencyMs() < 1000, "" + local.measuredLatencyMs());
            assertTrue(new String(Files.readAllBytes(local.onnxFile()), StandardCharsets.ISO_8859_1)
                    .contains(Specialiser.METADATA_PREFIX + "measured_latency_ms"));
            assertTrue(Double.isNaN(reports.get(1).measuredLatencyMs()));
            assertEquals(12, reports.get(1).candidate().arch().resolution());

            // supernet == subnet == ONNX: the supernet's own forward (stored BN statistics) equals the
            // ONNX model of the plain extraction
            ArchConfig arch = local.candidate().arch();
            int res = arch.resolution();
            try (NDManager m = NDManager.newBaseManager()) {
                int[] idx = {0, 1, 2, 3};
                NDArray x = Batches.images(m, data.val(), idx, res, data.mean(), data.std());
                float[] superLogits = supernet.forward(m, x, arch, false).toFloatArray();
                byte[] onnx = OnnxExporter.toBytes(supernet.extract(arch), Map.of());
                Verifier.Comparison c = Verifier.compare(onnx, x.toFloatArray(), new long[] {4, 1, res, res}, superLogits,
                        TOLERANCE);
                assertTrue(c.passed(), "supernet vs ONNX: " + c.report());
            }
        }
    }
}
