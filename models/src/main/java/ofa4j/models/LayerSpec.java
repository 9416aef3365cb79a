package ofa4j.models;

/**
 * One layer of a subnet with the sizes it sees, as listed by {@link SearchSpace#layers(ArchConfig)}.
 * Two layers with equal {@link #key()} cost the same on a device, which is what the latency
 * look-up table keys on.
 *
 * <p>Kinds and their fields:
 *
 * <ul>
 *   <li>{@code STEM}, {@code FINAL_EXPAND}: conv {@code kernel x kernel} (stride {@code stride})
 *       from {@code inChannels} to {@code outChannels}, BN, {@code activation}.
 *   <li>{@code BLOCK}: MobileNetV3 inverted residual: 1x1 expand to {@code hiddenChannels} (absent
 *       when {@code expand == 1}), BN, act; depthwise {@code kernel} (stride {@code stride}), BN,
 *       act; SE with {@code seChannels} hidden units (ReLU, hard sigmoid) if {@code se}; 1x1
 *       project to {@code outChannels}, BN; residual add if {@code residual}.
 *   <li>{@code FEATURE_MIX}: after global average pooling, linear {@code inChannels ->
 *       outChannels} without bias, h-swish (OFA's 1x1 conv on a 1x1 map).
 *   <li>{@code CLASSIFIER}: linear with bias, no activation.
 * </ul>
 *
 * @param kind the layer kind
 * @param blockIndex index among the subnet's blocks (0 = the fixed first block), -1 otherwise
 * @param inResolution input height = width in pixels (1 for the linear layers)
 * @param inChannels input channels
 * @param hiddenChannels hidden channels (blocks), else equal to {@code inChannels}
 * @param outChannels output channels
 * @param kernel kernel size (1 for linear)
 * @param stride stride (1 for linear)
 * @param activation activation, null for the classifier
 * @param se squeeze-and-excite present
 * @param seChannels SE hidden units (0 without SE)
 * @param expand expand ratio of a block (1 = no expand conv), 0 for other kinds
 * @param residual the block adds its input to its output
 * @param bias the layer has a bias (classifier only; SE convs always have biases)
 */
public record LayerSpec(
        Kind kind,
        int blockIndex,
        int inResolution,
        int inChannels,
        int hiddenChannels,
        int outChannels,
        int kernel,
        int stride,
        Activation activation,
        boolean se,
        int seChannels,
        int expand,
        boolean residual,
        boolean bias) {

    /** Layer kinds. */
    public enum Kind {
        /** First conv. */
        STEM,
        /** Inverted-residual block (including the fixed first block). */
        BLOCK,
        /** 1x1 conv before pooling. */
        FINAL_EXPAND,
        /** Linear after pooling. */
        FEATURE_MIX,
        /** Final linear. */
        CLASSIFIER
    }

    /**
     * Output size of a conv with odd kernel, padding {@code kernel / 2} and this stride: {@code
     * ceil(in / stride)}.
     *
     * @param in input size
     * @param stride stride
     * @return output size
     */
    public static int outSize(int in, int stride) {
        return (in + stride - 1) / stride;
    }

    static LayerSpec conv(Kind kind, int idx, int res, int in, int out, int k, int stride, Activation act) {
        return new LayerSpec(kind, idx, res, in, in, out, k, stride, act, false, 0, 0, false, false);
    }

    static LayerSpec linear(Kind kind, int in, int out, Activation act, boolean bias) {
        return new LayerSpec(kind, -1, 1, in, in, out, 1, 1, act, false, 0, 0, false, bias);
    }

    static LayerSpec block(
            int idx, int res, int in, int hidden, int out, int k, int stride, Activation act, boolean se,
            int seCh, int expand, boolean residual) {
        return new LayerSpec(
                Kind.BLOCK, idx, res, in, hidden, out, k, stride, act, se, seCh, expand, residual, false);
    }

    /** @return output height = width */
    public int outResolution() {
        return outSize(inResolution, stride);
    }

    /**
     * A stable key of everything that determines this layer's cost, e.g. {@code
     * BLOCK:r14:i24:h96:o24:k5:s1:relu:se0:res1}.
     *
     * @return the key
     */
    public String key() {
        StringBuilder sb = new StringBuilder(kind.name());
        sb.append(":r").append(inResolution).append(":i").append(inChannels);
        if (kind == Kind.BLOCK) {
            sb.append(":h").append(hiddenChannels);
        }
        sb.append(":o").append(outChannels).append(":k").append(kernel).append(":s").append(stride);
        sb.append(':').append(activation == null ? "none" : activation.jsonName());
        if (kind == Kind.BLOCK) {
            sb.append(":se").append(seChannels).append(":res").append(residual ? 1 : 0);
        }
        return sb.toString();
    }

    /**
     * OFA-style description, e.g. {@code MB(I24,O40,E4,K5,S2,SE)}.
     *
     * @return a short description
     */
    public String describe() {
        switch (kind) {
            case BLOCK:
                return "MB(I" + inChannels + ",O" + outChannels + ",E" + expand + ",K" + kernel + ",S" + stride
                        + (se ? ",SE" : "") + (residual ? ",RES" : "") + ")";
            case STEM:
                return "Stem(" + inChannels + "->" + outChannels + ",K" + kernel + ",S" + stride + ")";
            case FINAL_EXPAND:
                return "FinalExpand(" + inChannels + "->" + outChannels + ")";
            case FEATURE_MIX:
                return "FeatureMix(" + inChannels + "->" + outChannels + ")";
            default:
                return "Classifier(" + inChannels + "->" + outChannels + ")";
        }
    }
}
