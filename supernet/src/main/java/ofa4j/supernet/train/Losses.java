package ofa4j.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The two losses of progressive shrinking, built from NDArray operations only: every constant is
 * an NDArray created in the step's manager, never a boxed {@code Number} (DJL.md pitfall 1: boxed
 * scalars inside a gradient collector gave wrong gradients at random).
 */
public final class Losses {

    private Losses() {}

    /**
     * Cross-entropy with label smoothing (Szegedy et al. 2016, as OFA's {@code
     * cross_entropy_with_label_smoothing}): the target puts {@code 1 - eps + eps/C} on the true class
     * and {@code eps/C} on the others; loss = mean over the batch of {@code -sum(target *
     * log_softmax(logits))}.
     *
     * @param scope manager of the target array
     * @param logits [N, C]
     * @param labels class of each row
     * @param eps smoothing (OFA: 0.1)
     * @return scalar loss
     */
    public static NDArray smoothedCrossEntropy(NDManager scope, NDArray logits, int[] labels, double eps) {
        int n = labels.length;
        int c = (int) logits.getShape().get(1);
        float[] t = new float[n * c];
        float off = (float) (eps / c);
        float on = (float) (1 - eps + eps / c);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                t[i * c + j] = off;
            }
            t[i * c + labels[i]] = on;
        }
        NDArray target = scope.create(t, new Shape(n, c));
        return softCrossEntropy(target, logits);
    }

    /**
     * Soft-target cross-entropy {@code mean_i(-sum_j target_ij * log_softmax(logits)_ij)}, OFA's
     * {@code cross_entropy_loss_with_soft_target} used for distillation with {@code target =
     * softmax(teacher logits)}.
     *
     * @param target [N, C] probabilities, no gradient (its manager owns the result)
     * @param logits [N, C] student logits
     * @return scalar loss
     */
    public static NDArray softCrossEntropy(NDArray target, NDArray logits) {
        return target.mul(logits.logSoftmax(1)).sum(new int[] {1}).mean().neg();
    }

    /**
     * Counts rows whose arg-max equals the label.
     *
     * @param logits [N, C]
     * @param labels class of each row
     * @return number of correct rows
     */
    public static int correct(NDArray logits, int[] labels) {
        float[] v = logits.toFloatArray();
        int c = (int) logits.getShape().get(1);
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) {
                if (v[i * c + j] > v[i * c + best]) {
                    best = j;
                }
            }
            if (best == labels[i]) {
                ok++;
            }
        }
        return ok;
    }
}
