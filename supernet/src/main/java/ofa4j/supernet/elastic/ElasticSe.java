package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * Squeeze-and-excite with elastic width (OFA's {@code DynamicSE}): global average pooling, 1x1
 * reduce conv (bias) to the first {@code r} units, ReLU, 1x1 expand conv (bias) back to the first
 * {@code h} channels, h-sigmoid, channel-wise scaling of the input.
 */
public final class ElasticSe {

    private final Parameter reduceW;
    private final Parameter reduceB;
    private final Parameter expandW;
    private final Parameter expandB;
    private final int maxHidden;
    private final int maxReduce;

    /**
     * @param w the registry
     * @param name prefix, e.g. {@code blocks.3.se}
     * @param maxHidden largest block hidden width
     * @param maxReduce largest SE width
     */
    public ElasticSe(Weights w, String name, int maxHidden, int maxReduce) {
        this.maxHidden = maxHidden;
        this.maxReduce = maxReduce;
        Shape rs = new Shape(maxReduce, maxHidden, 1, 1);
        Shape es = new Shape(maxHidden, maxReduce, 1, 1);
        reduceW = w.param(name + ".reduce.weight", Parameter.Type.WEIGHT, rs, w.heFout(rs));
        reduceB = w.param(name + ".reduce.bias", Parameter.Type.BIAS, new Shape(maxReduce), new float[maxReduce]);
        expandW = w.param(name + ".expand.weight", Parameter.Type.WEIGHT, es, w.heFout(es));
        expandB = w.param(name + ".expand.bias", Parameter.Type.BIAS, new Shape(maxHidden), new float[maxHidden]);
    }

    /**
     * Scales the channels of {@code x}.
     *
     * @param c the pass
     * @param x input [N, h, H, W]
     * @param h channels
     * @param r SE units
     * @return output [N, h, H, W]
     */
    public NDArray forward(Ctx c, NDArray x, int h, int r) {
        long n = x.getShape().get(0);
        NDArray p = Fn.gap(x).reshape(n, h, 1, 1);
        NDArray s = Fn.conv(p, Fn.lead(c, reduceW.getArray(), r, h), Fn.lead(c, reduceB.getArray(), r), 1, 1);
        s = ai.djl.nn.Activation.relu(s);
        s = Fn.conv(s, Fn.lead(c, expandW.getArray(), h, r), Fn.lead(c, expandB.getArray(), h), 1, 1);
        return x.mul(Fn.hsigmoid(c, s));
    }

    /**
     * Writes {@code prefix.reduce.weight/bias} and {@code prefix.expand.weight/bias}.
     *
     * @param into destination
     * @param prefix subnet prefix
     * @param h channels
     * @param r SE units
     */
    public void extract(Map<String, Tensor> into, String prefix, int h, int r) {
        into.put(prefix + ".reduce.weight", Slices.lead(reduceW.getArray(), r, h, 1, 1));
        into.put(prefix + ".reduce.bias", Slices.lead(reduceB.getArray(), r));
        into.put(prefix + ".expand.weight", Slices.lead(expandW.getArray(), h, r, 1, 1));
        into.put(prefix + ".expand.bias", Slices.lead(expandB.getArray(), h));
    }

    /** @return all parameter names */
    public List<String> names() {
        return List.of(reduceW.getName(), reduceB.getName(), expandW.getName(), expandB.getName());
    }

    /**
     * Applies a permutation of the block's hidden channels, then sorts the SE units by importance
     * (L1 norm of the expand weights that read each unit), as OFA's {@code
     * re_organize_middle_weights}.
     */
    void permute(int[] hiddenPerm) {
        int[] hp = ElasticBatchNorm.fullPerm(hiddenPerm, maxHidden);
        Slices.permuteInPlace(reduceW.getArray(), 1, hp);
        Slices.permuteInPlace(expandW.getArray(), 0, hp);
        Slices.permuteInPlace(expandB.getArray(), 0, hp);
        int[] sp = Slices.argsortDescending(Slices.l1PerIndex(expandW.getArray(), 1, maxReduce));
        Slices.permuteInPlace(expandW.getArray(), 1, sp);
        Slices.permuteInPlace(reduceW.getArray(), 0, sp);
        Slices.permuteInPlace(reduceB.getArray(), 0, sp);
    }
}
