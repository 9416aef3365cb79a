package ofa4j.models;

import java.util.List;

/**
 * Analytic cost of a subnet computed from its {@link ArchConfig} alone (no weights, no engine).
 *
 * <p>Conventions (those of OFA's {@code count_net_flops} and {@code count_parameters}, so that our
 * figures compare with the paper's):
 *
 * <ul>
 *   <li><b>MACs</b>: multiply-accumulates of convolutions and linear layers only, for one image:
 *       a conv costs {@code outH * outW * k * k * inChannels / groups * outChannels}, a linear
 *       {@code in * out}. SE layers are included (two 1x1 convs on a 1x1 map). Biases, batch norm,
 *       activations, pooling, the SE gate multiply and residual adds are excluded.
 *   <li><b>Params</b>: trainable parameters of the extracted subnet: conv and linear weights,
 *       biases (SE convs, classifier), BN scale and shift. BN running statistics and the supernet's
 *       kernel transformation matrices are not counted.
 *   <li><b>Peak activation memory</b>: for batch 1 and float32, the largest sum over the operations
 *       executed in order of the tensors alive during that operation: its input(s), its output,
 *       and a block input held for a later residual add. Weights are not counted. Bytes.
 * </ul>
 */
public final class CostModel {

    private final SearchSpace space;

    /**
     * Creates the model for one space.
     *
     * @param space the search space
     */
    public CostModel(SearchSpace space) {
        this.space = space;
    }

    /**
     * The three costs of one subnet.
     *
     * @param macs multiply-accumulates per image
     * @param params trainable parameters
     * @param peakActivationBytes peak activation memory at batch 1, bytes (float32)
     */
    public record Cost(long macs, long params, long peakActivationBytes) {
        /** @return MACs in millions */
        public double mmacs() {
            return macs / 1e6;
        }

        /** @return parameters in millions */
        public double mparams() {
            return params / 1e6;
        }
    }

    /**
     * Computes all costs of {@code arch}.
     *
     * @param arch the subnet
     * @return its cost
     */
    public Cost cost(ArchConfig arch) {
        List<LayerSpec> layers = space.layers(arch);
        long macs = 0;
        long params = 0;
        long peak = 0;
        for (LayerSpec l : layers) {
            macs += macs(l);
            params += params(l);
            peak = Math.max(peak, peakElements(l));
        }
        return new Cost(macs, params, peak * Float.BYTES);
    }

    /**
     * @param arch the subnet
     * @return multiply-accumulates per image
     */
    public long macs(ArchConfig arch) {
        long m = 0;
        for (LayerSpec l : space.layers(arch)) {
            m += macs(l);
        }
        return m;
    }

    /**
     * @param arch the subnet
     * @return trainable parameters of the extracted subnet
     */
    public long params(ArchConfig arch) {
        long p = 0;
        for (LayerSpec l : space.layers(arch)) {
            p += params(l);
        }
        return p;
    }

    /**
     * @param arch the subnet
     * @return peak activation bytes at batch 1, float32
     */
    public long peakActivationBytes(ArchConfig arch) {
        return cost(arch).peakActivationBytes();
    }

    /**
     * MACs of one layer (convention in the class comment).
     *
     * @param l the layer
     * @return multiply-accumulates per image
     */
    public static long macs(LayerSpec l) {
        long outPix = (long) l.outResolution() * l.outResolution();
        long inPix = (long) l.inResolution() * l.inResolution();
        long k2 = (long) l.kernel() * l.kernel();
        switch (l.kind()) {
            case STEM:
            case FINAL_EXPAND:
                return outPix * k2 * l.inChannels() * l.outChannels();
            case FEATURE_MIX:
            case CLASSIFIER:
                return (long) l.inChannels() * l.outChannels();
            case BLOCK:
                long h = l.hiddenChannels();
                long m = 0;
                if (l.expand() != 1) {
                    m += inPix * l.inChannels() * h;
                }
                m += outPix * k2 * h;
                if (l.se()) {
                    m += 2L * h * l.seChannels();
                }
                m += outPix * h * l.outChannels();
                return m;
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    /**
     * Trainable parameters of one layer (convention in the class comment).
     *
     * @param l the layer
     * @return parameter count
     */
    public static long params(LayerSpec l) {
        long k2 = (long) l.kernel() * l.kernel();
        switch (l.kind()) {
            case STEM:
            case FINAL_EXPAND:
                return k2 * l.inChannels() * l.outChannels() + 2L * l.outChannels();
            case FEATURE_MIX:
                return (long) l.inChannels() * l.outChannels();
            case CLASSIFIER:
                return (long) l.inChannels() * l.outChannels() + l.outChannels();
            case BLOCK:
                long h = l.hiddenChannels();
                long p = 0;
                if (l.expand() != 1) {
                    p += l.inChannels() * h + 2 * h;
                }
                p += k2 * h + 2 * h;
                if (l.se()) {
                    long r = l.seChannels();
                    p += h * r + r + r * h + h;
                }
                p += h * l.outChannels() + 2L * l.outChannels();
                return p;
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }

    /**
     * Peak number of live activation elements while the layer runs, batch 1.
     *
     * @param l the layer
     * @return elements (multiply by 4 for float32 bytes)
     */
    public static long peakElements(LayerSpec l) {
        long inPix = (long) l.inResolution() * l.inResolution();
        long outPix = (long) l.outResolution() * l.outResolution();
        long in = inPix * l.inChannels();
        switch (l.kind()) {
            case STEM:
                return in + outPix * l.outChannels();
            case FINAL_EXPAND:
                // conv, then global pooling of its output
                return Math.max(in + outPix * l.outChannels(), outPix * l.outChannels() + l.outChannels());
            case FEATURE_MIX:
            case CLASSIFIER:
                return (long) l.inChannels() + l.outChannels();
            case BLOCK:
                long h = l.hiddenChannels();
                long held = l.residual() ? in : 0;
                long h1 = inPix * h; // expand output (or the input itself when expand == 1)
                long h2 = outPix * h; // depthwise output
                long out = outPix * l.outChannels();
                long peak = 0;
                if (l.expand() != 1) {
                    peak = Math.max(peak, in + h1); // the block input is alive here anyway
                    peak = Math.max(peak, held == 0 ? h1 + h2 : held + h1 + h2);
                } else {
                    peak = Math.max(peak, in + h2);
                }
                if (l.se()) {
                    // pooled vector, SE hidden, gate, then the gated copy of h2
                    peak = Math.max(peak, held + h2 + h + l.seChannels());
                    peak = Math.max(peak, held + h2 + h + h2);
                }
                peak = Math.max(peak, held + h2 + out);
                if (l.residual()) {
                    peak = Math.max(peak, held + out + out);
                }
                return peak;
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
    }
}
