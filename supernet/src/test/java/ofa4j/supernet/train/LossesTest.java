package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class LossesTest {

    @Test
    void smoothedCrossEntropyAndGradientMatchHandComputation() {
        float[] z = {2f, 0f, -1f, 0.5f, 0.5f, 1f};
        int[] y = {0, 2};
        double eps = 0.1;
        try (NDManager m = NDManager.newBaseManager()) {
            // repeat to catch the random wrong-gradient failure of boxed scalars (DJL.md pitfall 1)
            for (int trial = 0; trial < 20; trial++) {
                try (NDManager s = m.newSubManager()) {
                    NDArray logits = s.create(z, new Shape(2, 3));
                    logits.setRequiresGradient(true);
                    float loss;
                    try (GradientCollector gc = s.getEngine().newGradientCollector()) {
                        NDArray l = Losses.smoothedCrossEntropy(s, logits, y, eps);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    double want = 0;
                    float[] grad = new float[6];
                    for (int i = 0; i < 2; i++) {
                        double max = Math.max(z[i * 3], Math.max(z[i * 3 + 1], z[i * 3 + 2]));
                        double sum = 0;
                        for (int j = 0; j < 3; j++) {
                            sum += Math.exp(z[i * 3 + j] - max);
                        }
                        for (int j = 0; j < 3; j++) {
                            double p = Math.exp(z[i * 3 + j] - max) / sum;
                            double t = (j == y[i] ? 1 - eps : 0) + eps / 3;
                            want -= t * Math.log(p) / 2;
                            grad[i * 3 + j] = (float) ((p - t) / 2);
                        }
                    }
                    assertEquals(want, loss, 1e-5);
                    assertArrayEquals(grad, logits.getGradient().toFloatArray(), 1e-6f);
                }
            }
            NDArray logits = m.create(z, new Shape(2, 3));
            assertEquals(2, Losses.correct(logits, y)); // arg-max 0 and 2: both right
            assertEquals(1, Losses.correct(logits, new int[] {0, 1}));
        }
    }
}
