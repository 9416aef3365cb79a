package ofa4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.exporter.Int8Exporter;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LayerVariants;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.RidgeAccuracyPredictor;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.SearchStrategies;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.IndependentFleet;
import ofa4j.slicer.SliceStage;
import ofa4j.slicer.Specialiser;
import ofa4j.supernet.Supernet;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet specialisation on an embedded Spark ({@code local[2]}) against the same fleet in-process:
 * same delivered subnets, predicted and measured accuracies, rows added to {@code measured.jsonl},
 * and a fleet killed after two targets resumes with only the others.
 */
class SparkLocalFleetTest {

    static final long SEED = 5;

    static JavaSparkContext sc;

    @TempDir Path dir;

    @BeforeAll
    static void start() {
        sc = SparkContexts.start("local[2]", "SparkLocalFleetTest", 1, Map.of("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    /** A profile of made-up per-layer latencies, measured on no machine of this test ("h"). */
    static DeviceProfile profile(SearchSpace space) {
        Map<String, Double> lut = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(5);
        for (Map.Entry<String, LayerSpec> e : LayerVariants.enumerate(space).entrySet()) {
            lut.put(e.getKey(), 0.003 + CostModel.macs(e.getValue()) * 1.3e-6 * rng.nextDouble(0.8, 1.2));
        }
        return new DeviceProfile("made-up-device", "onnxruntime", 1, 1, space,
                new DeviceProfile.Measurement("h", "os", "cpu", "2026-01-01T00:00:00Z", 0, 1, lut.size(), 0, 0, 0, 0),
                lut, 0.0371, 1.173);
    }

    /** Three latency budgets (30%, 60%, 90% of the way from the smallest subnet to the largest) and a MACs bound. */
    static List<Fleet.Target> targets(SearchSpace space, DeviceProfile device) {
        List<Fleet.Target> targets = new ArrayList<>();
        double lo = device.predictMs(space.min());
        double hi = device.predictMs(space.max());
        for (double f : new double[] {0.3, 0.6, 0.9}) {
            targets.add(new Fleet.Target("lat-" + f, Constraint.builder().maxLatencyMs(device, lo + f * (hi - lo)).build()));
        }
        targets.add(new Fleet.Target("macs-half", Constraint.builder().maxMacs(new CostModel(space).macs(space.max()) / 2)
                .build()));
        return targets;
    }

    /** The run's fixture: table, predictor, device, four targets. */
    final class Fixture {
        final TinyTable t;
        final Path predDir;
        final RidgeAccuracyPredictor predictor;
        final DeviceProfile device;
        final List<Fleet.Target> targets = new ArrayList<>();
        final SliceStage.LoopSettings loop = new SliceStage.LoopSettings(2, 2, TinyTable.CALIBRATION_IMAGES, 0,
                new Specialiser.Int8Settings(Int8Exporter.Method.MINMAX, 99.99, 100));

        Fixture() throws IOException {
            t = new TinyTable(dir);
            predDir = dir.resolve("predictor");
            t.inProcess(predDir.resolve(PredictorStage.ACCURACY_FILE), 20);
            predictor = RidgeAccuracyPredictor.fit(t.space, AccuracyDataset.read(predDir.resolve(PredictorStage.ACCURACY_FILE),
                    t.space), SEED);
            device = profile(t.space);
            targets.addAll(targets(t.space, device));
        }

        /** A copy of the run's predictor directory, so that each fleet appends to its own measured.jsonl. */
        Path predCopy(String name) throws IOException {
            Path p = dir.resolve(name);
            Files.createDirectories(p);
            try (var files = Files.list(predDir)) {
                for (Path q : files.toList()) {
                    Files.copy(q, p.resolve(q.getFileName()));
                }
            }
            return p;
        }

        SliceStage.Slices fleet(String name, Path pred, IndependentFleet.Runner runner, List<String> log)
                throws IOException {
            return IndependentFleet.run(t.space, t.file.sha256(), t.data, predictor, device, targets,
                    dir.resolve(name), loop, pred, "evolution", 300L, SEED, false, runner, log::add);
        }
    }

    @Test
    void fleetOnSparkDeliversTheInProcessSlicesAndResumesAfterAKill() throws IOException {
        Fixture f = new Fixture();
        Path predA = f.predCopy("pred-in-process");
        Path predB = f.predCopy("pred-spark");
        Path predC = f.predCopy("pred-shared");
        SliceStage.Slices want;
        SliceStage.Slices shared;
        int before = Threads.set(1); // the PyTorch threads of the Spark tasks
        try (Supernet net = f.t.file.open("the test")) {
            want = f.fleet("in-process", predA, IndependentFleet.inProcess(net, f.t.data), new ArrayList<>());
            // today's in-process fleet (one shared loop) of the first target alone: nothing to share
            shared = SliceStage.slice(net, f.t.data, f.predictor, f.device, f.targets.subList(0, 1), dir.resolve("shared"),
                    f.loop, predC, SearchStrategies.create("evolution", 300L, CostAxis.macs()), SEED);
        } finally {
            Threads.set(before);
        }
        Specialiser.Report alone = shared.reports().get(0);
        assertEquals(alone.candidate().arch().key(), want.reports().get(0).candidate().arch().key());
        assertEquals(alone.candidate().predictedAccuracy(), want.reports().get(0).candidate().predictedAccuracy(), 0.0);
        assertEquals(alone.valAccuracy(), want.reports().get(0).valAccuracy(), 0.0);
        assertEquals(alone.outcome().proposed().stream().map(m -> m.arch().key()).toList(),
                want.reports().get(0).outcome().proposed().stream().map(m -> m.arch().key()).toList());
        assertEquals(4, want.reports().size());
        assertTrue(want.rowsAdded() > 0, "refinement rows " + want.rowsAdded());
        // the targets deliver different subnets: equality below is not equality of one subnet four times
        assertTrue(want.reports().stream().map(r -> r.candidate().arch().key()).distinct().count() >= 2);

        // killed after the first two targets (delivered by a 2-target task): their files and state stay
        List<SparkFleet.Jobs> jobs = new ArrayList<>();
        IndependentFleet.Runner spark2 = SparkFleet.runner(sc, f.t.file, f.t.data, 1, 1, 2, jobs::add);
        IOException killed = assertThrows(IOException.class, () -> f.fleet("spark", predB, (in, works, done) -> {
            spark2.run(in, works.subList(0, 2), done);
            throw new IOException("driver killed");
        }, new ArrayList<>()));
        assertEquals("driver killed", killed.getMessage());
        assertEquals(1, jobs.get(0).partitions());
        assertTrue(Files.isRegularFile(dir.resolve("spark/lat-0.3" + IndependentFleet.STATE_SUFFIX)));
        assertFalse(Files.exists(dir.resolve("spark/lat-0.9.onnx")));
        assertFalse(Files.exists(predB.resolve(PredictorStage.MEASURED_FILE)), "rows are appended after the last target");

        // the rerun, one target per task: the two delivered targets are skipped
        List<String> log = new ArrayList<>();
        SliceStage.Slices got = f.fleet("spark", predB, SparkFleet.runner(sc, f.t.file, f.t.data, 1, 1, 1, jobs::add), log);
        assertEquals(2, jobs.get(1).partitions());
        assertEquals(2, jobs.get(1).tasks().stream().mapToInt(r -> r.delivered().size()).sum());
        assertEquals(List.of("target lat-0.3: already delivered with the same inputs, skipped",
                "target lat-0.6: already delivered with the same inputs, skipped"), log.subList(0, 2));

        assertEquals(4, got.reports().size());
        for (int i = 0; i < 4; i++) {
            Specialiser.Report w = want.reports().get(i);
            Specialiser.Report g = got.reports().get(i);
            assertEquals(w.target(), g.target());
            assertEquals(w.candidate().arch().key(), g.candidate().arch().key(), w.target());
            assertEquals(w.candidate().predictedAccuracy(), g.candidate().predictedAccuracy(), 0.0, w.target());
            assertEquals(w.outcome().prediction(), g.outcome().prediction(), w.target());
            assertEquals(w.valAccuracy(), g.valAccuracy(), 0.0, w.target());
            assertEquals(w.testAccuracy(), g.testAccuracy(), 0.0, w.target());
            assertEquals(w.int8ValAccuracy(), g.int8ValAccuracy(), 0.0, w.target());
            assertEquals(w.outcome().proposed().stream().map(m -> m.arch().key()).toList(),
                    g.outcome().proposed().stream().map(m -> m.arch().key()).toList(), w.target());
            assertEquals(dir.resolve("spark").resolve(w.target() + ".onnx"), g.onnxFile());
            assertNotNull(g.int8OnnxFile());
            assertTrue(Files.size(g.int8OnnxFile()) > 1000);
            // the fleet writes the QOperator form (for OpenCV DNN) of the INT8 bytes it shipped
            assertArrayEquals(Int8Exporter.toQOperator(Files.readAllBytes(g.int8OnnxFile())),
                    Files.readAllBytes(Specialiser.openCvInt8File(g.int8OnnxFile())), w.target());
            // no timing in either: the ONNX models are the same bytes
            assertArrayEquals(Files.readAllBytes(w.onnxFile()), Files.readAllBytes(g.onnxFile()), w.target());
            String report = Files.readString(g.reportFile());
            assertTrue(report.contains(IndependentFleet.PROFILE_LATENCY_NOTE) == w.target().startsWith("lat-"), report);
        }
        assertEquals(want.measured().stream().map(m -> m.arch().key()).toList(),
                got.measured().stream().map(m -> m.arch().key()).toList());
        assertEquals(want.rowsAdded(), got.rowsAdded());
        assertArrayEquals(Files.readAllBytes(predA.resolve(PredictorStage.MEASURED_FILE)),
                Files.readAllBytes(predB.resolve(PredictorStage.MEASURED_FILE)));
        assertTrue(Files.size(dir.resolve("spark/pareto.png")) > 5000);
    }

    /** The made-up profile as an INT8 one: same layers, 60% of the FP32 latencies. */
    static DeviceProfile int8Profile(DeviceProfile fp32) {
        Map<String, Double> lut = new LinkedHashMap<>();
        fp32.lutMs().forEach((k, v) -> lut.put(k, 0.6 * v));
        return new DeviceProfile(fp32.name() + "-int8", "onnxruntime", 1, 1, fp32.space(), fp32.measurement(), lut,
                fp32.interceptMs(), fp32.scale(), ofa4j.predictor.Precision.INT8);
    }

    @Test
    void anInt8FleetDeliversInt8EntriesInProcessAndOnSpark() throws IOException {
        Fixture f = new Fixture();
        DeviceProfile d8 = int8Profile(f.device);
        List<Fleet.Target> t8 = SliceStage.sameBudgets(List.of(f.targets.get(0), f.targets.get(3)), f.device, d8);
        SliceStage.LoopSettings loop8 = f.loop.withPrecision(ofa4j.predictor.Precision.INT8);
        Path predA = f.predCopy("pred8-in-process");
        Path predB = f.predCopy("pred8-spark");
        // an FP32 profile is refused for an INT8 fleet before anything runs
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> IndependentFleet.run(
                f.t.space, f.t.file.sha256(), f.t.data, f.predictor, f.device, f.targets, dir.resolve("never"), loop8,
                predA, "evolution", 300L, SEED, false, (in, works, done) -> { }, null));
        assertTrue(wrong.getMessage().contains("device profile 'made-up-device' times fp32 models, but int8 models"),
                wrong.getMessage());
        SliceStage.Slices want;
        int before = Threads.set(1);
        try (Supernet net = f.t.file.open("the test")) {
            want = IndependentFleet.run(f.t.space, f.t.file.sha256(), f.t.data, f.predictor, d8, t8,
                    dir.resolve("int8-in-process"), loop8, predA, "evolution", 300L, SEED, false,
                    IndependentFleet.inProcess(net, f.t.data), null);
        } finally {
            Threads.set(before);
        }
        SliceStage.Slices got = IndependentFleet.run(f.t.space, f.t.file.sha256(), f.t.data, f.predictor, d8, t8,
                dir.resolve("int8-spark"), loop8, predB, "evolution", 300L, SEED, false,
                SparkFleet.runner(sc, f.t.file, f.t.data, 1, 1, 1, null), null);
        assertEquals(2, want.reports().size());
        for (int i = 0; i < 2; i++) {
            Specialiser.Report w = want.reports().get(i);
            Specialiser.Report g = got.reports().get(i);
            for (Specialiser.Report r : List.of(w, g)) {
                assertEquals(ofa4j.predictor.Precision.INT8, r.precision(), r.target());
                assertEquals(r.int8ValAccuracy(), r.deliveredValAccuracy(), 0.0, r.target());
                assertEquals("int8", ofa4j.slicer.SliceJson.Report.read(r.reportFile()).precision(), r.target());
                assertEquals("int8", ofa4j.exporter.OnnxExporter.readMetadata(r.int8OnnxFile())
                        .get(Int8Exporter.META_PRECISION), r.target());
                // searched with the INT8 profile: the latency bound and the prediction are the INT8 device's
                assertEquals(i == 0 ? List.of(d8.name()) : List.of(), r.outcome().target().constraint().latencyBounds()
                        .stream().map(b -> b.predictor().deviceName()).toList(), r.target());
                if (i == 0) {
                    assertEquals(d8.predictMs(r.candidate().arch()),
                            r.outcome().delivered().candidate().costs().latencyMs(d8.name()), 1e-12, r.target());
                }
            }
            assertEquals(w.candidate().arch().key(), g.candidate().arch().key(), w.target());
            assertEquals(w.int8ValAccuracy(), g.int8ValAccuracy(), 0.0, w.target());
            assertEquals(w.int8TestAccuracy(), g.int8TestAccuracy(), 0.0, w.target());
        }
        // the latency target's delivered subnet is within its budget by the INT8 profile
        Specialiser.Report lat = got.reports().get(0);
        assertTrue(d8.predictMs(lat.candidate().arch()) <= t8.get(0).constraint().latencyBounds().get(0).maxMs());
        // INT8 candidates go to the INT8 rows, not to the FP32 table's measured rows, the same either way
        Path rowsA = predA.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE);
        assertTrue(Files.readAllLines(rowsA).size() >= 2, "INT8 rows");
        assertEquals(want.rowsAdded(), Files.readAllLines(rowsA).size());
        assertArrayEquals(Files.readAllBytes(rowsA), Files.readAllBytes(predB.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE)));
        assertFalse(Files.exists(predA.resolve(PredictorStage.MEASURED_FILE)));
    }

    @Test
    void measuringLatencyOnAnExecutorThatIsNotTheDeviceIsRefusedNamingBoth() throws IOException {
        Fixture f = new Fixture();
        IOException e = assertThrows(IOException.class, () -> IndependentFleet.run(f.t.space, f.t.file.sha256(), f.t.data,
                f.predictor, f.device, f.targets.subList(0, 1), dir.resolve("out"), f.loop, null, "evolution", 300L,
                SEED, true, SparkFleet.runner(sc, f.t.file, f.t.data, 1, 1, 1, null), null));
        assertTrue(e.getMessage().startsWith("fleet job on Spark local[2] failed: fleet latency 'measure': executor driver on "),
                e.getMessage());
        assertTrue(e.getMessage().contains("is not the machine of device profile made-up-device (measured on host h)"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/lat-0.3.onnx")));
    }
}
