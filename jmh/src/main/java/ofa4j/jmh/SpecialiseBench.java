package ofa4j.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.slicer.ClosedLoop;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.EvolutionSearch;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole specialisation for one latency constraint on {@code fmnist} through the closed loop:
 * OFA's evolution search (default budget), the top {@link ClosedLoop#DEFAULT_K} candidates measured
 * (extraction with BN recalibration, validation accuracy in ONNX Runtime, latency through the
 * profile's meter; with {@code screen}, accuracy on the first 500 validation images first and the
 * {@link ClosedLoop#FINALISTS} best on all of it), then for the delivered one test accuracy (10,000
 * images), ONNX export, ONNX Runtime parity check, two more timings, report and plot.
 * The supernet is untrained (timing does not depend on its weights); the goal is at most 10 s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true"})
public class SpecialiseBench {

    private final SearchSpace space = SearchSpace.fmnist();
    private Supernet net;
    private DataSplits data;
    private MlpAccuracyPredictor mlp;
    private DeviceProfile profile;
    private Path out;
    private long seed;

    /** Train images (calibration source; 0 = all): the quick preset's 20,000 or all. */
    @Param({"20000", "0"})
    public int trainImages;

    /** Validation images each candidate is scored on (0 = all 5,000): the quick preset's 2,000 or all. */
    @Param({"2000", "0"})
    public int valImages;

    /** BN calibration images per candidate: the quick preset's 500 or OFA's 2,000. */
    @Param({"500", "2000"})
    public int calibrationImages;

    /** Screen the candidates on part of the validation split first (as {@code ofa slice}), or not (as {@code ofa run}). */
    @Param({"true", "false"})
    public boolean screen;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        data = DataSplits.fashionMnist(FashionMnist.load(null, true), trainImages, valImages);
        net = Supernet.create(space, 1);
        mlp = Fixtures.mlp(space);
        // the profile ofa run takes (30 subnets, default warm-up and repeats), not SearchBench's rough one:
        // with a 5-subnet profile every candidate measured over its budget and the loop tightened 3 times
        try (ofa4j.predictor.OrtLatencyMeter meter = ofa4j.predictor.OrtLatencyMeter.withExporter(space, 1, 1)) {
            profile = ofa4j.predictor.Profiler.profile(space, meter, "cpu-ort-1t", 30, 1, true, null);
        }
        out = Files.createTempDirectory("ofa-bench");
    }

    @Benchmark
    public List<Specialiser.Report> specialise() throws IOException {
        double mid = (profile.predictMs(space.min()) + profile.predictMs(space.max())) / 2;
        List<Fleet.Target> t = List.of(new Fleet.Target("mid", Constraint.builder().maxLatencyMs(profile, mid).build()));
        Specialiser s = new Specialiser(new SupernetBackend(net, data, calibrationImages, 500), out);
        Specialiser.LocalTiming here = SupernetBackend.localTiming(profile);
        ClosedLoop loop = new ClosedLoop(space, mlp, EvolutionSearch.ofaDefaults(), s.measurer(++seed), null,
                Map.of(profile.name(), here), ClosedLoop.DEFAULT_K, ClosedLoop.DEFAULT_ROUNDS, null)
                .screening(screen ? ClosedLoop.defaultScreenImages(data.val().size()) : 0);
        List<Specialiser.Report> r = s.specialiseAll(loop, t, Map.of("mid", here), CostAxis.latency(profile), List.of(),
                seed, seed);
        System.out.printf("[specialise] %d round(s), %d candidates measured, step ms %s%n",
                r.get(0).outcome().searches().size(), r.get(0).outcome().proposed().size(), r.get(0).stepMs());
        return r;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mlp.close();
        net.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar SpecialiseBench
