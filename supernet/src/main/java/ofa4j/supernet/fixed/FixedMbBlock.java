package ofa4j.supernet.fixed;

import ai.djl.ndarray.NDArray;
import java.util.function.Function;
import ofa4j.models.LayerSpec;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * A static MobileNetV3 inverted-residual block: [1x1 expand, BN, act] -> depthwise, BN, act ->
 * [SE] -> 1x1 project, BN -> (+ input).
 */
public final class FixedMbBlock {

    private final LayerSpec spec;
    private final NDArray expandW;
    private final NDArray[] expandBn;
    private final NDArray dwW;
    private final NDArray[] dwBn;
    private final NDArray[] se;
    private final NDArray projectW;
    private final NDArray[] projectBn;
    private final String prefix;

    /**
     * @param spec the block's layer spec
     * @param prefix tensor prefix, e.g. {@code blocks.2}
     * @param arrays looks up an array by tensor name
     */
    FixedMbBlock(LayerSpec spec, String prefix, Function<String, NDArray> arrays) {
        this.spec = spec;
        this.prefix = prefix;
        if (spec.expand() != 1) {
            expandW = arrays.apply(prefix + ".expand.weight");
            expandBn = FixedNetwork.bn(arrays, prefix + ".expand.bn");
        } else {
            expandW = null;
            expandBn = null;
        }
        dwW = arrays.apply(prefix + ".dw.weight");
        dwBn = FixedNetwork.bn(arrays, prefix + ".dw.bn");
        se = spec.se()
                ? new NDArray[] {
                    arrays.apply(prefix + ".se.reduce.weight"), arrays.apply(prefix + ".se.reduce.bias"),
                    arrays.apply(prefix + ".se.expand.weight"), arrays.apply(prefix + ".se.expand.bias")
                }
                : null;
        projectW = arrays.apply(prefix + ".project.weight");
        projectBn = FixedNetwork.bn(arrays, prefix + ".project.bn");
    }

    /**
     * Runs the block.
     *
     * @param c the pass
     * @param x input [N, in, H, W]
     * @return output
     */
    public NDArray forward(Ctx c, NDArray x) {
        return forward(c, x, null);
    }

    /**
     * Runs the block, naming its input (needed by a fake-quantized pass, {@link Ctx#quantized}).
     *
     * @param c the pass
     * @param x input [N, in, H, W]
     * @param in the ONNX value name of {@code x} in the exported graph
     * @return output
     */
    public NDArray forward(Ctx c, NDArray x, String in) {
        // quantize* names are the ONNX values of the exported block (LayerEmitter.block)
        NDArray y = x;
        String cur = in;
        if (expandW != null) {
            y = FixedNetwork.bn(c, prefix + ".expand.bn", Fn.conv(y, c.quantizeWeight(expandW), 1, 1), expandBn);
            y = c.quantizeActivation(prefix + ".expand", c.quantizeFoldedBias(cur, y, expandW, expandBn));
            y = c.quantizeActivation(prefix + ".expand.act", Fn.act(c, y, spec.activation()));
            cur = prefix + ".expand.act";
        }
        y = FixedNetwork.bn(c, prefix + ".dw.bn", Fn.conv(y, c.quantizeWeight(dwW), spec.stride(), spec.hiddenChannels()), dwBn);
        y = c.quantizeActivation(prefix + ".dw", c.quantizeFoldedBias(cur, y, dwW, dwBn));
        y = c.quantizeActivation(prefix + ".dw.act", Fn.act(c, y, spec.activation()));
        cur = prefix + ".dw.act";
        if (se != null) {
            long n = y.getShape().get(0);
            String pool = prefix + ".se.pool";
            String relu = prefix + ".se.relu";
            NDArray p = c.quantizeActivation(pool, Fn.gap(y).reshape(n, spec.hiddenChannels(), 1, 1));
            NDArray s = Fn.conv(p, c.quantizeWeight(se[0]), c.quantizeBias(pool, se[0], se[1]), 1, 1);
            s = c.quantizeActivation(relu, ai.djl.nn.Activation.relu(c.quantizeActivation(prefix + ".se.reduce", s)));
            s = Fn.conv(s, c.quantizeWeight(se[2]), c.quantizeBias(relu, se[2], se[3]), 1, 1);
            s = c.quantizeActivation(prefix + ".se.expand", s);
            s = c.quantizeActivation(prefix + ".se.hsigmoid", Fn.hsigmoid(c, s));
            y = c.quantizeActivation(prefix + ".se.mul", y.mul(s));
            cur = prefix + ".se.mul";
        }
        y = FixedNetwork.bn(c, prefix + ".project.bn", Fn.conv(y, c.quantizeWeight(projectW), 1, 1), projectBn);
        y = c.quantizeActivation(prefix + ".project", c.quantizeFoldedBias(cur, y, projectW, projectBn));
        return spec.residual() ? c.quantizeActivation(prefix + ".add", y.add(x)) : y;
    }

    /**
     * OFA-style description, e.g. {@code MB(I24,O40,E4,K5,S2,SE)}.
     *
     * @return the description
     */
    public String describe() {
        return spec.describe();
    }
}
