package ofa4j.supernet.fixed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * One layer of a static network on its own, with its own copies of the weights: what a latency
 * profile times for the PyTorch engine. It runs the same code as the layer inside a {@link
 * FixedNetwork} (evaluation mode, channels-last feature maps), so chaining the layers of a subnet
 * gives the network's logits.
 */
public final class FixedLayer implements AutoCloseable {

    private final LayerSpec spec;
    private final NDManager manager;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    private final FixedMbBlock block;

    /**
     * Copies the layer's tensors into a new manager.
     *
     * @param spec the layer
     * @param tensors its tensors, named and shaped as {@link Subnet#layerLayout(LayerSpec)}; other
     *     tensors are ignored
     * @throws IllegalArgumentException if a tensor is missing or has the wrong shape
     */
    public FixedLayer(LayerSpec spec, Map<String, Tensor> tensors) {
        Map<String, int[]> want = Subnet.layerLayout(spec);
        for (Map.Entry<String, int[]> e : want.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null || !Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException(
                        "layer " + spec.describe() + " needs tensor '" + e.getKey() + "' of shape "
                                + Arrays.toString(e.getValue()) + ", found "
                                + (t == null ? "none" : Arrays.toString(t.shape())));
            }
        }
        this.spec = spec;
        this.manager = NDManager.newBaseManager();
        for (String name : want.keySet()) {
            Tensor t = tensors.get(name);
            long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
            NDArray a = manager.create(t.data(), new Shape(shape));
            a.setName(name);
            arrays.put(name, a);
        }
        this.block = spec.kind() == LayerSpec.Kind.BLOCK
                ? new FixedMbBlock(spec, "blocks." + spec.blockIndex(), arrays::get)
                : null;
    }

    /** @return the layer */
    public LayerSpec spec() {
        return spec;
    }

    /**
     * The input shape of this layer for a batch: {@code [N, C, r, r]} for the convolutional
     * layers, {@code [N, C]} for the linear layers after pooling.
     *
     * @param batch batch size
     * @return the shape
     */
    public Shape inputShape(int batch) {
        boolean linear = spec.kind() == LayerSpec.Kind.FEATURE_MIX || spec.kind() == LayerSpec.Kind.CLASSIFIER;
        return linear
                ? new Shape(batch, spec.inChannels())
                : new Shape(batch, spec.inChannels(), spec.inResolution(), spec.inResolution());
    }

    /**
     * Lays an input out in the memory format the layer sees inside a network (channels-last for
     * feature maps), so that timing {@link #forward} does not include a conversion the network
     * never makes.
     *
     * @param scope owner of the result
     * @param x an input of {@link #inputShape}
     * @return the input in the network's memory format
     */
    public NDArray prepare(NDManager scope, NDArray x) {
        return x.getShape().dimension() == 4
                ? Fn.toMemoryFormat(Ctx.of(scope, false), x)
                : x;
    }

    /**
     * Evaluation-mode forward of the layer alone.
     *
     * @param scope owner of every array the pass creates
     * @param x input of {@link #inputShape}
     * @return the output ({@code FINAL_EXPAND} includes the pooling, as in the network)
     * @throws IllegalArgumentException if {@code x} has the wrong shape
     */
    public NDArray forward(NDManager scope, NDArray x) {
        Shape s = x.getShape();
        Shape want = inputShape((int) s.get(0));
        if (!s.equals(want)) {
            throw new IllegalArgumentException(
                    "layer " + spec.describe() + " takes input of shape " + want + ", found " + s);
        }
        return FixedNetwork.layer(Ctx.of(scope, false), spec, x, arrays::get, block);
    }

    /** Frees the layer's arrays. */
    @Override
    public void close() {
        manager.close();
    }
}
