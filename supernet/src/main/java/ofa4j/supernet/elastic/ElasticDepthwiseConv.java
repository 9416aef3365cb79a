package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * A depthwise convolution with elastic kernel size and width (OFA's {@code
 * DynamicSeparableConv2d} with kernel transformation). The master weight is {@code [maxC, 1, K, K]}
 * for the largest kernel K. A smaller kernel is made step by step down the kernel list: the centre
 * crop of the current filter, flattened per channel, is multiplied by a learned matrix of that
 * step (e.g. {@code ktrans.7to5}, 25 x 25, identity-initialised, shared across channels), so 3x3
 * = transform(centre of transform(centre of 7x7)), exactly as OFA's {@code get_active_filter}.
 */
public final class ElasticDepthwiseConv {

    private final String name;
    private final Parameter weight;
    private final List<Integer> kernels;
    /** matrices.get(i) maps kernel kernels[i+1] to kernels[i]. */
    private final List<Parameter> matrices = new ArrayList<>();
    private final int maxChannels;

    /**
     * @param w the registry
     * @param name prefix, e.g. {@code blocks.3.dw}
     * @param maxChannels largest channel count
     * @param kernels allowed kernels, ascending; the last is the master kernel
     */
    public ElasticDepthwiseConv(Weights w, String name, int maxChannels, List<Integer> kernels) {
        this.name = name;
        this.maxChannels = maxChannels;
        this.kernels = List.copyOf(kernels);
        int k = kernels.get(kernels.size() - 1);
        Shape s = new Shape(maxChannels, 1, k, k);
        weight = w.param(name + ".weight", Parameter.Type.WEIGHT, s, w.heFout(s));
        for (int i = 0; i + 1 < kernels.size(); i++) {
            int t = kernels.get(i);
            matrices.add(
                    w.param(
                            matrixName(name, kernels.get(i + 1), t),
                            Parameter.Type.WEIGHT,
                            new Shape(t * t, t * t),
                            Weights.identity(t * t)));
        }
    }

    /**
     * Name of the kernel-transformation matrix from kernel {@code src} to {@code dst}.
     *
     * @param prefix layer prefix
     * @param src larger kernel
     * @param dst smaller kernel
     * @return e.g. {@code blocks.3.dw.ktrans.7to5}
     */
    public static String matrixName(String prefix, int src, int dst) {
        return prefix + ".ktrans." + src + "to" + dst;
    }

    /** @return the master kernel size */
    public int maxKernel() {
        return kernels.get(kernels.size() - 1);
    }

    /**
     * Names of the parameters a call with {@code kernel} uses.
     *
     * @param kernel the kernel
     * @return weight and the matrices of the chain down to {@code kernel}
     */
    public List<String> usedNames(int kernel) {
        List<String> out = new ArrayList<>();
        out.add(weight.getName());
        for (int i = kernels.size() - 2; i >= 0 && kernels.get(i + 1) > kernel; i--) {
            out.add(matrices.get(i).getName());
        }
        return out;
    }

    private void checkKernel(int kernel) {
        if (!kernels.contains(kernel)) {
            throw new IllegalArgumentException(
                    "kernel of " + name + " must be one of " + kernels + ", found " + kernel);
        }
    }

    /**
     * The filter of {@code channels} channels at {@code kernel}: a view of the master for the
     * largest kernel, else the transformed centre crop (all owned by the pass's scope).
     *
     * @param c the pass
     * @param channels channels used
     * @param kernel kernel size
     * @return [channels, 1, kernel, kernel]
     */
    public NDArray activeFilter(Ctx c, int channels, int kernel) {
        checkKernel(kernel);
        NDArray cur = weight.getArray();
        int src = maxKernel();
        if (kernel == src) {
            return Fn.lead(c, cur, channels);
        }
        for (int i = kernels.size() - 2; i >= 0; i--) {
            int dst = kernels.get(i);
            int start = (src - dst) / 2;
            NDIndex box = new NDIndex()
                    .addSliceDim(0, channels)
                    .addSliceDim(0, 1)
                    .addSliceDim(start, start + dst)
                    .addSliceDim(start, start + dst);
            NDArray crop = cur.get(c.scope(), box).reshape(channels, (long) dst * dst);
            cur = Fn.linear(crop, matrices.get(i).getArray(), null).reshape(channels, 1, dst, dst);
            src = dst;
            if (dst == kernel) {
                break;
            }
        }
        return cur;
    }

    /**
     * Depthwise conv of the first {@code channels} channels.
     *
     * @param c the pass
     * @param x input [N, channels, H, W]
     * @param channels channels
     * @param kernel kernel size
     * @param stride stride
     * @return output
     */
    public NDArray forward(Ctx c, NDArray x, int channels, int kernel, int stride) {
        return Fn.conv(x, activeFilter(c, channels, kernel), stride, channels);
    }

    /**
     * Writes the plain {@code kernel x kernel} filter (transforms applied) as {@code prefix.weight}.
     *
     * @param into destination
     * @param prefix subnet prefix
     * @param channels channels
     * @param kernel kernel
     */
    public void extract(Map<String, Tensor> into, String prefix, int channels, int kernel) {
        checkKernel(kernel);
        if (kernel == maxKernel()) {
            into.put(prefix + ".weight", Slices.lead(weight.getArray(), channels, 1, kernel, kernel));
            return;
        }
        try (NDManager tmp = weight.getArray().getManager().newSubManager()) {
            NDArray f = activeFilter(Ctx.of(tmp, false), channels, kernel);
            into.put(prefix + ".weight", new Tensor(new int[] {channels, 1, kernel, kernel}, f.toFloatArray()));
        }
    }

    /** Permutes the master weight's channels. */
    void permute(int[] perm) {
        Slices.permuteInPlace(weight.getArray(), 0, ElasticBatchNorm.fullPerm(perm, maxChannels));
    }

    /** @return the master weight */
    public Parameter weight() {
        return weight;
    }
}
