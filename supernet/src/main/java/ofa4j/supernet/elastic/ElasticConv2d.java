package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Map;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * A dense convolution (no bias) with elastic input and output width: the master weight is
 * {@code [maxOut, maxIn, k, k]}; a call uses the leading {@code out x in} box (OFA's
 * {@code DynamicConv2d}). Used for the stem, the 1x1 expand / project convs and the final expand.
 */
public final class ElasticConv2d {

    private final String name;
    private final Parameter weight;
    private final int maxIn;
    private final int maxOut;
    private final int kernel;

    /**
     * @param w the registry
     * @param name prefix, e.g. {@code blocks.3.expand}; the weight is {@code name + ".weight"}
     * @param maxIn largest input channels
     * @param maxOut largest output channels
     * @param kernel kernel size (odd)
     */
    public ElasticConv2d(Weights w, String name, int maxIn, int maxOut, int kernel) {
        this.name = name;
        this.maxIn = maxIn;
        this.maxOut = maxOut;
        this.kernel = kernel;
        Shape s = new Shape(maxOut, maxIn, kernel, kernel);
        this.weight = w.param(name + ".weight", Parameter.Type.WEIGHT, s, w.heFout(s));
    }

    /**
     * Runs the conv on the leading channels.
     *
     * @param c the pass
     * @param x input [N, in, H, W]
     * @param in input channels used
     * @param out output channels produced
     * @param stride stride
     * @return output [N, out, H', W']
     */
    public NDArray forward(Ctx c, NDArray x, int in, int out, int stride) {
        return Fn.conv(x, Fn.lead(c, weight.getArray(), out, in), stride, 1);
    }

    /**
     * Writes the used weight as {@code prefix + ".weight"}.
     *
     * @param into destination
     * @param prefix subnet name prefix
     * @param in input channels
     * @param out output channels
     */
    public void extract(Map<String, Tensor> into, String prefix, int in, int out) {
        into.put(prefix + ".weight", Slices.lead(weight.getArray(), out, in, kernel, kernel));
    }

    /** @return the master weight */
    public Parameter weight() {
        return weight;
    }

    /** @return the parameter name prefix */
    public String name() {
        return name;
    }

    /** @return largest input channels */
    public int maxIn() {
        return maxIn;
    }

    /** @return largest output channels */
    public int maxOut() {
        return maxOut;
    }
}
