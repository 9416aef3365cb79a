package ofa4j.exporter;

import static ofa4j.exporter.OnnxGraph.floatAttr;
import static ofa4j.exporter.OnnxGraph.intAttr;
import static ofa4j.exporter.OnnxGraph.intsAttr;
import static ofa4j.exporter.OnnxGraph.stringAttr;

import java.util.List;
import ofa4j.exporter.WeightSource.Role;
import ofa4j.models.Activation;
import ofa4j.models.LayerSpec;
import ofa4j.models.Tensor;

/**
 * Writes the ONNX nodes of one {@link LayerSpec}: the single piece of code that turns the
 * MobileNetV3 structure into operators, used both for whole subnets and for single-layer timing
 * models. Batch norm is folded into the preceding conv, in double precision:
 * {@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta - mean * gamma / sqrt(var + eps)}.
 */
final class LayerEmitter {

    /** HardSigmoid slope that makes ONNX's {@code max(0, min(1, alpha x + beta))} MobileNetV3's relu6(x + 3) / 6. */
    static final float H_SIGMOID_ALPHA = 1f / 6f;

    /** HardSigmoid offset of MobileNetV3's h-sigmoid: 3 / 6. */
    static final float H_SIGMOID_BETA = 0.5f;

    /** A value of the graph with its rank (4 for feature maps NCHW, 2 for features NC). */
    record Value(String name, int rank) {}

    private final OnnxGraph graph;
    private final WeightSource weights;
    private final double bnEps;
    private final float hSigmoidAlpha;

    LayerEmitter(OnnxGraph graph, WeightSource weights, double bnEps, float hSigmoidAlpha) {
        this.graph = graph;
        this.weights = weights;
        this.bnEps = bnEps;
        this.hSigmoidAlpha = hSigmoidAlpha;
    }

    /**
     * Returns the tensor-name prefix of a layer in {@link ofa4j.models.Subnet}'s layout.
     *
     * @param l the layer
     * @return {@code stem}, {@code blocks.i}, {@code final_expand}, {@code feature_mix} or {@code classifier}
     */
    static String prefix(LayerSpec l) {
        switch (l.kind()) {
            case STEM:
                return "stem";
            case BLOCK:
                return "blocks." + l.blockIndex();
            case FINAL_EXPAND:
                return "final_expand";
            case FEATURE_MIX:
                return "feature_mix";
            case CLASSIFIER:
                return "classifier";
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    /**
     * Checks that a layer is self-consistent (as {@link ofa4j.models.SearchSpace#layers} makes them).
     *
     * @param l the layer
     * @throws IllegalArgumentException naming the field, the value and what is allowed
     */
    static void check(LayerSpec l) {
        if (l == null || l.kind() == null) {
            throw new IllegalArgumentException("layer and its kind must not be null, found " + l);
        }
        String d = l.describe();
        positive(l.inChannels(), "inChannels", d);
        positive(l.hiddenChannels(), "hiddenChannels", d);
        positive(l.outChannels(), "outChannels", d);
        positive(l.inResolution(), "inResolution", d);
        positive(l.stride(), "stride", d);
        if (l.kernel() < 1 || l.kernel() % 2 == 0) {
            throw new IllegalArgumentException("kernel of " + d + " must be odd and positive, found " + l.kernel());
        }
        boolean linear = l.kind() == LayerSpec.Kind.FEATURE_MIX || l.kind() == LayerSpec.Kind.CLASSIFIER;
        if (linear && (l.kernel() != 1 || l.stride() != 1)) {
            throw new IllegalArgumentException(
                    "linear layer " + d + " must have kernel 1 and stride 1, found " + l.kernel() + "/" + l.stride());
        }
        if (l.kind() != LayerSpec.Kind.CLASSIFIER && l.activation() == null) {
            throw new IllegalArgumentException("layer " + d + " needs an activation, found none");
        }
        if (l.kind() == LayerSpec.Kind.BLOCK) {
            if (l.blockIndex() < 0) {
                throw new IllegalArgumentException("block " + d + " must have blockIndex >= 0, found " + l.blockIndex());
            }
            if (l.expand() == 1 && l.hiddenChannels() != l.inChannels()) {
                throw new IllegalArgumentException(
                        "block " + d + " without expand conv (expand 1) must have hiddenChannels == inChannels "
                                + l.inChannels() + ", found " + l.hiddenChannels());
            }
            if (l.se() && l.seChannels() <= 0) {
                throw new IllegalArgumentException("SE of block " + d + " needs seChannels > 0, found " + l.seChannels());
            }
            if (l.residual() && (l.stride() != 1 || l.inChannels() != l.outChannels())) {
                throw new IllegalArgumentException(
                        "residual block " + d + " must keep its shape (stride 1, in == out), found stride "
                                + l.stride() + ", " + l.inChannels() + " -> " + l.outChannels());
            }
        }
    }

    private static void positive(int v, String what, String layer) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " of layer " + layer + " must be positive, found " + v);
        }
    }

    /**
     * Emits the nodes of one layer.
     *
     * @param l the layer
     * @param x its input: NCHW for convs and blocks; NCHW (pooled and flattened here) or NC for linears
     * @return the layer's output
     */
    Value emit(LayerSpec l, Value x) {
        String p = prefix(l);
        switch (l.kind()) {
            case STEM:
            case FINAL_EXPAND: {
                requireRank(x, 4, l);
                String y = convBn(x.name(), p + ".conv", p + ".bn", l.inChannels(), l.outChannels(), l.kernel(), l.stride(), 1);
                return new Value(activation(y, l.activation(), p + ".act"), 4);
            }
            case BLOCK:
                requireRank(x, 4, l);
                return block(l, x, p);
            case FEATURE_MIX: {
                String f = flat(x);
                Tensor w = weights.get(p + ".weight", new int[] {l.outChannels(), l.inChannels()}, Role.WEIGHT);
                String wn = graph.initializer(p + ".weight", w.shape(), w.data());
                String y = graph.node("Gemm", p + ".gemm", List.of(f, wn), intAttr("transB", 1));
                return new Value(activation(y, l.activation(), p + ".act"), 2);
            }
            case CLASSIFIER: {
                String f = flat(x);
                Tensor w = weights.get(p + ".weight", new int[] {l.outChannels(), l.inChannels()}, Role.WEIGHT);
                Tensor b = weights.get(p + ".bias", new int[] {l.outChannels()}, Role.BIAS);
                String wn = graph.initializer(p + ".weight", w.shape(), w.data());
                String bn = graph.initializer(p + ".bias", b.shape(), b.data());
                String y = graph.node("Gemm", p + ".gemm", List.of(f, wn, bn), intAttr("transB", 1));
                return new Value(l.activation() == null ? y : activation(y, l.activation(), p + ".act"), 2);
            }
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    private static void requireRank(Value x, int rank, LayerSpec l) {
        if (x.rank() != rank) {
            throw new IllegalStateException(l.describe() + " needs a rank-" + rank + " input, found rank " + x.rank());
        }
    }

    private Value block(LayerSpec l, Value x, String p) {
        int h = l.hiddenChannels();
        String cur = x.name();
        if (l.expand() != 1) {
            cur = convBn(cur, p + ".expand", p + ".expand.bn", l.inChannels(), h, 1, 1, 1);
            cur = activation(cur, l.activation(), p + ".expand.act");
        }
        cur = convBn(cur, p + ".dw", p + ".dw.bn", h, h, l.kernel(), l.stride(), h);
        cur = activation(cur, l.activation(), p + ".dw.act");
        if (l.se()) {
            cur = squeezeExcite(cur, p + ".se", h, l.seChannels(), l.outResolution());
        }
        cur = convBn(cur, p + ".project", p + ".project.bn", h, l.outChannels(), 1, 1, 1);
        if (l.residual()) {
            cur = graph.node("Add", p + ".add", List.of(x.name(), cur));
        }
        return new Value(cur, 4);
    }

    /**
     * SE: GlobalAveragePool, 1x1 conv + bias, ReLU, 1x1 conv + bias, h-sigmoid, scale the input.
     *
     * <p>The [N, C, 1, 1] gate is first broadcast to the feature map's [N, C, size, size] by a
     * nearest-neighbour {@code Resize} (exact: every output pixel copies the one input pixel), so
     * that the scaling is a {@code Mul} of two equal shapes. A {@code Mul} that broadcasts the gate
     * itself is correct ONNX, but OpenCV's DNN module (4.6, Debian's) computes it wrongly (its output
     * takes the gate's shape, and the model's logits become nearly constant); {@code Expand} and
     * {@code Tile} are refused by that importer, and {@code Resize} is not.
     */
    private String squeezeExcite(String x, String p, int h, int r, int size) {
        String pooled = graph.node("GlobalAveragePool", p + ".pool", List.of(x));
        String red = biasedConv1x1(pooled, p + ".reduce", h, r);
        red = graph.node("Relu", p + ".relu", List.of(red));
        String exp = biasedConv1x1(red, p + ".expand", r, h);
        String gate =
                graph.node(
                        "HardSigmoid",
                        p + ".hsigmoid",
                        List.of(exp),
                        floatAttr("alpha", hSigmoidAlpha),
                        floatAttr("beta", H_SIGMOID_BETA));
        String scales = graph.initializer(p + ".scales", new int[] {4}, new float[] {1, 1, size, size});
        String broadcast = graph.node("Resize", p + ".broadcast", List.of(gate, "", scales),
                stringAttr("mode", "nearest"), stringAttr("coordinate_transformation_mode", "asymmetric"),
                stringAttr("nearest_mode", "floor"));
        return graph.node("Mul", p + ".mul", List.of(x, broadcast));
    }

    private String biasedConv1x1(String x, String name, int in, int out) {
        Tensor w = weights.get(name + ".weight", new int[] {out, in, 1, 1}, Role.WEIGHT);
        Tensor b = weights.get(name + ".bias", new int[] {out}, Role.BIAS);
        String wn = graph.initializer(name + ".weight", w.shape(), w.data());
        String bn = graph.initializer(name + ".bias", b.shape(), b.data());
        return graph.node("Conv", name, List.of(x, wn, bn), intsAttr("kernel_shape", 1, 1));
    }

    /** Global average pooling and flattening of a feature map; a rank-2 value passes unchanged. */
    private String flat(Value x) {
        if (x.rank() == 2) {
            return x.name();
        }
        String pooled = graph.node("GlobalAveragePool", "pool", List.of(x.name()));
        // axis 1 keeps the (dynamic) batch axis: no batch size is baked into the graph.
        return graph.node("Flatten", "flatten", List.of(pooled), intAttr("axis", 1));
    }

    private String activation(String x, Activation a, String name) {
        switch (a) {
            case RELU:
                return graph.node("Relu", name, List.of(x));
            case HSWISH:
                // ONNX HardSwish (opset 14) is x * max(0, min(1, x / 6 + 1 / 2)) = x * relu6(x + 3) / 6.
                return graph.node("HardSwish", name, List.of(x));
            default:
                throw new IllegalStateException("unknown activation " + a);
        }
    }

    /**
     * Emits a conv (padding k/2) whose BN {@code bn} is folded into its weight and a new bias.
     *
     * @param conv the node name; its weight is the subnet tensor {@code conv + ".weight"}
     */
    private String convBn(String x, String conv, String bn, int in, int out, int k, int stride, int group) {
        int[] wShape = {out, in / group, k, k};
        Tensor w = weights.get(conv + ".weight", wShape, Role.WEIGHT);
        int[] c = {out};
        float[] gamma = weights.get(bn + ".gamma", c, Role.BN_GAMMA).data();
        float[] beta = weights.get(bn + ".beta", c, Role.BN_BETA).data();
        float[] mean = weights.get(bn + ".mean", c, Role.BN_MEAN).data();
        float[] var = weights.get(bn + ".var", c, Role.BN_VAR).data();
        float[] wf = new float[w.size()];
        float[] bf = new float[out];
        int per = w.size() / out;
        float[] wd = w.data();
        for (int o = 0; o < out; o++) {
            double denom = (double) var[o] + bnEps;
            if (!(denom > 0)) {
                throw new IllegalArgumentException(
                        "BN '" + bn + "' has var[" + o + "] = " + var[o] + " with eps " + bnEps
                                + "; var + eps must be > 0");
            }
            double scale = gamma[o] / Math.sqrt(denom);
            for (int j = 0; j < per; j++) {
                wf[o * per + j] = (float) (wd[o * per + j] * scale);
            }
            bf[o] = (float) (beta[o] - mean[o] * scale);
        }
        String wn = graph.initializer(conv + ".weight", wShape, wf);
        String bname = graph.initializer(conv + ".bias", c, bf);
        int pad = k / 2;
        return graph.node(
                "Conv",
                conv,
                List.of(x, wn, bname),
                intsAttr("kernel_shape", k, k),
                intsAttr("strides", stride, stride),
                intsAttr("pads", pad, pad, pad, pad),
                intAttr("group", group));
    }
}
