package ofa4j.supernet.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ofa4j.models.Activation;

/**
 * The functional ops of the OFA MobileNetV3 family, shared by elastic and fixed networks so that
 * both compute bit-identical results. No op multiplies by a boxed scalar inside a forward (DJL
 * notes, pitfall 1): constants come from {@link Ctx#sixth()}.
 */
public final class Fn {

    /** Every element: the index of a whole-array assignment. */
    private static final NDIndex ALL = new NDIndex("...");

    /**
     * Overwrites an array's values in place (same shape, same array: parameters stay the optimizer's).
     * {@code NDArray.set(float[])} and {@code copyTo} reach a libtorch call that prints an
     * "AutoNonVariableTypeMode is deprecated" warning on every run; an indexed assignment of all
     * elements does not. Gradient tracking is switched off for the assignment (libtorch refuses
     * in-place writes to a leaf that requires a gradient) and restored after it.
     *
     * @param target the array to overwrite
     * @param values its new values, row-major, as many as it has elements
     * @throws IllegalArgumentException if the count differs
     */
    public static void assign(NDArray target, float[] values) {
        if (values.length != target.getShape().size()) {
            throw new IllegalArgumentException("cannot assign " + values.length + " values to an array of shape "
                    + target.getShape());
        }
        boolean grad = target.hasGradient();
        if (grad) {
            target.setRequiresGradient(false);
        }
        try (NDManager tmp = target.getManager().newSubManager()) {
            target.set(ALL, tmp.create(values, target.getShape()));
        } finally {
            if (grad) {
                target.setRequiresGradient(true);
            }
        }
    }

    /** Batch-norm epsilon of OFA's MobileNetV3 ({@code bn_param = (0.1, 1e-5)}). */
    public static final float BN_EPS = 1e-5f;

    /**
     * DJL's batch-norm momentum: the weight of the OLD running value, i.e. 1 - torch momentum 0.1
     * (OFA's setting), see DJL notes pitfall 3.
     */
    public static final float DJL_BN_MOMENTUM = 0.9f;

    private static final Shape ONE = new Shape(1, 1);

    private Fn() {}

    /**
     * Returns the leading box {@code [0:sizes[0], 0:sizes[1], ...]} of {@code w} as a view owned by
     * the scope (gradients flow into the box of the master), or {@code w} itself when the box is
     * the whole array.
     *
     * @param c the pass
     * @param w the master array
     * @param sizes leading sizes of the first {@code sizes.length} axes
     * @return the view
     */
    public static NDArray lead(Ctx c, NDArray w, long... sizes) {
        Shape s = w.getShape();
        boolean whole = true;
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] > s.get(i) || sizes[i] <= 0) {
                throw new IllegalArgumentException(
                        "slice size " + sizes[i] + " of axis " + i + " must be in [1, " + s.get(i) + "]");
            }
            whole &= sizes[i] == s.get(i);
        }
        if (whole) {
            return w;
        }
        NDIndex idx = new NDIndex();
        for (long size : sizes) {
            idx.addSliceDim(0, size);
        }
        return w.get(c.scope(), idx);
    }

    /**
     * 2-D convolution without bias, padding {@code kernel / 2} (OFA's "same" padding for odd kernels).
     *
     * @param x input [N, Cin, H, W]
     * @param w weight [Cout, Cin / groups, k, k]
     * @param stride stride
     * @param groups groups (Cin for depthwise)
     * @return the output
     */
    public static NDArray conv(NDArray x, NDArray w, int stride, int groups) {
        return conv(x, w, null, stride, groups);
    }

    /**
     * 2-D convolution with optional bias, padding {@code kernel / 2}.
     *
     * @param x input [N, Cin, H, W]
     * @param w weight [Cout, Cin / groups, k, k]
     * @param b bias [Cout] or null
     * @param stride stride
     * @param groups groups
     * @return the output
     */
    public static NDArray conv(NDArray x, NDArray w, NDArray b, int stride, int groups) {
        long k = w.getShape().get(2);
        if (k == 1 && stride == 1 && groups == 1 && x.getShape().dimension() == 4) {
            return pointwise(x, w, b);
        }
        int p = (int) (k / 2);
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(p, p), ONE, groups)
                .singletonOrThrow();
    }

    /**
     * A 1x1 convolution as one matrix product over the pixels, in channels-last order: {@code [N,
     * C, H, W] -> [N*H*W, C] x [C, O] -> [N, O, H, W]} (channels-last strides). libtorch 2.7.1's
     * convolution kernel computes a 1x1 convolution of a channels-last input wrongly with more than
     * one intra-op thread for some output widths (40, 72, 80, ... on this machine; {@link
     * MemoryFormatCheck}); the matrix product is right, and as fast.
     *
     * @param x input [N, C, H, W], any memory order
     * @param w weight [O, C, 1, 1]
     * @param b bias [O] or null
     * @return output [N, O, H, W]
     */
    static NDArray pointwise(NDArray x, NDArray w, NDArray b) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long wd = s.get(3);
        long o = w.getShape().get(0);
        NDArray rows = x.transpose(0, 2, 3, 1).reshape(n * h * wd, c);
        // A result belongs to its first operand's manager: the weight's reshape would land in the
        // parameters' manager and leak every step (DJL notes, pitfall 6), so move it to the input's.
        NDArray w2 = w.reshape(o, c);
        w2.attach(x.getManager());
        NDArray y = rows.matMul(w2.transpose());
        if (b != null) {
            y = y.add(b);
        }
        return y.reshape(n, h, wd, o).transpose(0, 3, 1, 2);
    }

    /**
     * Batch norm over axis 1. Training: batch statistics, running statistics updated in place
     * (torch momentum 0.1). Evaluation, and every fake-quantized pass ({@link Ctx#quantized}):
     * running statistics. Recalibration ({@link
     * Ctx#calibration()} set): batch statistics recorded under {@code name}, running statistics
     * untouched.
     *
     * @param c the pass
     * @param name batch-norm prefix (for recalibration)
     * @param x input [N, C, ...]
     * @param gamma scale [C]
     * @param beta shift [C]
     * @param mean running mean [C]
     * @param var running variance [C]
     * @return the normalised input
     */
    public static NDArray bn(
            Ctx c, String name, NDArray x, NDArray gamma, NDArray beta, NDArray mean, NDArray var) {
        BnStatistics stats = c.calibration();
        if (stats != null) {
            // Native training-mode BN normalises with the batch statistics (as OFA's recalibration
            // forward does) and, with DJL momentum 0 (torch momentum 1), leaves exactly this batch's
            // mean and UNBIASED variance in fresh buffers; OFA averages the biased variance, so the
            // variance is scaled by (n - 1) / n. One fused pass instead of four separate ops.
            Shape s = x.getShape();
            long ch = s.get(1);
            long n = s.size() / ch;
            NDArray m = c.scope().zeros(new Shape(ch));
            NDArray v = c.scope().ones(new Shape(ch));
            NDArray out = BatchNorm.batchNorm(x, m, v, gamma, beta, 1, 0f, BN_EPS, true).singletonOrThrow();
            float[] bv = v.toFloatArray();
            double unbias = n > 1 ? (double) (n - 1) / n : 1.0;
            for (int i = 0; i < bv.length; i++) {
                bv[i] = (float) (bv[i] * unbias);
            }
            stats.add(name, m.toFloatArray(), bv, (int) s.get(0));
            return out;
        }
        return BatchNorm.batchNorm(x, mean, var, gamma, beta, 1, DJL_BN_MOMENTUM, BN_EPS, c.bnUsesBatchStatistics())
                .singletonOrThrow();
    }

    /**
     * Returns {@code x} [N, C, H, W] with channels-last strides (same logical NCHW shape) when the
     * pass asks for it; PyTorch then keeps later convs, BN and element-wise ops channels-last.
     * DJL has no memory-format call: transposing to NHWC, flattening (a copy), and transposing the
     * view back gives those strides.
     *
     * @param c the pass
     * @param x feature map
     * @return the same values, owned by the scope, possibly in NHWC memory order
     */
    public static NDArray toMemoryFormat(Ctx c, NDArray x) {
        if (x.getManager() != c.scope()) {
            // a full view owned by the scope: every later result lands in the scope, not in the
            // caller's (possibly longer-lived) manager of x (DJL notes, pitfall 6)
            x = x.get(c.scope(), new ai.djl.ndarray.index.NDIndex().addAllDim());
        }
        if (!c.channelsLast()) {
            return x;
        }
        Shape s = x.getShape();
        long n = s.get(0);
        long ch = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        return x.transpose(0, 2, 3, 1).reshape(n, h * w * ch).reshape(n, h, w, ch).transpose(0, 3, 1, 2);
    }

    /**
     * Runs one layer; outside training, in a sub-manager that is closed right after (only the
     * output is kept), so that a block's intermediate maps are freed at once (DJL notes, pitfall
     * 6: eval peak memory at batch 500 fell 4.8 -> 1.24 GB). In training, autograd needs them.
     *
     * @param c the pass
     * @param x the layer input (temporarily attached to the sub-manager)
     * @param layer computes the output in the given context
     * @return the output, owned by {@code c.scope()}
     */
    public static NDArray scoped(Ctx c, NDArray x, java.util.function.Function<Ctx, NDArray> layer) {
        if (c.training()) {
            return layer.apply(c);
        }
        try (ai.djl.ndarray.NDManager sub = c.scope().newSubManager()) {
            sub.tempAttachAll(x);
            NDArray y = layer.apply(c.withScope(sub));
            y.attach(c.scope());
            return y;
        }
    }

    /**
     * h-swish: {@code x * relu6(x + 3) / 6}.
     *
     * @param c the pass (owns the constant 1/6)
     * @param x input
     * @return output
     */
    public static NDArray hswish(Ctx c, NDArray x) {
        return x.mul(hsigmoid(c, x));
    }

    /**
     * h-sigmoid: {@code relu6(x + 3) / 6}.
     *
     * @param c the pass
     * @param x input
     * @return output
     */
    public static NDArray hsigmoid(Ctx c, NDArray x) {
        return x.add(3f).clip(0f, 6f).mul(c.sixth());
    }

    /**
     * Applies an activation.
     *
     * @param c the pass
     * @param x input
     * @param a the activation; null means identity
     * @return output
     */
    public static NDArray act(Ctx c, NDArray x, Activation a) {
        if (a == null) {
            return x;
        }
        switch (a) {
            case RELU:
                return ai.djl.nn.Activation.relu(x);
            case HSWISH:
                return hswish(c, x);
            default:
                throw new IllegalArgumentException("unsupported activation " + a);
        }
    }

    /**
     * Global average pooling.
     *
     * @param x input [N, C, H, W]
     * @return output [N, C]
     */
    public static NDArray gap(NDArray x) {
        Shape s = x.getShape();
        return Pool.globalAvgPool2d(x).reshape(s.get(0), s.get(1));
    }

    /**
     * Fully connected layer {@code x W^T + b}.
     *
     * @param x input [N, in]
     * @param w weight [out, in]
     * @param b bias [out] or null
     * @return output [N, out]
     */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).singletonOrThrow();
    }
}
