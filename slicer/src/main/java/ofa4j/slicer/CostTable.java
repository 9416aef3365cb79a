package ofa4j.slicer;

import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/**
 * {@link CostModel}'s MACs, parameters and peak activation memory by table look-up, for search
 * loops that cost tens of thousands of subnets per second.
 *
 * <p>Why a table is exact: in an OFA space a block's layer (and so its cost) depends only on its
 * stage, whether it is the stage's first block (input width and stride), its kernel, its expand
 * ratio and the input resolution (the feature-map size at a stage does not depend on depths, as
 * only first blocks stride). The fixed layers (stem, first block, final expand, feature mix,
 * classifier) depend on the resolution only. So the costs are sums (MACs, params) and a maximum
 * (peak memory) of entries taken once from {@link SearchSpace#layers(ArchConfig)} and {@link
 * CostModel}'s per-layer formulas. {@code CostTableTest} checks equality with {@link CostModel}.
 */
public final class CostTable {

    private final SearchSpace space;
    private final int nk;
    private final int ne;
    private final int nr;
    private final int maxDepth;
    private final int[] kernelIndex;
    private final int[] expandIndex;
    private final int[] resolutionIndex;
    // [stage][first?0:1][k][e][r]
    private final long[][][][][] blockMacs;
    private final long[][][][][] blockParams;
    private final long[][][][][] blockPeak;
    private final long[] fixedMacs;
    private final long[] fixedParams;
    private final long[] fixedPeak;

    /**
     * Builds the table of a space (a few hundred layer costs; milliseconds).
     *
     * @param space the search space
     */
    public CostTable(SearchSpace space) {
        this.space = space;
        List<Integer> ks = space.kernels();
        List<Integer> es = space.expandRatios();
        List<Integer> rs = space.resolutions();
        nk = ks.size();
        ne = es.size();
        nr = rs.size();
        maxDepth = space.maxDepth();
        kernelIndex = indexOf(ks);
        expandIndex = indexOf(es);
        resolutionIndex = indexOf(rs);
        int ns = space.numStages();
        blockMacs = new long[ns][2][nk][ne][nr];
        blockParams = new long[ns][2][nk][ne][nr];
        blockPeak = new long[ns][2][nk][ne][nr];
        fixedMacs = new long[nr];
        fixedParams = new long[nr];
        fixedPeak = new long[nr];
        boolean twoPerStage = maxDepth >= 2;
        for (int ki = 0; ki < nk; ki++) {
            for (int ei = 0; ei < ne; ei++) {
                for (int ri = 0; ri < nr; ri++) {
                    ArchConfig a = space.uniform(ks.get(ki), es.get(ei), maxDepth, rs.get(ri));
                    List<LayerSpec> layers = space.layers(a);
                    long fm = 0;
                    long fp = 0;
                    long fk = 0;
                    int blockPos = 0; // index among the elastic blocks
                    for (LayerSpec l : layers) {
                        boolean elastic = l.kind() == LayerSpec.Kind.BLOCK && l.blockIndex() > 0;
                        if (!elastic) {
                            fm += CostModel.macs(l);
                            fp += CostModel.params(l);
                            fk = Math.max(fk, CostModel.peakElements(l));
                            continue;
                        }
                        int stage = blockPos / maxDepth;
                        int j = blockPos % maxDepth;
                        blockPos++;
                        if (j > 1) {
                            continue;
                        }
                        blockMacs[stage][j][ki][ei][ri] = CostModel.macs(l);
                        blockParams[stage][j][ki][ei][ri] = CostModel.params(l);
                        blockPeak[stage][j][ki][ei][ri] = CostModel.peakElements(l);
                    }
                    fixedMacs[ri] = fm;
                    fixedParams[ri] = fp;
                    fixedPeak[ri] = fk;
                    if (!twoPerStage) {
                        for (int s = 0; s < ns; s++) {
                            blockMacs[s][1][ki][ei][ri] = blockMacs[s][0][ki][ei][ri];
                            blockParams[s][1][ki][ei][ri] = blockParams[s][0][ki][ei][ri];
                            blockPeak[s][1][ki][ei][ri] = blockPeak[s][0][ki][ei][ri];
                        }
                    }
                }
            }
        }
    }

    private static int[] indexOf(List<Integer> values) {
        int max = values.get(values.size() - 1);
        int[] idx = new int[max + 1];
        java.util.Arrays.fill(idx, -1);
        for (int i = 0; i < values.size(); i++) {
            idx[values.get(i)] = i;
        }
        return idx;
    }

    /** @return the space of this table */
    public SearchSpace space() {
        return space;
    }

    private int index(int[] table, int value, String what, List<Integer> allowed) {
        int i = value >= 0 && value < table.length ? table[value] : -1;
        if (i < 0) {
            throw new IllegalArgumentException(what + " must be one of " + allowed + ", found " + value);
        }
        return i;
    }

    /**
     * Computes the costs of a subnet; equal to {@link CostModel#cost(ArchConfig)}.
     *
     * @param arch the subnet (its choices must lie in the space)
     * @return MACs, params and peak activation bytes (batch 1, float32)
     * @throws IllegalArgumentException naming a kernel, expand ratio or resolution not in the space
     */
    public CostModel.Cost cost(ArchConfig arch) {
        int ri = index(resolutionIndex, arch.resolution(), "resolution", space.resolutions());
        long macs = fixedMacs[ri];
        long params = fixedParams[ri];
        long peak = fixedPeak[ri];
        List<Integer> depths = arch.depths();
        var blocks = arch.blocks();
        for (int s = 0; s < depths.size(); s++) {
            int d = depths.get(s);
            for (int j = 0; j < d; j++) {
                var b = blocks.get(s * maxDepth + j);
                int ki = index(kernelIndex, b.kernel(), "kernel", space.kernels());
                int ei = index(expandIndex, b.expand(), "expand ratio", space.expandRatios());
                int p = j == 0 ? 0 : 1;
                macs += blockMacs[s][p][ki][ei][ri];
                params += blockParams[s][p][ki][ei][ri];
                peak = Math.max(peak, blockPeak[s][p][ki][ei][ri]);
            }
        }
        return new CostModel.Cost(macs, params, peak * Float.BYTES);
    }
}
