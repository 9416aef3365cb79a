package ofa4j.jmh;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.DjlLatencyMeter;
import ofa4j.predictor.ExporterModels;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.OrtLatencyMeter;
import ofa4j.predictor.Profiler;
import ofa4j.slicer.CachingAccuracyPredictor;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.EvolutionSearch;
import ofa4j.slicer.Nsga2Search;
import ofa4j.slicer.RandomSearch;
import ofa4j.slicer.SearchResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One constrained search with OFA's default budget (population 100, 500 generations: 50,100
 * evaluations) on {@code fmnist}, with OFA's MLP predictor and a latency profile of this machine
 * (ONNX Runtime, 1 thread) measured in set-up; the bound is the mid-point between the smallest and
 * largest subnet's predicted latency. The Python reference takes about 22 s for this budget. Also
 * the random-search baseline at the same budget, NSGA-II, and the time to profile the machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1"})
public class SearchBench {

    private final SearchSpace space = SearchSpace.fmnist();
    private MlpAccuracyPredictor mlp;
    private DeviceProfile profile;
    private Constraint constraint;
    private long seed;

    @Setup(Level.Trial)
    public void setup() {
        mlp = Fixtures.mlp(space);
        profile = profileHere(space, 5);
        double mid = (profile.predictMs(space.min()) + profile.predictMs(space.max())) / 2;
        constraint = Constraint.builder().maxLatencyMs(profile, mid).build();
    }

    static DeviceProfile profileHere(SearchSpace space, int subnets) {
        try (OrtLatencyMeter meter = new OrtLatencyMeter(space, new ExporterModels(), 1, 1, 10, 50, 1)) {
            return Profiler.profile(space, meter, "cpu-ort-1t", subnets, 1, true, (PrintStream) null);
        }
    }

    /** OFA's evolution (fresh prediction cache per search, as a new request would have). */
    @Benchmark
    public SearchResult evolution() {
        return EvolutionSearch.ofaDefaults().search(space, new CachingAccuracyPredictor(mlp), constraint, ++seed);
    }

    /** Random search at the same budget. */
    @Benchmark
    public SearchResult random() {
        return RandomSearch.withBudget(EvolutionSearch.ofaDefaults().budget())
                .search(space, new CachingAccuracyPredictor(mlp), constraint, ++seed);
    }

    /** NSGA-II: the predicted accuracy/latency Pareto front. */
    @Benchmark
    public SearchResult nsga2() {
        LatencyPredictor lat = profile;
        return Nsga2Search.builder(CostAxis.latency(lat)).build()
                .search(space, new CachingAccuracyPredictor(mlp), Constraint.none(), ++seed);
    }

    /** Building the device profile of this machine: every layer variant and 5 whole subnets in ORT. */
    @Benchmark
    public DeviceProfile profile() {
        return profileHere(space, 5);
    }

    /**
     * Building a PyTorch-engine profile of this machine (DJL, 1 thread, batch 1): every layer
     * variant as a static DJL layer and 5 whole subnets, with the same reduced repeats.
     */
    @Benchmark
    public DeviceProfile profilePytorch() {
        try (DjlLatencyMeter meter = new DjlLatencyMeter(space, 1, 1, 10, 50, 1)) {
            return Profiler.profile(space, meter, "cpu-pt-1t", 5, 1, true, (PrintStream) null);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mlp.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar SearchBench
