package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Map;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.BnStatistics;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * Batch norm over the leading channels of its max-size gamma, beta and running statistics (OFA's
 * {@code DynamicBatchNorm2d}): training updates only the running statistics of the slice used.
 */
public final class ElasticBatchNorm {

    private final String name;
    private final Parameter gamma;
    private final Parameter beta;
    private final NDArray mean;
    private final NDArray var;

    /**
     * @param w the registry
     * @param name prefix, e.g. {@code blocks.3.dw.bn}: parameters {@code .gamma .beta}, buffers
     *     {@code .mean .var}
     * @param maxChannels largest channel count
     */
    public ElasticBatchNorm(Weights w, String name, int maxChannels) {
        this.name = name;
        Shape s = new Shape(maxChannels);
        gamma = w.param(name + ".gamma", Parameter.Type.GAMMA, s, Weights.filled(maxChannels, 1f));
        beta = w.param(name + ".beta", Parameter.Type.BETA, s, Weights.filled(maxChannels, 0f));
        mean = w.buffer(name + ".mean", s, Weights.filled(maxChannels, 0f));
        var = w.buffer(name + ".var", s, Weights.filled(maxChannels, 1f));
    }

    /**
     * Normalises the first {@code channels} channels.
     *
     * @param c the pass
     * @param x input [N, channels, H, W]
     * @param channels channels used
     * @return output
     */
    public NDArray forward(Ctx c, NDArray x, int channels) {
        return Fn.bn(
                c,
                name,
                x,
                Fn.lead(c, gamma.getArray(), channels),
                Fn.lead(c, beta.getArray(), channels),
                Fn.lead(c, mean, channels),
                Fn.lead(c, var, channels));
    }

    /**
     * Writes {@code prefix.gamma/.beta/.mean/.var} of the used channels; mean and variance come
     * from {@code stats} when given (recalibration), else from the stored running statistics.
     *
     * @param into destination
     * @param prefix subnet name prefix
     * @param channels channels used
     * @param stats recalibrated statistics, or null
     */
    public void extract(Map<String, Tensor> into, String prefix, int channels, BnStatistics stats) {
        into.put(prefix + ".gamma", Slices.lead(gamma.getArray(), channels));
        into.put(prefix + ".beta", Slices.lead(beta.getArray(), channels));
        if (stats != null) {
            into.put(prefix + ".mean", new Tensor(new int[] {channels}, stats.mean(name)));
            into.put(prefix + ".var", new Tensor(new int[] {channels}, stats.var(name)));
        } else {
            into.put(prefix + ".mean", Slices.lead(mean, channels));
            into.put(prefix + ".var", Slices.lead(var, channels));
        }
    }

    /** Permutes all four tensors along the channel axis (importance sorting). */
    void permute(int[] perm) {
        int[] full = fullPerm(perm, (int) mean.getShape().get(0));
        Slices.permuteInPlace(gamma.getArray(), 0, full);
        Slices.permuteInPlace(beta.getArray(), 0, full);
        Slices.permuteInPlace(mean, 0, full);
        Slices.permuteInPlace(var, 0, full);
    }

    static int[] fullPerm(int[] perm, int n) {
        if (perm.length == n) {
            return perm;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i < perm.length ? perm[i] : i;
        }
        return out;
    }

    /** @return the prefix */
    public String name() {
        return name;
    }
}
