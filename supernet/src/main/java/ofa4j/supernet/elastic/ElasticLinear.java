package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * A fully connected layer {@code x W^T + b} (feature mix, classifier). Its sizes do not change
 * between subnets of the OFA MobileNetV3 space, so it is used whole.
 */
public final class ElasticLinear {

    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;

    /**
     * @param w the registry
     * @param name prefix ({@code feature_mix}, {@code classifier})
     * @param in input features
     * @param out output features
     * @param withBias whether there is a bias {@code name.bias} (zero-initialised)
     */
    public ElasticLinear(Weights w, String name, int in, int out, boolean withBias) {
        this.in = in;
        this.out = out;
        Shape s = new Shape(out, in);
        weight = w.param(name + ".weight", Parameter.Type.WEIGHT, s, w.linearInit(s));
        bias = withBias ? w.param(name + ".bias", Parameter.Type.BIAS, new Shape(out), new float[out]) : null;
    }

    /**
     * @param c the pass
     * @param x input [N, in]
     * @return output [N, out]
     */
    public NDArray forward(Ctx c, NDArray x) {
        return Fn.linear(x, weight.getArray(), bias == null ? null : bias.getArray());
    }

    /**
     * Writes {@code prefix.weight} (and {@code prefix.bias}).
     *
     * @param into destination
     * @param prefix subnet prefix
     */
    public void extract(Map<String, Tensor> into, String prefix) {
        into.put(prefix + ".weight", Slices.lead(weight.getArray(), out, in));
        if (bias != null) {
            into.put(prefix + ".bias", Slices.lead(bias.getArray(), out));
        }
    }

    /** @return parameter names */
    public List<String> names() {
        List<String> n = new ArrayList<>();
        n.add(weight.getName());
        if (bias != null) {
            n.add(bias.getName());
        }
        return n;
    }
}
