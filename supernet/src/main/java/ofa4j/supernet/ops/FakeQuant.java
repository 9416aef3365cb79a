package ofa4j.supernet.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fake quantization of a static network's forward pass (quantization-aware training, Jacob et al.,
 * CVPR 2018), computing in float what the INT8 QDQ export computes with integers, with a
 * straight-through estimator: {@code y = x + stopGradient(q(x) - x)}, so the forward sees {@code
 * q(x)} and the backward passes the gradient of {@code y} unchanged to {@code x}.
 *
 * <ul>
 *   <li>Weights ({@link #weight}): int8 per output channel (axis 0), symmetric: scale {@code
 *       max|w| / 127} (1 for an all-zero channel), {@code q = clip(floor(w / s + 0.5), -127, 127) *
 *       s}: the exporter rounds weights with Java's {@code Math.round}, which is {@code floor(x +
 *       0.5)} (half up), not the half-to-even of {@code NDArray.round}. The export quantizes the
 *       BN-folded weight {@code w * k[c]}, {@code k = gamma / sqrt(var + eps)}; with per-channel
 *       symmetric scales {@code q(w * k[c]) = k[c] * q(w)} (the scale scales with {@code |k[c]|} and
 *       rounding is odd-symmetric except at exact ties), so fake-quantizing the unfolded weight of a
 *       conv followed by a BN in inference mode computes the exported conv.
 *   <li>Biases ({@link #bias}, {@link #foldedBias}): the export stores them as int32 in steps of
 *       {@code s_input * s_weight[c]}; rounding them moves a conv's output by up to half a step,
 *       which is small, but enough to move about 1 in 1,000 outputs across a rounding boundary of
 *       the next quantization, so it is simulated too. The exporter's coarser weight scale for a
 *       channel whose bias would not fit in 2^30 steps (a BN gamma near 0) is not.
 *   <li>Activations ({@link #activation}): uint8 per tensor with the export's scale and zero point
 *       for that tensor, {@code q = (clip(round(x / s) + z, 0, 255) - z) * s} with round half to
 *       even, as ONNX Runtime's {@code QuantizeLinear}. A tensor the export does not quantize (a
 *       conv output read only by a ReLU, the logits) has no entry and passes unchanged.
 * </ul>
 *
 * <p>Activation tensors are named as the ONNX values of the exported graph ({@code input}, {@code
 * stem.conv}, {@code blocks.3.dw.act}, {@code blocks.3.se.mul}, {@code pool}, ...): the static
 * network calls {@link Ctx#quantizeActivation} at each of them. {@link #unvisited()} lists the
 * entries a forward pass never reached, so that a renamed value in either the exporter or the
 * network fails loudly instead of leaving a tensor unquantized.
 *
 * <p>A network run with a {@code FakeQuant} keeps batch norm in inference mode (running statistics,
 * not updated), the statistics the export folds into the convs: see {@link Ctx#quantized}.
 */
public final class FakeQuant {

    /** Largest int8 weight magnitude: the exporter's symmetric range [-127, 127]. */
    public static final int WEIGHT_MAX = 127;

    /** Largest uint8 activation code. */
    public static final int ACTIVATION_MAX = 255;

    /**
     * Quantization of one activation tensor: uint8, {@code x ~ (q - zeroPoint) * scale}.
     *
     * @param scale step, > 0 and finite
     * @param zeroPoint code of 0, in [0, 255]
     */
    public record Activation(float scale, int zeroPoint) {
        /** Checks the values. */
        public Activation {
            if (!(scale > 0) || !Float.isFinite(scale)) {
                throw new IllegalArgumentException("activation scale must be positive and finite, found " + scale);
            }
            if (zeroPoint < 0 || zeroPoint > ACTIVATION_MAX) {
                throw new IllegalArgumentException("activation zero point must be in [0, 255], found " + zeroPoint);
            }
        }
    }

    private final Map<String, Activation> activations;
    private final Set<String> visited = ConcurrentHashMap.newKeySet();

    /**
     * A fake quantizer.
     *
     * @param activations scale and zero point of every quantized activation, by ONNX value name
     */
    public FakeQuant(Map<String, Activation> activations) {
        if (activations == null) {
            throw new IllegalArgumentException("activations must not be null");
        }
        this.activations = Collections.unmodifiableMap(new LinkedHashMap<>(activations));
    }

    /** @return the activation quantization by ONNX value name */
    public Map<String, Activation> activations() {
        return activations;
    }

    /**
     * Names of the quantized activations no forward pass has reached yet, sorted.
     *
     * @return the names (empty once a whole forward ran and the names agree)
     */
    public Set<String> unvisited() {
        Set<String> s = new TreeSet<>(activations.keySet());
        s.removeAll(visited);
        return s;
    }

    /**
     * Fake-quantizes the activation tensor {@code name} if the export quantizes it.
     *
     * @param c the pass (owns the temporaries)
     * @param name ONNX value name
     * @param x the tensor
     * @return {@code x}, or its fake-quantized value with a straight-through gradient
     */
    public NDArray activation(Ctx c, String name, NDArray x) {
        Activation a = activations.get(name);
        if (a == null) {
            return x;
        }
        visited.add(name);
        NDManager m = c.scope();
        NDArray s = m.create(a.scale());
        NDArray d = x.stopGradient();
        NDArray q = d.div(s).round().add((float) a.zeroPoint()).clip(0f, (float) ACTIVATION_MAX)
                .sub((float) a.zeroPoint()).mul(s);
        return x.add(q.sub(d));
    }

    /**
     * Fake-quantizes a conv or linear weight per output channel (axis 0).
     *
     * @param c the pass (owns the temporaries; the result is a view owned by its scope, so the
     *     gradient reaches the weight and nothing lands in the weight's manager)
     * @param w the weight [out, ...]
     * @return its fake-quantized value with a straight-through gradient
     */
    public NDArray weight(Ctx c, NDArray w) {
        NDManager m = c.scope();
        NDArray v = view(m, w);
        NDArray d = v.stopGradient();
        long[] one = new long[d.getShape().dimension()]; // [out, 1, 1, ...]: broadcasts over the channel
        Arrays.fill(one, 1);
        one[0] = d.getShape().get(0);
        NDArray s = weightScale(m, d, null).reshape(new Shape(one));
        NDArray q = d.div(s).add(0.5f).floor().clip((float) -WEIGHT_MAX, (float) WEIGHT_MAX).mul(s);
        return v.add(q.sub(d));
    }

    /**
     * Rounds the bias of a conv or linear layer with its own bias (squeeze-excite convs, the
     * classifier) to the export's int32 grid: steps of {@code s_input * s_weight[c]}.
     *
     * @param c the pass
     * @param input ONNX value name of the layer's input (a quantized activation)
     * @param w the layer's (unquantized) weight [out, ...]
     * @param b the bias [out]
     * @return the rounded bias with a straight-through gradient
     * @throws IllegalStateException if {@code input} is not a quantized activation
     */
    public NDArray bias(Ctx c, String input, NDArray w, NDArray b) {
        NDManager m = c.scope();
        NDArray v = view(m, b);
        NDArray d = v.stopGradient();
        NDArray step = weightScale(m, view(m, w).stopGradient(), null).mul(m.create(inputScale(input)));
        return v.add(d.div(step).round().mul(step).sub(d));
    }

    /**
     * Adds to the output of a conv and its batch norm (inference mode) the difference between the
     * export's int32 bias and the folded bias {@code beta - mean * k}, {@code k = gamma / sqrt(var +
     * eps)}: the export rounds it to steps of {@code s_input * s_folded[c]} with {@code s_folded[c] =
     * |k[c]| * max|w[c]| / 127}. A constant: no gradient flows through the correction.
     *
     * @param c the pass
     * @param input ONNX value name of the conv's input (a quantized activation)
     * @param y the batch norm's output [N, C, ...]
     * @param w the conv's (unquantized) weight [C, ...]
     * @param bn gamma, beta, running mean, running variance [C]
     * @param eps the batch norm's epsilon
     * @return {@code y} with the export's bias
     * @throws IllegalStateException if {@code input} is not a quantized activation
     */
    public NDArray foldedBias(Ctx c, String input, NDArray y, NDArray w, NDArray[] bn, float eps) {
        NDManager m = c.scope();
        NDArray gamma = view(m, bn[0]).stopGradient();
        NDArray beta = view(m, bn[1]).stopGradient();
        NDArray mean = view(m, bn[2]).stopGradient();
        NDArray var = view(m, bn[3]).stopGradient();
        NDArray k = gamma.div(var.add(eps).sqrt());
        NDArray b = beta.sub(mean.mul(k));
        NDArray step = weightScale(m, view(m, w).stopGradient(), k).mul(m.create(inputScale(input)));
        NDArray delta = b.div(step).round().mul(step).sub(b);
        long[] shape = new long[y.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[1] = delta.getShape().get(0);
        return y.add(delta.reshape(new Shape(shape)));
    }

    /** A view of {@code a} owned by {@code m} (a result lands in its first operand's manager: DJL notes, pitfall 6). */
    private static NDArray view(NDManager m, NDArray a) {
        return a.getManager() == m ? a : a.get(m, new NDIndex().addAllDim());
    }

    /**
     * The exporter's per-channel weight scale {@code max|w[c] * k[c]| / 127}, 1 for an all-zero channel.
     *
     * @param d the weight, detached [C, ...]
     * @param k per-channel factors (the folded BN scale) [C], or null for 1
     * @return the scales [C]
     */
    private static NDArray weightScale(NDManager m, NDArray d, NDArray k) {
        NDArray max = d.reshape(d.getShape().get(0), -1).abs().max(new int[] {1});
        if (k != null) {
            max = max.mul(k.abs());
        }
        NDArray s = max.div(m.create((float) WEIGHT_MAX));
        return s.add(s.eq(0f).toType(DataType.FLOAT32, false));
    }

    private float inputScale(String input) {
        Activation a = activations.get(input);
        if (a == null) {
            throw new IllegalStateException("the input '" + input + "' of a quantized layer is not a quantized"
                    + " activation of the export (quantized: " + activations.keySet() + ")");
        }
        return a.scale();
    }

    /**
     * Quantizes an activation as ONNX Runtime's {@code QuantizeLinear} then {@code
     * DequantizeLinear} do, in plain Java (a reference for tests).
     *
     * @param a the quantization
     * @param x the value
     * @return the dequantized value
     */
    public static float reference(Activation a, float x) {
        float q = (float) Math.rint(x / a.scale()) + a.zeroPoint();
        q = Math.max(0, Math.min(ACTIVATION_MAX, q));
        return (q - a.zeroPoint()) * a.scale();
    }
}
