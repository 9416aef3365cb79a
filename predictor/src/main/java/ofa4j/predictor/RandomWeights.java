package ofa4j.predictor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;

/**
 * Random-weight subnets for latency profiling (latency does not depend on the weight values, only
 * on shapes): He-normal conv and linear weights keep activations of order one (no denormals), BN
 * gamma in [0.5, 1.5], beta and running mean small, running var in [0.5, 1.5].
 */
public final class RandomWeights {

    private RandomWeights() {}

    /**
     * Builds a subnet with random weights.
     *
     * @param space the space
     * @param arch the subnet
     * @param seed the seed
     * @return a valid {@link Subnet} with every tensor of {@link Subnet#layout(SearchSpace, ArchConfig)}
     */
    public static Subnet subnet(SearchSpace space, ArchConfig arch, long seed) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("weights", "random, seed " + seed + " (latency profiling)");
        return new Subnet(space, arch, tensors(Subnet.layout(space, arch), seed), 1e-5, meta);
    }

    /**
     * Random tensors of one layer, named as in a subnet ({@link Subnet#layerLayout(LayerSpec)}).
     *
     * @param layer the layer
     * @param seed the seed
     * @return name to tensor
     */
    public static Map<String, Tensor> layer(LayerSpec layer, long seed) {
        return tensors(Subnet.layerLayout(layer), seed);
    }

    private static Map<String, Tensor> tensors(Map<String, int[]> layout, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : layout.entrySet()) {
            int[] shape = e.getValue();
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            float[] v = new float[n];
            String name = e.getKey();
            if (name.endsWith(".gamma") || name.endsWith(".var")) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (0.5 + rng.nextDouble());
                }
            } else if (name.endsWith(".beta") || name.endsWith(".mean") || name.endsWith(".bias")) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) ((rng.nextDouble() - 0.5) * 0.2);
                }
            } else {
                int fanIn = 1;
                for (int d = 1; d < shape.length; d++) {
                    fanIn *= shape[d];
                }
                double sd = Math.sqrt(2.0 / Math.max(1, fanIn));
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (gaussian(rng) * sd);
                }
            }
            t.put(name, new Tensor(shape, v));
        }
        return t;
    }

    private static double gaussian(SplittableRandom rng) {
        double u = Math.max(1e-12, rng.nextDouble());
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
