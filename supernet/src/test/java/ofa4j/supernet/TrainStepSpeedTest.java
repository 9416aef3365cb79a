package ofa4j.supernet;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.fixed.FixedNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Training-step speed (forward + backward, batch 64, 3x32x32, 10 classes, ofa-mbv3-w1.0) of the
 * supernet's max and min subnets and of the max arch as a static {@link FixedNetwork}, measured
 * interleaved in one run. Off by default; run with
 * {@code mvn -B -o -q -pl supernet -am verify -Dtest=TrainStepSpeedTest -Dsurefire.failIfNoSpecifiedTests=false -Dofa.bench=true}.
 */
@EnabledIfSystemProperty(named = "ofa.bench", matches = "true")
class TrainStepSpeedTest {

    interface Step {
        void run(NDManager scope, NDArray x, NDArray y);
    }

    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** Returns {wall img/s, process-CPU img/s}. */
    static double[] time(Step s, NDManager parent, int steps, int batch) {
        long t0 = System.nanoTime();
        long c0 = OS.getProcessCpuTime();
        for (int i = 0; i < steps; i++) {
            try (NDManager scope = parent.newSubManager()) {
                NDArray x = TestSpaces.images(scope, batch, 3, 32, i);
                NDArray y = scope.randomInteger(0, 10, new ai.djl.ndarray.types.Shape(batch), ai.djl.ndarray.types.DataType.INT32);
                s.run(scope, x, y);
            }
        }
        return new double[] {
            steps * batch / ((System.nanoTime() - t0) / 1e9), steps * batch / ((OS.getProcessCpuTime() - c0) / 1e9)
        };
    }

    static void train(Loss loss, NDArray y, java.util.function.Supplier<NDArray> fwd) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.evaluate(new NDList(y), new NDList(fwd.get())));
        }
    }

    @Test
    void trainingStepThroughput() {
        int batch = Integer.getInteger("ofa.bench.batch", 64);
        int steps = Integer.getInteger("ofa.bench.steps", 5);
        int rounds = Integer.getInteger("ofa.bench.rounds", 3);
        SearchSpace space = SearchSpace.ofaMbv3W10(3, 10, List.of(32));
        Loss loss = Loss.softmaxCrossEntropyLoss();
        try (Supernet net = Supernet.create(space, 1)) {
            ArchConfig max = space.max();
            ArchConfig min = space.min();
            try (FixedNetwork fixed = new FixedNetwork(net.extract(max))) {
                fixed.arrays().forEach((k, a) -> {
                    if (!k.endsWith(".mean") && !k.endsWith(".var")) {
                        a.setRequiresGradient(true);
                    }
                });
                Step superMax = (scope, x, y) -> train(loss, y, () -> net.forward(scope, x, max, true));
                Step superMaxNchw = (scope, x, y) -> train(loss, y, () -> net.forward(scope, x, max, true, false));
                Step superMin = (scope, x, y) -> train(loss, y, () -> net.forward(scope, x, min, true));
                Step fixedMax = (scope, x, y) -> train(loss, y, () -> fixed.forward(scope, x, true));
                String[] names = {"supernet max", "fixed max", "supernet min", "supernet max NCHW"};
                Step[] all = {superMax, fixedMax, superMin, superMaxNchw};
                int[] mult = {1, 1, 4, 1};
                for (Step s : all) {
                    time(s, net.manager(), 1, batch);
                }
                List<double[][]> res = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double[][] v = new double[all.length][];
                    StringBuilder sb = new StringBuilder("round " + r + ":");
                    for (int i = 0; i < all.length; i++) {
                        v[i] = time(all[i], net.manager(), steps * mult[i], batch);
                        sb.append(String.format(Locale.ROOT, " %s %.1f img/s (cpu %.1f);", names[i], v[i][0], v[i][1]));
                    }
                    res.add(v);
                    System.out.println(sb);
                }
                double[][] med = new double[all.length][2];
                for (int i = 0; i < all.length; i++) {
                    for (int k = 0; k < 2; k++) {
                        final int a = i;
                        final int b = k;
                        double[] col = res.stream().mapToDouble(v -> v[a][b]).sorted().toArray();
                        med[i][k] = col[col.length / 2];
                    }
                }
                StringBuilder sb = new StringBuilder("MEDIAN batch " + batch + ":");
                for (int i = 0; i < all.length; i++) {
                    sb.append(String.format(Locale.ROOT, " %s %.1f img/s (cpu-time %.1f img/s);", names[i], med[i][0], med[i][1]));
                }
                sb.append(String.format(Locale.ROOT, " fixed/supernet max: wall %.3f, cpu %.3f",
                        med[1][0] / med[0][0], med[1][1] / med[0][1]));
                System.out.println(sb);
                // gradients of the fixed network are not used; free nothing else
                for (Parameter p : net.trainableParameters().values()) {
                    p.getArray().getShape();
                }
            }
        }
    }

    /** Elastic overhead where slicing and kernel transforms happen: random archs, supernet vs fixed. */
    @Test
    void randomArchTrainingStepOverhead() {
        int batch = Integer.getInteger("ofa.bench.batch", 64);
        int n = Integer.getInteger("ofa.bench.archs", 4);
        SearchSpace space = SearchSpace.ofaMbv3W10(3, 10, List.of(32));
        Loss loss = Loss.softmaxCrossEntropyLoss();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        double tSuper = 0;
        double tFixed = 0;
        try (Supernet net = Supernet.create(space, 1)) {
            for (int a = 0; a < n; a++) {
                ArchConfig arch = space.sample(rng);
                try (FixedNetwork fixed = new FixedNetwork(net.extract(arch))) {
                    fixed.arrays().forEach((k, v) -> {
                        if (!k.endsWith(".mean") && !k.endsWith(".var")) {
                            v.setRequiresGradient(true);
                        }
                    });
                    Step s = (scope, x, y) -> train(loss, y, () -> net.forward(scope, x, arch, true));
                    Step f = (scope, x, y) -> train(loss, y, () -> fixed.forward(scope, x, true));
                    time(s, net.manager(), 1, batch);
                    time(f, net.manager(), 1, batch);
                    for (int r = 0; r < 2; r++) {
                        tSuper += batch * 2 / time(s, net.manager(), 2, batch)[1];
                        tFixed += batch * 2 / time(f, net.manager(), 2, batch)[1];
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT,
                "RANDOM ARCHS (%d, batch %d): cpu-time per step supernet %.3f s, fixed %.3f s, elastic overhead %.1f%%%n",
                n, batch, tSuper / (n * 4), tFixed / (n * 4), 100 * (tSuper / tFixed - 1));
    }

    /** Extraction and BN recalibration (2000 images, batch 250) times of random subnets. */
    @Test
    void extractionAndRecalibrationTimes() {
        SearchSpace space = SearchSpace.ofaMbv3W10(3, 10, List.of(32));
        ofa4j.supernet.data.ImageSet set = TestSpaces.randomSet(2000, 3, 32, 10, 1);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        try (Supernet net = Supernet.create(space, 1)) {
            net.extract(space.max());
            long t0 = System.nanoTime();
            int n = 5;
            for (int i = 0; i < n; i++) {
                net.extract(space.sample(rng));
            }
            double ext = (System.nanoTime() - t0) / 1e6 / n;
            net.extractCalibrated(space.min(), set, 250, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, 1);
            t0 = System.nanoTime();
            for (int i = 0; i < 2; i++) {
                net.extractCalibrated(space.sample(rng), set, 2000, new float[] {0.5f, 0.5f, 0.5f},
                        new float[] {0.25f, 0.25f, 0.25f}, i);
            }
            double cal = (System.nanoTime() - t0) / 1e9 / 2;
            System.out.printf(Locale.ROOT, "EXTRACT %.1f ms per random subnet; RECALIBRATE 2000 images %.2f s per random subnet%n",
                    ext, cal);
        }
    }
}
