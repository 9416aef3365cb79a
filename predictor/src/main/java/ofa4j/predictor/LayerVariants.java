package ofa4j.predictor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/**
 * Enumerates every distinct layer variant ({@link LayerSpec#key()}) that any subnet of a space can
 * contain, analytically, without sampling.
 *
 * <p>Why a few uniform subnets suffice: a layer's sizes depend only on the resolution, its stage,
 * whether it is the first block of its stage (which strides and changes width) or a later one
 * (stride 1, same width), and its own kernel and expand ratio. The depth of a stage only decides
 * how many later blocks run; they all have the same sizes, and only first blocks stride, so depth
 * changes no other layer's input size. Hence the union of the layers of the max-depth subnets
 * with the same (kernel, expand) in every block, over all kernels x expand ratios x resolutions,
 * holds every variant: {@code |K| |E| |R|} subnets (27 for {@code fmnist}, 225 for OFA's space),
 * each described by {@link SearchSpace#layers(ArchConfig)}, the single description of the network.
 */
public final class LayerVariants {

    private LayerVariants() {}

    /**
     * Returns every distinct layer variant of the space, keyed by {@link LayerSpec#key()}, in a
     * stable order (resolution, kernel, expand, then execution order).
     *
     * @param space the search space
     * @return key to one layer with that key
     */
    public static Map<String, LayerSpec> enumerate(SearchSpace space) {
        Map<String, LayerSpec> out = new LinkedHashMap<>();
        for (int r : space.resolutions()) {
            for (int k : space.kernels()) {
                for (int e : space.expandRatios()) {
                    ArchConfig a = space.uniform(k, e, space.maxDepth(), r);
                    for (LayerSpec l : space.layers(a)) {
                        out.putIfAbsent(l.key(), l);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Returns the layer keys of one subnet in execution order.
     *
     * @param space the space
     * @param arch the subnet
     * @return its layer keys
     */
    public static List<String> keys(SearchSpace space, ArchConfig arch) {
        List<String> out = new ArrayList<>();
        for (LayerSpec l : space.layers(arch)) {
            out.add(l.key());
        }
        return out;
    }
}
