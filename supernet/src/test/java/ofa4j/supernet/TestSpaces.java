package ofa4j.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.Activation;
import ofa4j.models.SearchSpace;
import ofa4j.models.StageSpec;
import ofa4j.supernet.data.ImageSet;

/** Tiny search spaces and helpers shared by the supernet tests. */
public final class TestSpaces {

    private TestSpaces() {}

    /** A two-stage Fashion-MNIST-like space at width 0.5, resolutions 12 and 16. */
    public static SearchSpace tinyFmnist() {
        return new SearchSpace(
                "tiny-fmnist", 1, 10, 16, 2, Activation.HSWISH, 16, Activation.RELU,
                List.of(new StageSpec(24, 2, Activation.RELU, false), new StageSpec(40, 2, Activation.HSWISH, true)),
                64, 96, List.of(3, 5, 7), List.of(3, 4, 6), List.of(2, 3, 4), List.of(12, 16), 0.5);
    }

    /**
     * The smallest space with every kind of layer (one stage of width 8, SE, kernels 3/5, expands
     * 2/3, depths 1/2, 8 px): the space of the binary fixtures {@code micro-*.bin}.
     */
    public static SearchSpace micro() {
        return new SearchSpace("micro", 1, 3, 4, 2, Activation.HSWISH, 4, Activation.RELU,
                List.of(new StageSpec(8, 2, Activation.RELU, true)), 8, 8, List.of(3, 5), List.of(2, 3),
                List.of(1, 2), List.of(8), 1.0);
    }

    /** OFA's MobileNetV3 w1.0 layout with 3 channels, 5 classes and 24/32 px inputs. */
    public static SearchSpace smallOfa() {
        return SearchSpace.ofaMbv3W10(3, 5, List.of(24, 32));
    }

    /**
     * Gives BN statistics, gamma/beta and kernel-transform matrices non-trivial random values, so
     * that tests comparing supernet and extraction can fail.
     */
    public static void randomize(Supernet net, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Map.Entry<String, NDArray> e : net.runningStatistics().entrySet()) {
            float[] v = new float[(int) e.getValue().size()];
            boolean var = e.getKey().endsWith(".var");
            for (int i = 0; i < v.length; i++) {
                v[i] = var ? (float) rng.nextDouble(0.5, 1.5) : (float) (0.2 * rng.nextGaussian());
            }
            e.getValue().set(v);
        }
        for (Map.Entry<String, Parameter> e : net.trainableParameters().entrySet()) {
            String n = e.getKey();
            NDArray a = e.getValue().getArray();
            float[] v = a.toFloatArray();
            if (n.contains(".ktrans.")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (0.2 * rng.nextGaussian());
                }
            } else if (n.equals("classifier.weight")) {
                // larger logits (order 1-10) so that an absolute tolerance of 1e-5 is strict
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 20f;
                }
            } else if (n.endsWith(".gamma")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rng.nextDouble(0.5, 1.5);
                }
            } else if (n.endsWith(".beta") || n.endsWith(".bias")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.1 * rng.nextGaussian());
                }
            } else {
                continue;
            }
            a.set(v);
        }
    }

    /** Random normal images [n, c, r, r]. */
    public static NDArray images(NDManager m, int n, int c, int r, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n * c * r * r];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return m.create(v, new Shape(n, c, r, r));
    }

    /** A random image set of values in [0, 1]. */
    public static ImageSet randomSet(int n, int c, int size, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] px = new float[n * c * size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rng.nextDouble();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(classes);
        }
        return new ImageSet("random", c, size, size, px, labels, classes);
    }

    /** Max |a - b|. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Max |a|. */
    public static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
