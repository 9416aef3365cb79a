package ofa4j.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.train.Losses;
import ofa4j.supernet.train.NesterovSgd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training throughput (images/s) of one SGD step (forward, loss, backward, update) at batch 64 on
 * 3x32x32 inputs, 10 classes, in OFA's {@code ofa-mbv3-w1.0} space, as the issue asks:
 *
 * <ul>
 *   <li>{@code max}, {@code min}, {@code random}: one subnet of the elastic supernet;
 *   <li>{@code ps}: one progressive-shrinking step: teacher forward (max subnet, eval) + 2 sampled
 *       subnets (forward and backward each) + one update;
 *   <li>{@code static-max}: the max architecture built from DJL's plain blocks ({@link
 *       StaticMobileNet}): the elasticity overhead is {@code static-max / max - 1}.
 * </ul>
 *
 * <p>Score unit: images per second (ops/s with 64 operations per invocation).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(TrainStepBench.BATCH)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true"})
public class TrainStepBench {

    static final int BATCH = 64;

    @Param({"max", "static-max", "min", "random", "ps"})
    public String mode;

    private final SearchSpace space = SearchSpace.ofaMbv3W10(3, 10, List.of(32));
    private Supernet net;
    private Supernet teacher;
    private NDManager manager;
    private Block staticNet;
    private ParameterStore ps;
    private Map<String, Parameter> params;
    private NesterovSgd opt;
    private NDArray x;
    private int[] labels;
    private long step;

    @Setup(Level.Trial)
    public void setup() {
        manager = NDManager.newBaseManager();
        SplittableRandom r = new SplittableRandom(1);
        float[] px = new float[BATCH * 3 * 32 * 32];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian();
        }
        x = manager.create(px, new Shape(BATCH, 3, 32, 32));
        labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            labels[i] = r.nextInt(10);
        }
        if (mode.equals("static-max")) {
            staticNet = StaticMobileNet.build(space, space.max());
            staticNet.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            staticNet.initialize(manager, DataType.FLOAT32, new Shape(BATCH, 3, 32, 32));
            ps = new ParameterStore(manager, false);
            params = new LinkedHashMap<>();
            staticNet.getParameters().forEach(p -> {
                if (p.getValue().requiresGradient()) {
                    params.put(p.getKey(), p.getValue());
                }
            });
        } else {
            net = Supernet.create(space, 1);
            params = net.trainableParameters();
            if (mode.equals("ps")) {
                teacher = Supernet.create(space, 2);
            }
        }
        opt = new NesterovSgd(manager, 0.9, 3e-5);
    }

    private ArchConfig arch(int k) {
        switch (mode) {
            case "max":
                return space.max();
            case "min":
                return space.min();
            case "random":
                return space.sample(new SplittableRandom(7));
            default:
                return space.sample(new SplittableRandom(step * 31 + k));
        }
    }

    @Benchmark
    public float step() {
        step++;
        try (NDManager scope = manager.newSubManager()) {
            float last = 0;
            if (staticNet != null) {
                try (NDManager sub = scope.newSubManager(); GradientCollector gc = sub.getEngine().newGradientCollector()) {
                    NDArray in = x.duplicate();
                    in.attach(sub);
                    NDArray logits = staticNet.forward(ps, new NDList(in), true).singletonOrThrow();
                    NDArray loss = Losses.smoothedCrossEntropy(sub, logits, labels, 0.1);
                    gc.backward(loss);
                    last = loss.getFloat();
                }
                opt.step(scope, params, params.keySet(), n -> false, 0.01);
                return last;
            }
            NDArray soft = null;
            int subnets = 1;
            if (teacher != null) {
                soft = teacher.forward(scope, x, space.max(), false).softmax(1).stopGradient();
                subnets = 2;
            }
            Set<String> used = new TreeSet<>();
            List<ArchConfig> archs = new ArrayList<>();
            for (int k = 0; k < subnets; k++) {
                ArchConfig a = arch(k);
                archs.add(a);
                used.addAll(net.usedParameters(a));
                try (NDManager sub = scope.newSubManager(); GradientCollector gc = sub.getEngine().newGradientCollector()) {
                    NDArray logits = net.forward(sub, x, a, true);
                    NDArray loss = Losses.smoothedCrossEntropy(sub, logits, labels, 0.1);
                    if (soft != null) {
                        loss = loss.add(Losses.softCrossEntropy(soft, logits));
                    }
                    gc.backward(loss);
                    last = loss.getFloat();
                }
            }
            opt.step(scope, params, used, net::isNoDecay, 0.01);
            return last;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        opt.close();
        if (net != null) {
            net.close();
        }
        if (teacher != null) {
            teacher.close();
        }
        manager.close();
    }
}
// How to run: mvn -B -DskipTests -pl jmh -am package &&
//   java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar TrainStepBench
