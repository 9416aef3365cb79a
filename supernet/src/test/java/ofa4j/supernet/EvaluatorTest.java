package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    @Test
    void countCorrectOnFabricatedLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {
                0.1f, 0.9f, 0.0f, // argmax 1
                2.0f, -1f, 1.9f, // argmax 0
                0.0f, 0.0f, 3.0f, // argmax 2
                5.0f, 5.0f, 1.0f // tie -> first index 0
            }, new Shape(4, 3));
            assertEquals(3, Evaluator.countCorrect(logits, new int[] {1, 0, 1, 0}));
            assertEquals(0, Evaluator.countCorrect(logits, new int[] {0, 1, 0, 1}));
            assertThrows(IllegalArgumentException.class, () -> Evaluator.countCorrect(logits, new int[] {1}));
        }
    }

    /** Two classes: bright top half vs bright bottom half, with noise. */
    static ImageSet halves(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int s = 16;
        float[] px = new float[n * s * s];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    boolean bright = (y < s / 2) == (labels[i] == 0);
                    px[i * s * s + y * s + x] = (float) Math.min(1, Math.max(0,
                            (bright ? 0.7 : 0.3) + 0.15 * rng.nextGaussian()));
                }
            }
        }
        return new ImageSet("halves", 1, s, s, px, labels, 2);
    }

    @Test
    void accuracyAfterAFewSgdStepsOnASeparableSetIsHigh() {
        SearchSpace space = TestSpaces.tinyFmnist();
        ImageSet train = halves(64, 1);
        ImageSet test = halves(40, 2);
        float[] mean = {0.5f};
        float[] std = {0.25f};
        try (Supernet net = Supernet.create(space, 5)) {
            ArchConfig arch = space.uniform(3, 3, 2, 12);
            Subnet untrained = net.extract(arch);
            double before = Evaluator.top1(untrained, test, mean, std, 16);
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optMomentum(0.9f).build();
            Loss loss = Loss.softmaxCrossEntropyLoss();
            SplittableRandom rng = new SplittableRandom(3);
            for (int step = 0; step < 25; step++) {
                int[] idx = new int[16];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = rng.nextInt(train.size());
                }
                try (NDManager scope = net.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray x = Batches.images(scope, train, idx, arch.resolution(), mean, std);
                    NDArray y = Batches.labels(scope, train, idx);
                    NDArray l = loss.evaluate(new ai.djl.ndarray.NDList(y), new ai.djl.ndarray.NDList(
                            net.forward(scope, x, arch, true)));
                    gc.backward(l);
                    for (String name : net.usedParameters(arch)) {
                        Parameter p = net.trainableParameters().get(name);
                        try (NDArray g = p.getArray().getGradient()) {
                            sgd.update(name, p.getArray(), g);
                        }
                    }
                }
            }
            Subnet trained = net.extractCalibrated(arch, train, 64, mean, std, 7);
            double acc = Evaluator.top1(trained, test, mean, std, 16);
            assertTrue(acc >= 0.9, "top-1 after training " + acc + " (before " + before + ")");
            assertEquals(acc, Evaluator.top1(trained, test, mean, std, 7), 1e-12, "batching must not matter");
        }
    }

    @Test
    void rejectsMismatchingInput() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 5)) {
            Subnet sub = net.extract(space.min());
            ImageSet rgb = TestSpaces.randomSet(4, 3, 16, 10, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Evaluator.top1(sub, rgb, new float[] {0, 0, 0}, new float[] {1, 1, 1}, 4));
            assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
            ImageSet grey = TestSpaces.randomSet(4, 1, 16, 10, 1);
            e = assertThrows(IllegalArgumentException.class,
                    () -> Evaluator.top1(sub, grey, new float[] {0}, new float[] {1}, 0));
            assertTrue(e.getMessage().contains("found 0"), e.getMessage());
        }
    }
}
