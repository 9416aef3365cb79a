package ofa4j.slicer;

import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;

/**
 * A {@link DeviceProfile}'s latency model by array look-up, for search loops: the same value as
 * {@link DeviceProfile#predictMs(ArchConfig)} (bit for bit: the table entries are added in the same
 * execution order), without building layer lists and key strings for every subnet.
 *
 * <p>Why this is exact: as in {@link CostTable}, a block's layer key depends only on its stage,
 * whether it opens the stage, its kernel, its expand ratio and the input resolution; the other
 * layers depend on the resolution only.
 */
public final class TabulatedLatency implements LatencyPredictor {

    private final DeviceProfile profile;
    private final int maxDepth;
    private final int[] kernelIndex;
    private final int[] expandIndex;
    private final int[] resolutionIndex;
    /** [stage][first ? 0 : 1][k][e][r], ms. */
    private final double[][][][][] block;
    /** (0 + stem) + first block, per resolution. */
    private final double[] head;
    /** final expand, feature mix, classifier, per resolution. */
    private final double[][] tail;

    private TabulatedLatency(DeviceProfile profile) {
        this.profile = profile;
        SearchSpace space = profile.space();
        List<Integer> ks = space.kernels();
        List<Integer> es = space.expandRatios();
        List<Integer> rs = space.resolutions();
        maxDepth = space.maxDepth();
        kernelIndex = indexOf(ks);
        expandIndex = indexOf(es);
        resolutionIndex = indexOf(rs);
        int ns = space.numStages();
        block = new double[ns][2][ks.size()][es.size()][rs.size()];
        head = new double[rs.size()];
        tail = new double[rs.size()][];
        Map<String, Double> lut = profile.lutMs();
        for (int ki = 0; ki < ks.size(); ki++) {
            for (int ei = 0; ei < es.size(); ei++) {
                for (int ri = 0; ri < rs.size(); ri++) {
                    List<LayerSpec> layers = space.layers(space.uniform(ks.get(ki), es.get(ei), maxDepth, rs.get(ri)));
                    double[] v = new double[layers.size()];
                    for (int i = 0; i < v.length; i++) {
                        Double x = lut.get(layers.get(i).key());
                        if (x == null) {
                            throw new IllegalArgumentException("layer key '" + layers.get(i).key()
                                    + "' is not in the latency table of device " + profile.name());
                        }
                        v[i] = x;
                    }
                    head[ri] = (0.0 + v[0]) + v[1];
                    int n = v.length;
                    tail[ri] = new double[] {v[n - 3], v[n - 2], v[n - 1]};
                    for (int b = 0; b < ns * maxDepth; b++) {
                        int s = b / maxDepth;
                        int j = b % maxDepth;
                        if (j <= 1) {
                            block[s][j][ki][ei][ri] = v[2 + b];
                            if (maxDepth == 1) {
                                block[s][1][ki][ei][ri] = v[2 + b];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] indexOf(List<Integer> values) {
        int[] idx = new int[values.get(values.size() - 1) + 1];
        java.util.Arrays.fill(idx, -1);
        for (int i = 0; i < values.size(); i++) {
            idx[values.get(i)] = i;
        }
        return idx;
    }

    /**
     * Returns a tabulated copy of a device profile, or the predictor itself when it is not a
     * profile or its table does not cover every layer of the space (then the profile's own errors
     * apply when a missing layer is met).
     *
     * @param predictor any latency predictor
     * @return a predictor giving the same values
     */
    public static LatencyPredictor of(LatencyPredictor predictor) {
        if (predictor instanceof DeviceProfile p) {
            try {
                return new TabulatedLatency(p);
            } catch (IllegalArgumentException e) {
                return predictor;
            }
        }
        return predictor;
    }

    /** @return the profile this table was built from */
    public DeviceProfile profile() {
        return profile;
    }

    /** {@inheritDoc} */
    @Override
    public double predictMs(ArchConfig arch) {
        int r = arch.resolution();
        int ri = r >= 0 && r < resolutionIndex.length ? resolutionIndex[r] : -1;
        if (ri < 0) {
            return profile.predictMs(arch); // throws, naming the resolution
        }
        double s = head[ri];
        List<Integer> depths = arch.depths();
        List<BlockChoice> blocks = arch.blocks();
        for (int st = 0; st < depths.size(); st++) {
            for (int j = 0; j < depths.get(st); j++) {
                BlockChoice b = blocks.get(st * maxDepth + j);
                int k = b.kernel();
                int e = b.expand();
                int ki = k < kernelIndex.length ? kernelIndex[k] : -1;
                int ei = e < expandIndex.length ? expandIndex[e] : -1;
                if (ki < 0 || ei < 0) {
                    return profile.predictMs(arch); // throws, naming the choice
                }
                s += block[st][j == 0 ? 0 : 1][ki][ei][ri];
            }
        }
        double[] t = tail[ri];
        s += t[0];
        s += t[1];
        s += t[2];
        return Math.max(0, profile.interceptMs() + profile.scale() * s);
    }

    /** {@inheritDoc} */
    @Override
    public String deviceName() {
        return profile.name();
    }
}
