package ofa4j.models;

import java.util.List;

/**
 * OFA's one-hot encoding of a subnet for accuracy predictors ({@code MobileNetArchEncoder}).
 *
 * <p>Layout, for a space with {@code S} stages of max depth {@code D}, {@code K} kernels, {@code E}
 * expand ratios and {@code R} resolutions: for each of the {@code S x D} block slots in stage-major
 * order, {@code K} kernel one-hot entries then {@code E} expand one-hot entries (all zeros when the
 * slot is skipped by the stage's depth); then {@code R} resolution one-hot entries. Length {@code
 * S * D * (K + E) + R}: 16 x 6 + 3 = 99 for {@code fmnist}, 20 x 6 + 25 = 145 for {@code
 * ofa-mbv3-w1.0} with resolutions 128..224 step 4.
 */
public final class ArchEncoding {

    private final SearchSpace space;
    private final int perBlock;
    private final int length;

    /**
     * Creates the encoder of one space.
     *
     * @param space the search space
     */
    public ArchEncoding(SearchSpace space) {
        this.space = space;
        this.perBlock = space.kernels().size() + space.expandRatios().size();
        this.length = space.numBlockSlots() * perBlock + space.resolutions().size();
    }

    /** @return the length of an encoding */
    public int length() {
        return length;
    }

    /**
     * Encodes one subnet.
     *
     * @param arch the subnet (validated)
     * @return a new vector of {@link #length()} zeros and ones
     */
    public float[] encode(ArchConfig arch) {
        float[] out = new float[length];
        encodeInto(arch, out, 0);
        return out;
    }

    /**
     * Encodes one subnet into {@code out} from {@code offset}; the {@link #length()} entries there
     * are overwritten.
     *
     * @param arch the subnet (validated)
     * @param out the destination
     * @param offset first index written
     */
    public void encodeInto(ArchConfig arch, float[] out, int offset) {
        space.validate(arch);
        java.util.Arrays.fill(out, offset, offset + length, 0f);
        List<Integer> ks = space.kernels();
        List<Integer> es = space.expandRatios();
        int maxDepth = space.maxDepth();
        for (int s = 0; s < space.numStages(); s++) {
            int depth = arch.depths().get(s);
            for (int j = 0; j < depth; j++) {
                int slot = s * maxDepth + j;
                BlockChoice b = arch.blocks().get(slot);
                int base = offset + slot * perBlock;
                out[base + ks.indexOf(b.kernel())] = 1f;
                out[base + ks.size() + es.indexOf(b.expand())] = 1f;
            }
        }
        out[offset + space.numBlockSlots() * perBlock + space.resolutions().indexOf(arch.resolution())] = 1f;
    }
}
