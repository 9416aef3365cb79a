package ofa4j.supernet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class FnTest {

    static double hswish(double x) {
        return x * Math.min(6, Math.max(0, x + 3)) / 6;
    }

    static double hswishGrad(double x) {
        if (x < -3) {
            return 0;
        }
        if (x > 3) {
            return 1;
        }
        return (2 * x + 3) / 6;
    }

    /** Repeats value and gradient checks many times: the boxed-scalar bug of DJL showed up at random. */
    @Test
    void hswishValuesAndGradientsAreRightEveryTime() {
        float[] xs = {-5f, -3.5f, -2f, -0.5f, 0f, 0.7f, 2.5f, 4f};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int trial = 0; trial < 200; trial++) {
                try (NDManager scope = m.newSubManager()) {
                    NDArray x = scope.create(xs);
                    x.setRequiresGradient(true);
                    float[] y;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = Fn.hswish(Ctx.of(scope, true), x);
                        y = out.toFloatArray();
                        gc.backward(out.sum());
                    }
                    float[] g = x.getGradient().toFloatArray();
                    for (int i = 0; i < xs.length; i++) {
                        assertEquals(hswish(xs[i]), y[i], 1e-6, "value at " + xs[i]);
                        assertEquals(hswishGrad(xs[i]), g[i], 1e-6, "gradient at " + xs[i] + " in trial " + trial);
                    }
                }
            }
        }
    }

    @Test
    void hsigmoidValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] y = Fn.hsigmoid(Ctx.of(m, false), m.create(new float[] {-4f, -3f, 0f, 1.5f, 3f, 9f})).toFloatArray();
            float[] want = {0f, 0f, 0.5f, 0.75f, 1f, 1f};
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], y[i], 1e-6);
            }
        }
    }
}
