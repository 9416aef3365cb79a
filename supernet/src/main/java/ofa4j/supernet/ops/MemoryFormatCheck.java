package ofa4j.supernet.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Decides once per process whether {@link Fn#conv} computes 1x1 convolutions of channels-last
 * inputs correctly: seeded random maps at output widths that libtorch's own kernel got wrong here
 * with two intra-op threads (40, 72, 80), against a plain-Java product. A mismatch turns
 * channels-last off ({@link Ctx#CHANNELS_LAST}) and logs one warning.
 */
public final class MemoryFormatCheck {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MemoryFormatCheck.class);

    /** Output widths checked: the faulty kernel was wrong for these, right for 24, 32, 48, 64, 96. */
    static final int[] WIDTHS = {40, 72, 80};

    /** Largest |channels-last - contiguous| accepted. */
    static final double TOLERANCE = 1e-3;

    private MemoryFormatCheck() {}

    /**
     * Runs the check (no gradient, a few milliseconds).
     *
     * @return true when channels-last gives the same results as contiguous maps
     */
    public static boolean channelsLastIsCorrect() {
        if (Boolean.getBoolean("ofa.nchw")) {
            return false;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            SplittableRandom rng = new SplittableRandom(1);
            float[] xv = new float[2 * 24 * 7 * 7];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = (float) rng.nextGaussian();
            }
            NDArray x = m.create(xv, new Shape(2, 24, 7, 7));
            NDArray xl = x.transpose(0, 2, 3, 1).reshape(2, 7 * 7 * 24).reshape(2, 7, 7, 24).transpose(0, 3, 1, 2);
            double worst = 0;
            for (int out : WIDTHS) {
                float[] wv = new float[out * 24];
                for (int i = 0; i < wv.length; i++) {
                    wv[i] = (float) rng.nextGaussian();
                }
                NDArray w = m.create(wv, new Shape(out, 24, 1, 1));
                float[] b = Fn.conv(xl, w, 1, 1).toFloatArray();
                for (int n = 0; n < 2; n++) {
                    for (int o = 0; o < out; o++) {
                        for (int p = 0; p < 49; p++) {
                            double acc = 0;
                            for (int c = 0; c < 24; c++) {
                                acc += (double) wv[o * 24 + c] * xv[(n * 24 + c) * 49 + p];
                            }
                            worst = Math.max(worst, Math.abs(acc - b[(n * out + o) * 49 + p]));
                        }
                    }
                }
            }
            if (worst > TOLERANCE) {
                LOG.warn("this engine computes 1x1 convolutions of channels-last maps wrongly (max error {});"
                        + " using contiguous NCHW maps, which is slower", worst);
                return false;
            }
            return true;
        }
    }
}
