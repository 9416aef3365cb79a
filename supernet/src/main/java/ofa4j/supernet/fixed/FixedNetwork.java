package ofa4j.supernet.fixed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.FakeQuant;
import ofa4j.supernet.ops.Fn;

/**
 * A static DJL network built from a {@link Subnet}: stem, blocks, final expand, pooling, feature
 * mix, classifier, with the subnet's tensors copied into its own manager. No elastic state: every
 * layer has exactly the subnet's sizes.
 */
public final class FixedNetwork implements AutoCloseable {

    private final Subnet subnet;
    private final NDManager manager;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    private final List<LayerSpec> layers;
    private final List<FixedMbBlock> blocks = new ArrayList<>();

    /**
     * Copies the subnet's tensors into a new manager.
     *
     * @param subnet the subnet
     */
    public FixedNetwork(Subnet subnet) {
        this.subnet = subnet;
        this.manager = NDManager.newBaseManager();
        for (Map.Entry<String, Tensor> e : subnet.tensors().entrySet()) {
            int[] s = e.getValue().shape();
            long[] ls = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                ls[i] = s[i];
            }
            NDArray a = manager.create(e.getValue().data(), new Shape(ls));
            a.setName(e.getKey());
            arrays.put(e.getKey(), a);
        }
        this.layers = subnet.layers();
        Function<String, NDArray> look = arrays::get;
        int b = 0;
        for (LayerSpec l : layers) {
            if (l.kind() == LayerSpec.Kind.BLOCK) {
                blocks.add(new FixedMbBlock(l, "blocks." + b++, look));
            }
        }
    }

    static NDArray[] bn(Function<String, NDArray> arrays, String p) {
        return new NDArray[] {
            arrays.apply(p + ".gamma"), arrays.apply(p + ".beta"), arrays.apply(p + ".mean"), arrays.apply(p + ".var")
        };
    }

    static NDArray bn(Ctx c, String name, NDArray x, NDArray[] bn) {
        return Fn.bn(c, name, x, bn[0], bn[1], bn[2], bn[3]);
    }

    /**
     * Runs one layer of a static network (shared by {@link FixedNetwork} and {@link FixedLayer}, so
     * that a layer timed alone computes exactly what it computes inside a network).
     *
     * <p>In a fake-quantized pass ({@link Ctx#quantized}) weights and activations are quantized where
     * the INT8 export quantizes them; activations are named as the ONNX values of the exported graph
     * ({@code input}, {@code stem.conv}, {@code stem.act}, {@code pool}...), the output of a conv's BN
     * standing for the BN-folded conv's output.
     *
     * @param c the pass
     * @param l the layer
     * @param y its input (images for the stem; pooled features [N, C] for the linear layers)
     * @param arrays the weights by subnet tensor name
     * @param block the block of a {@code BLOCK} layer, else null
     * @return the layer's output ({@code FINAL_EXPAND} includes the global average pooling)
     */
    static NDArray layer(Ctx c, LayerSpec l, NDArray y, Function<String, NDArray> arrays, FixedMbBlock block) {
        return layer(c, l, y, arrays, block, null);
    }

    /**
     * As {@link #layer(Ctx, LayerSpec, NDArray, Function, FixedMbBlock)}, naming the input.
     *
     * @param in the ONNX value name of the layer's input ({@link #outputName} of the previous
     *     layer), needed by a fake-quantized pass
     */
    static NDArray layer(Ctx c, LayerSpec l, NDArray y, Function<String, NDArray> arrays, FixedMbBlock block,
            String in) {
        switch (l.kind()) {
            case STEM: {
                NDArray w = arrays.apply("stem.conv.weight");
                NDArray x = c.quantizeActivation("input", Fn.toMemoryFormat(c, y));
                NDArray[] bn = bn(arrays, "stem.bn");
                NDArray s = c.quantizeFoldedBias("input", bn(c, "stem.bn", Fn.conv(x, c.quantizeWeight(w), l.stride(), 1), bn),
                        w, bn);
                s = c.quantizeActivation("stem.conv", s);
                return c.quantizeActivation("stem.act", Fn.act(c, s, l.activation()));
            }
            case BLOCK:
                return Fn.scoped(c, y, cc -> block.forward(cc, y, in));
            case FINAL_EXPAND: {
                NDArray w = arrays.apply("final_expand.conv.weight");
                NDArray[] bn = bn(arrays, "final_expand.bn");
                NDArray f = c.quantizeFoldedBias(in, bn(c, "final_expand.bn", Fn.conv(y, c.quantizeWeight(w), 1, 1), bn), w, bn);
                f = c.quantizeActivation("final_expand.conv", f);
                f = c.quantizeActivation("final_expand.act", Fn.act(c, f, l.activation()));
                return c.quantizeActivation("pool", Fn.gap(f));
            }
            case FEATURE_MIX: {
                NDArray m = c.quantizeActivation("feature_mix.gemm",
                        Fn.linear(y, c.quantizeWeight(arrays.apply("feature_mix.weight")), null));
                return c.quantizeActivation("feature_mix.act", Fn.act(c, m, l.activation()));
            }
            case CLASSIFIER: {
                NDArray w = arrays.apply("classifier.weight");
                return Fn.linear(y, c.quantizeWeight(w), c.quantizeBias(in, w, arrays.apply("classifier.bias")));
            }
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    /**
     * The ONNX value name of a layer's output in the exported graph (the input of the next layer).
     *
     * @param l the layer
     * @return its name
     */
    static String outputName(LayerSpec l) {
        switch (l.kind()) {
            case STEM:
                return "stem.act";
            case BLOCK:
                return "blocks." + l.blockIndex() + (l.residual() ? ".add" : ".project");
            case FINAL_EXPAND:
                return "pool";
            case FEATURE_MIX:
                return "feature_mix.act";
            case CLASSIFIER:
                return "logits";
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    /** @return the subnet this network was built from */
    public Subnet subnet() {
        return subnet;
    }

    /** @return the network's arrays by tensor name (unmodifiable; owned by this network) */
    public Map<String, NDArray> arrays() {
        return Collections.unmodifiableMap(arrays);
    }

    /**
     * Evaluation-mode forward (BN with the subnet's statistics).
     *
     * @param scope owner of every array the pass creates
     * @param x images [N, C, r, r] with r the subnet's resolution
     * @return logits [N, classes], owned by {@code scope}
     * @throws IllegalArgumentException if {@code x} has the wrong shape
     */
    public NDArray forward(NDManager scope, NDArray x) {
        return forward(scope, x, false);
    }

    /**
     * Forward in evaluation or training mode (training: batch statistics, running statistics of
     * this network's copies updated; used to compare training speed with the supernet).
     *
     * @param scope owner of every array the pass creates
     * @param x images [N, C, r, r]
     * @param training BN mode
     * @return logits [N, classes]
     */
    public NDArray forward(NDManager scope, NDArray x, boolean training) {
        return forward(scope, x, training, Ctx.CHANNELS_LAST);
    }

    /**
     * Forward with a chosen memory format (for speed comparisons).
     *
     * @param scope owner of every array the pass creates
     * @param x images [N, C, r, r]
     * @param training BN mode
     * @param channelsLast NHWC memory order of the feature maps (default {@link Ctx#CHANNELS_LAST})
     * @return logits [N, classes]
     */
    public NDArray forward(NDManager scope, NDArray x, boolean training, boolean channelsLast) {
        return forward(Ctx.of(scope, training, channelsLast), x);
    }

    /**
     * Fake-quantized forward: computes, in float, what the subnet's INT8 export computes (weights
     * int8 per channel, activations uint8 where the export quantizes them, BN in inference mode with
     * the subnet's statistics), with straight-through gradients for quantization-aware training.
     *
     * @param scope owner of every array the pass creates
     * @param x images [N, C, r, r]
     * @param training true keeps every intermediate array in {@code scope} for a backward pass (BN
     *     stays in inference mode either way)
     * @param quant the export's activation quantization
     * @return logits [N, classes]
     */
    public NDArray forward(NDManager scope, NDArray x, boolean training, FakeQuant quant) {
        return forward(Ctx.quantized(scope, training, quant), x);
    }

    private NDArray forward(Ctx c, NDArray x) {
        int r = subnet.arch().resolution();
        int ch = subnet.space().inChannels();
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != ch || s.get(2) != r || s.get(3) != r) {
            throw new IllegalArgumentException(
                    "input must have shape [N, " + ch + ", " + r + ", " + r + "] for resolution " + r + ", found " + s);
        }
        Function<String, NDArray> look = arrays::get;
        NDArray y = x;
        String in = "input";
        int b = 0;
        for (LayerSpec l : layers) {
            y = layer(c, l, y, look, l.kind() == LayerSpec.Kind.BLOCK ? blocks.get(b++) : null, in);
            in = outputName(l);
        }
        return y;
    }

    /**
     * One line per layer.
     *
     * @return the description
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(subnet.arch().key());
        for (LayerSpec l : layers) {
            sb.append('\n').append(l.describe());
        }
        return sb.toString();
    }

    /** Frees the network's arrays. */
    @Override
    public void close() {
        manager.close();
    }
}
