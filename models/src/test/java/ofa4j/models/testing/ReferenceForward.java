package ofa4j.models.testing;

import java.util.Arrays;
import ofa4j.models.Activation;
import ofa4j.models.LayerSpec;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;

/**
 * A plain-Java forward pass of a {@link Subnet}, written as directly as possible from the
 * MobileNetV3 / OFA definitions, in double precision with batch norm kept unfolded: the
 * independent reference that exports and extracted subnets are compared with. Slow by design
 * (nested loops); meant for tests on small nets.
 *
 * <p>Semantics: conv padding {@code k / 2}; BN {@code gamma * (x - mean) / sqrt(var + eps) +
 * beta}; h-swish {@code x * relu6(x + 3) / 6}; h-sigmoid {@code relu6(x + 3) / 6}; SE = global
 * average pool, 1x1 conv with bias, ReLU, 1x1 conv with bias, h-sigmoid, channel-wise product;
 * block = [expand 1x1, BN, act], depthwise k x k, BN, act, [SE], project 1x1, BN, [+ input];
 * then final 1x1 expand + BN + h-swish, global average pool, feature mix (no bias) + h-swish,
 * classifier with bias.
 */
public final class ReferenceForward {

    private ReferenceForward() {}

    /** A feature map of one sample: {@code c} channels of {@code h x w}, channel-major. */
    private record Map3(int c, int h, int w, double[] v) {
        double at(int ch, int y, int x) {
            return v[(ch * h + y) * w + x];
        }
    }

    /**
     * Computes the logits of a batch.
     *
     * @param s the subnet
     * @param input normalised images, NCHW row-major: {@code batch * C * r * r} values where {@code r}
     *     is the subnet's resolution
     * @param batch the batch size
     * @return logits, {@code batch * classes} values, row-major
     */
    public static float[] forward(Subnet s, float[] input, int batch) {
        int c = s.space().inChannels();
        int r = s.arch().resolution();
        int per = c * r * r;
        if (input.length != batch * per) {
            throw new IllegalArgumentException(
                    "input must have " + batch + " x " + c + " x " + r + " x " + r + " = " + batch * per
                            + " values, found " + input.length);
        }
        int classes = s.space().numClasses();
        float[] out = new float[batch * classes];
        for (int b = 0; b < batch; b++) {
            double[] x = new double[per];
            for (int i = 0; i < per; i++) {
                x[i] = input[b * per + i];
            }
            double[] logits = sample(s, new Map3(c, r, r, x));
            for (int k = 0; k < classes; k++) {
                out[b * classes + k] = (float) logits[k];
            }
        }
        return out;
    }

    private static double[] sample(Subnet s, Map3 x) {
        double[] features = null;
        int blockIdx = 0;
        for (LayerSpec l : s.layers()) {
            switch (l.kind()) {
                case STEM:
                    x = act(bn(conv(x, s.tensor("stem.conv.weight"), l.stride(), 1, null), s, "stem.bn"), l.activation());
                    break;
                case BLOCK: {
                    String p = "blocks." + blockIdx++ + ".";
                    Map3 in = x;
                    Map3 h = x;
                    if (l.expand() != 1) {
                        h = act(bn(conv(h, s.tensor(p + "expand.weight"), 1, 1, null), s, p + "expand.bn"), l.activation());
                    }
                    h = act(bn(conv(h, s.tensor(p + "dw.weight"), l.stride(), h.c(), null), s, p + "dw.bn"), l.activation());
                    if (l.se()) {
                        h = squeezeExcite(h, s, p + "se.");
                    }
                    h = bn(conv(h, s.tensor(p + "project.weight"), 1, 1, null), s, p + "project.bn");
                    if (l.residual()) {
                        double[] sum = new double[h.v().length];
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] = h.v()[i] + in.v()[i];
                        }
                        h = new Map3(h.c(), h.h(), h.w(), sum);
                    }
                    x = h;
                    break;
                }
                case FINAL_EXPAND:
                    x = act(bn(conv(x, s.tensor("final_expand.conv.weight"), 1, 1, null), s, "final_expand.bn"), Activation.HSWISH);
                    break;
                case FEATURE_MIX:
                    features = actVec(linear(averagePool(x), s.tensor("feature_mix.weight"), null), Activation.HSWISH);
                    break;
                case CLASSIFIER:
                    return linear(features, s.tensor("classifier.weight"), s.tensor("classifier.bias"));
                default:
                    throw new IllegalStateException("unknown layer " + l.kind());
            }
        }
        throw new IllegalStateException("subnet has no classifier layer");
    }

    /** 2-D convolution, padding k / 2, {@code groups} groups, optional bias. */
    private static Map3 conv(Map3 x, Tensor w, int stride, int groups, double[] bias) {
        int outC = w.dim(0);
        int inPerGroup = w.dim(1);
        int k = w.dim(2);
        int pad = k / 2;
        if (inPerGroup * groups != x.c()) {
            throw new IllegalStateException("conv weight " + Arrays.toString(w.shape()) + " does not fit " + x.c() + " channels");
        }
        int outPerGroup = outC / groups;
        int oh = (x.h() + 2 * pad - k) / stride + 1;
        int ow = (x.w() + 2 * pad - k) / stride + 1;
        float[] wd = w.data();
        double[] out = new double[outC * oh * ow];
        for (int o = 0; o < outC; o++) {
            int g = o / outPerGroup;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double sum = bias == null ? 0 : bias[o];
                    for (int ci = 0; ci < inPerGroup; ci++) {
                        int ch = g * inPerGroup + ci;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * stride - pad + ky;
                            if (iy < 0 || iy >= x.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * stride - pad + kx;
                                if (ix < 0 || ix >= x.w()) {
                                    continue;
                                }
                                sum += wd[((o * inPerGroup + ci) * k + ky) * k + kx] * x.at(ch, iy, ix);
                            }
                        }
                    }
                    out[(o * oh + oy) * ow + ox] = sum;
                }
            }
        }
        return new Map3(outC, oh, ow, out);
    }

    private static Map3 bn(Map3 x, Subnet s, String p) {
        float[] gamma = s.tensor(p + ".gamma").data();
        float[] beta = s.tensor(p + ".beta").data();
        float[] mean = s.tensor(p + ".mean").data();
        float[] var = s.tensor(p + ".var").data();
        int hw = x.h() * x.w();
        double[] out = new double[x.v().length];
        for (int c = 0; c < x.c(); c++) {
            double sd = Math.sqrt(var[c] + s.bnEps());
            for (int i = 0; i < hw; i++) {
                out[c * hw + i] = gamma[c] * (x.v()[c * hw + i] - mean[c]) / sd + beta[c];
            }
        }
        return new Map3(x.c(), x.h(), x.w(), out);
    }

    private static Map3 act(Map3 x, Activation a) {
        return new Map3(x.c(), x.h(), x.w(), actVec(x.v(), a));
    }

    private static double[] actVec(double[] v, Activation a) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = a == Activation.RELU ? Math.max(v[i], 0) : v[i] * hSigmoid(v[i]);
        }
        return out;
    }

    /** relu6(x + 3) / 6. */
    private static double hSigmoid(double x) {
        return Math.min(Math.max(x + 3, 0), 6) / 6;
    }

    private static double[] averagePool(Map3 x) {
        int hw = x.h() * x.w();
        double[] out = new double[x.c()];
        for (int c = 0; c < x.c(); c++) {
            double sum = 0;
            for (int i = 0; i < hw; i++) {
                sum += x.v()[c * hw + i];
            }
            out[c] = sum / hw;
        }
        return out;
    }

    /** y = W x (+ b) for W of shape [out, in] (or [out, in, 1, 1]). */
    private static double[] linear(double[] x, Tensor w, Tensor b) {
        int out = w.dim(0);
        int in = w.size() / out;
        if (in != x.length) {
            throw new IllegalStateException("linear weight " + Arrays.toString(w.shape()) + " does not fit " + x.length + " inputs");
        }
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = b == null ? 0 : b.data()[o];
            for (int i = 0; i < in; i++) {
                sum += w.data()[o * in + i] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    private static Map3 squeezeExcite(Map3 x, Subnet s, String p) {
        double[] pooled = averagePool(x);
        double[] red = linear(pooled, s.tensor(p + "reduce.weight"), s.tensor(p + "reduce.bias"));
        for (int i = 0; i < red.length; i++) {
            red[i] = Math.max(red[i], 0);
        }
        double[] gate = linear(red, s.tensor(p + "expand.weight"), s.tensor(p + "expand.bias"));
        int hw = x.h() * x.w();
        double[] out = new double[x.v().length];
        for (int c = 0; c < x.c(); c++) {
            double g = hSigmoid(gate[c]);
            for (int i = 0; i < hw; i++) {
                out[c * hw + i] = x.v()[c * hw + i] * g;
            }
        }
        return new Map3(x.c(), x.h(), x.w(), out);
    }
}
