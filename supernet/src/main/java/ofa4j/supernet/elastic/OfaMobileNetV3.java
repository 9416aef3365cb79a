package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.StageSpec;
import ofa4j.models.Tensor;
import ofa4j.supernet.ops.BnStatistics;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * OFA's MobileNetV3 supernet ({@code OFAMobileNetV3}) composed of elastic layers: stem conv, the
 * fixed first block, {@code stages x maxDepth} elastic block slots, final 1x1 expansion, global
 * pooling, feature mix and classifier. Parameter names use the block SLOT ({@code blocks.0} the
 * first block, {@code blocks.(1 + stage * maxDepth + j)} the j-th slot of a stage); a subnet's
 * tensors use the index among its ACTIVE blocks, as {@link ofa4j.models.Subnet} specifies.
 */
public final class OfaMobileNetV3 {

    private final SearchSpace space;
    private final ElasticConv2d stem;
    private final ElasticBatchNorm stemBn;
    private final List<ElasticMbBlock> blocks = new ArrayList<>();
    private final ElasticConv2d finalExpand;
    private final ElasticBatchNorm finalBn;
    private final ElasticLinear featureMix;
    private final ElasticLinear classifier;

    /**
     * Allocates every weight at its largest size and initialises it as OFA does.
     *
     * @param space the search space
     * @param w the registry (owner and seed)
     */
    public OfaMobileNetV3(SearchSpace space, Weights w) {
        this.space = space;
        int stemW = space.stemWidth();
        stem = new ElasticConv2d(w, "stem.conv", space.inChannels(), stemW, 3);
        stemBn = new ElasticBatchNorm(w, "stem.bn", stemW);
        blocks.add(
                new ElasticMbBlock(
                        w, "blocks.0", stemW, space.firstBlockWidth(), stemW, List.of(3), List.of(1), 1,
                        space.firstBlockActivation(), 0));
        for (int s = 0; s < space.numStages(); s++) {
            StageSpec st = space.stages().get(s);
            for (int j = 0; j < space.maxDepth(); j++) {
                int in = space.blockInChannels(s, j);
                int maxHidden = SearchSpace.hiddenWidth(in, space.maxExpand());
                int seMax = st.se() ? SearchSpace.seWidth(maxHidden) : 0;
                blocks.add(
                        new ElasticMbBlock(
                                w, "blocks." + blocks.size(), in, space.stageWidth(s), maxHidden, space.kernels(),
                                space.expandRatios(), j == 0 ? st.stride() : 1, st.activation(), seMax));
            }
        }
        int last = space.stageWidth(space.numStages() - 1);
        finalExpand = new ElasticConv2d(w, "final_expand.conv", last, space.finalExpandWidth(), 1);
        finalBn = new ElasticBatchNorm(w, "final_expand.bn", space.finalExpandWidth());
        featureMix = new ElasticLinear(w, "feature_mix", space.finalExpandWidth(), space.featureMixWidth(), false);
        classifier = new ElasticLinear(w, "classifier", space.featureMixWidth(), space.numClasses(), true);
    }

    /** @return the space */
    public SearchSpace space() {
        return space;
    }

    /** @return the block slots ({@code 0} = first block) */
    public List<ElasticMbBlock> blocks() {
        return List.copyOf(blocks);
    }

    /**
     * Slot indices of the active blocks of {@code arch}, in execution order (first block included).
     *
     * @param arch a validated architecture
     * @return slot indices
     */
    public int[] activeSlots(ArchConfig arch) {
        List<Integer> out = new ArrayList<>();
        out.add(0);
        for (int s = 0; s < space.numStages(); s++) {
            for (int j = 0; j < arch.depths().get(s); j++) {
                out.add(1 + s * space.maxDepth() + j);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Runs the subnet {@code arch}.
     *
     * @param c the pass
     * @param x input [N, inChannels, r, r] with r = arch resolution (checked by the caller)
     * @param arch the architecture (validated by the caller)
     * @return logits [N, classes]
     */
    public NDArray forward(Ctx c, NDArray x, ArchConfig arch) {
        return forward(c, x, arch, null);
    }

    /**
     * Runs the subnet {@code arch} with gates on its paths (see {@link ofa4j.supernet.PathGates}).
     *
     * @param c the pass
     * @param x input [N, inChannels, r, r]
     * @param arch the architecture (validated by the caller)
     * @param gates the gates, or null for none
     * @return logits [N, classes]
     */
    public NDArray forward(Ctx c, NDArray x, ArchConfig arch, ofa4j.supernet.PathGates gates) {
        List<LayerSpec> layers = space.layers(arch);
        int[] slots = activeSlots(arch);
        NDArray y = x;
        int b = 0;
        for (LayerSpec l : layers) {
            switch (l.kind()) {
                case STEM:
                    y = stem.forward(c, Fn.toMemoryFormat(c, y), l.inChannels(), l.outChannels(), l.stride());
                    y = Fn.act(c, stemBn.forward(c, y, l.outChannels()), l.activation());
                    break;
                case BLOCK:
                    ElasticMbBlock block = blocks.get(slots[b]);
                    NDArray in = y;
                    y = Fn.scoped(c, in, cc -> block.forward(cc, in, l));
                    NDArray g = gates == null ? null : gates.block(b, l);
                    if (g != null) {
                        y = l.residual() ? y.sub(in).mul(g).add(in) : y.mul(g);
                    }
                    b++;
                    break;
                case FINAL_EXPAND:
                    y = finalExpand.forward(c, y, l.inChannels(), l.outChannels(), 1);
                    y = Fn.act(c, finalBn.forward(c, y, l.outChannels()), l.activation());
                    y = Fn.gap(y);
                    break;
                case FEATURE_MIX:
                    y = Fn.act(c, featureMix.forward(c, y), l.activation());
                    break;
                case CLASSIFIER:
                    y = classifier.forward(c, y);
                    if (gates != null && gates.logits() != null) {
                        y = y.mul(gates.logits());
                    }
                    break;
                default:
                    throw new IllegalStateException("unknown layer kind " + l.kind());
            }
        }
        return y;
    }

    /**
     * Names of the trainable parameters a forward at {@code arch} touches.
     *
     * @param arch a validated architecture
     * @return names, in registration order of their layers
     */
    public Set<String> usedNames(ArchConfig arch) {
        Set<String> n = new LinkedHashSet<>();
        n.add("stem.conv.weight");
        n.add("stem.bn.gamma");
        n.add("stem.bn.beta");
        List<LayerSpec> layers = space.layers(arch);
        int[] slots = activeSlots(arch);
        int b = 0;
        for (LayerSpec l : layers) {
            if (l.kind() == LayerSpec.Kind.BLOCK) {
                n.addAll(blocks.get(slots[b++]).usedNames(l));
            }
        }
        n.add("final_expand.conv.weight");
        n.add("final_expand.bn.gamma");
        n.add("final_expand.bn.beta");
        n.addAll(featureMix.names());
        n.addAll(classifier.names());
        return n;
    }

    /**
     * Extracts the plain tensors of {@code arch} with the names of {@link ofa4j.models.Subnet}.
     *
     * @param arch a validated architecture
     * @param stats recalibrated BN statistics, or null for the stored running statistics
     * @return tensors in layout order
     */
    public Map<String, Tensor> extract(ArchConfig arch, BnStatistics stats) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        int[] slots = activeSlots(arch);
        int b = 0;
        for (LayerSpec l : space.layers(arch)) {
            switch (l.kind()) {
                case STEM:
                    stem.extract(m, "stem.conv", l.inChannels(), l.outChannels());
                    stemBn.extract(m, "stem.bn", l.outChannels(), stats);
                    break;
                case BLOCK:
                    blocks.get(slots[b]).extract(m, "blocks." + b, l, stats);
                    b++;
                    break;
                case FINAL_EXPAND:
                    finalExpand.extract(m, "final_expand.conv", l.inChannels(), l.outChannels());
                    finalBn.extract(m, "final_expand.bn", l.outChannels(), stats);
                    break;
                case FEATURE_MIX:
                    featureMix.extract(m, "feature_mix");
                    break;
                case CLASSIFIER:
                    classifier.extract(m, "classifier");
                    break;
                default:
                    throw new IllegalStateException("unknown layer kind " + l.kind());
            }
        }
        return m;
    }

    /** Sorts the hidden channels of every elastic block by importance (see {@link ElasticMbBlock#sortChannels()}). */
    public void sortChannels() {
        for (ElasticMbBlock b : blocks) {
            b.sortChannels();
        }
    }

    /**
     * One line per block slot, e.g. for logs.
     *
     * @return the description
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(space.describe());
        for (ElasticMbBlock b : blocks) {
            sb.append('\n').append(b.name()).append(": ").append(b.describe());
        }
        return sb.toString();
    }
}
