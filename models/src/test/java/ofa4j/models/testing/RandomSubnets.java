package ofa4j.models.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;

/**
 * Seeded random {@link Subnet}s for tests: every tensor of {@link Subnet#layout} filled with
 * plausible values, including non-trivial batch-norm statistics, so that BN folding and the full
 * forward pass are exercised. Same (space, arch, seed) gives the same subnet.
 */
public final class RandomSubnets {

    /** BN epsilon used by the subnets made here (OFA's default). */
    public static final double BN_EPS = 1e-5;

    /**
     * Scale of the classifier weights over variance {@code 1 / fanIn}: with it the logits reach
     * about 2..10, the order of a trained classifier's, so that an absolute tolerance such as 1e-4
     * is a real test (variance-{@code 1/fanIn} weights alone give logits below 0.5).
     */
    public static final double CLASSIFIER_GAIN = 20;

    private RandomSubnets() {}

    /**
     * Makes a subnet with random weights.
     *
     * <p>Ranges: conv and linear weights uniform with variance {@code 1 / fanIn} (keeps activations
     * bounded through the depth), the classifier's times {@link #CLASSIFIER_GAIN}; biases in [-0.1, 0.1]; BN gamma in [0.5, 1.5], beta in
     * [-0.2, 0.2], mean in [-0.3, 0.3], var in [0.3, 2.0]. Metadata: {@code seed},
     * {@code input.mean} / {@code input.std} (Fashion-MNIST's for grey, ImageNet's for RGB).
     *
     * @param space the space
     * @param arch an architecture of the space
     * @param seed the seed
     * @return the subnet
     */
    public static Subnet create(SearchSpace space, ArchConfig arch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Subnet.layout(space, arch).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            double lo;
            double hi;
            if (name.endsWith(".gamma")) {
                lo = 0.5;
                hi = 1.5;
            } else if (name.endsWith(".beta")) {
                lo = -0.2;
                hi = 0.2;
            } else if (name.endsWith(".mean")) {
                lo = -0.3;
                hi = 0.3;
            } else if (name.endsWith(".var")) {
                lo = 0.3;
                hi = 2.0;
            } else if (name.endsWith(".bias")) {
                lo = -0.1;
                hi = 0.1;
            } else {
                double a = Math.sqrt(3.0 / (n / shape[0]));
                if (name.equals("classifier.weight")) {
                    a *= CLASSIFIER_GAIN;
                }
                lo = -a;
                hi = a;
            }
            float[] d = new float[n];
            for (int i = 0; i < n; i++) {
                d[i] = (float) rng.nextDouble(lo, hi);
            }
            tensors.put(name, new Tensor(shape, d));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("seed", Long.toString(seed));
        if (space.inChannels() == 1) {
            meta.put(Subnet.INPUT_MEAN_KEY, "0.2860");
            meta.put(Subnet.INPUT_STD_KEY, "0.3530");
        } else if (space.inChannels() == 3) {
            meta.put(Subnet.INPUT_MEAN_KEY, "0.485,0.456,0.406");
            meta.put(Subnet.INPUT_STD_KEY, "0.229,0.224,0.225");
        }
        return new Subnet(space, arch, tensors, BN_EPS, meta);
    }

    /**
     * Makes a seeded batch of normalised images, values roughly standard normal.
     *
     * @param batch batch size
     * @param channels channels
     * @param resolution height = width
     * @param seed the seed
     * @return {@code batch * channels * resolution^2} values, NCHW row-major
     */
    public static float[] input(int batch, int channels, int resolution, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[batch * channels * resolution * resolution];
        for (int i = 0; i < x.length; i++) {
            // sum of three uniforms: roughly normal, bounded, variance 1
            x[i] = (float) (rng.nextDouble(-1, 1) + rng.nextDouble(-1, 1) + rng.nextDouble(-1, 1));
        }
        return x;
    }
}
