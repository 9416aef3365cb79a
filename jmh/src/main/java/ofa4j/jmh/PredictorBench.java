package ofa4j.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.RidgeAccuracyPredictor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Accuracy-predictor throughput in architectures per second, batch of 10,000 {@code fmnist}
 * subnets: OFA's MLP (3 x 400, DJL, 1 thread) and the ridge model (Commons Math). The goal for the
 * MLP is at least 100k archs/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(PredictorBench.BATCH)
@Warmup(iterations = 1, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1"})
public class PredictorBench {

    static final int BATCH = 10_000;

    private final SearchSpace space = SearchSpace.fmnist();
    private MlpAccuracyPredictor mlp;
    private RidgeAccuracyPredictor ridge;
    private List<ArchConfig> archs;

    @Setup(Level.Trial)
    public void setup() {
        mlp = Fixtures.mlp(space);
        ridge = RidgeAccuracyPredictor.fit(space, Fixtures.syntheticRows(space, 300, 2), 1L);
        SplittableRandom r = new SplittableRandom(3);
        archs = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            archs.add(space.sample(r));
        }
    }

    @Benchmark
    public double[] mlp() {
        return mlp.predict(archs);
    }

    @Benchmark
    public double[] ridge() {
        return ridge.predict(archs);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mlp.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar PredictorBench
