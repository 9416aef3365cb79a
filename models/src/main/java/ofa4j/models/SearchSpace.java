package ofa4j.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * The OFA MobileNetV3 family: a fixed stem and first block, {@link #stages()} elastic stages,
 * a final 1x1 expansion, global pooling, a feature-mix layer and a linear classifier (Cai et al.,
 * "Once-for-All: Train One Network and Specialize it for Efficient Deployment", ICLR 2020).
 *
 * <p>Elastic dimensions: depthwise {@link #kernels()}, {@link #expandRatios()}, per-stage {@link
 * #depths()} and input {@link #resolutions()}. All channel counts are the base widths times
 * {@link #widthMult()}, rounded as OFA does ({@link #makeDivisible(double, int)} with divisor 8).
 *
 * @param name preset or user name, stored in checkpoints and ONNX metadata
 * @param inChannels image channels (1 for grey, 3 for RGB)
 * @param numClasses classifier outputs
 * @param stemBaseWidth stem conv output channels before the multiplier
 * @param stemStride stem conv stride (1 or 2)
 * @param stemActivation stem activation
 * @param firstBlockBaseWidth output channels of the fixed first block (expand 1, kernel 3, stride 1)
 * @param firstBlockActivation activation of the first block
 * @param stages the elastic stages
 * @param finalExpandBaseWidth output channels of the 1x1 conv before pooling
 * @param featureMixBaseWidth output channels of the feature-mix layer after pooling
 * @param kernels allowed depthwise kernel sizes, ascending
 * @param expandRatios allowed expand ratios, ascending
 * @param depths allowed stage depths, ascending
 * @param resolutions allowed input resolutions (square, pixels), ascending
 * @param widthMult width multiplier (1.0 for OFA's w1.0 net)
 */
public record SearchSpace(
        String name,
        int inChannels,
        int numClasses,
        int stemBaseWidth,
        int stemStride,
        Activation stemActivation,
        int firstBlockBaseWidth,
        Activation firstBlockActivation,
        List<StageSpec> stages,
        int finalExpandBaseWidth,
        int featureMixBaseWidth,
        List<Integer> kernels,
        List<Integer> expandRatios,
        List<Integer> depths,
        List<Integer> resolutions,
        double widthMult) {

    /** Name of OFA's ImageNet space preset. */
    public static final String OFA_MBV3_W10 = "ofa-mbv3-w1.0";

    /** Name of the default preset for 28x28 grey images. */
    public static final String FMNIST = "fmnist";

    /** Name of {@link #fmnistHr()}. */
    public static final String FMNIST_HR = "fmnist-hr";

    /** Name of {@link #fmnistS1()}. */
    public static final String FMNIST_S1 = "fmnist-s1";

    /** Channel counts are rounded to multiples of this, as in OFA's {@code make_divisible}. */
    public static final int CHANNEL_DIVISOR = 8;

    /** SE hidden width = make_divisible(hidden / SE_REDUCTION, 8), as OFA's {@code DynamicSE}. */
    public static final int SE_REDUCTION = 4;

    /**
     * Resolutions of {@link #fmnistHr()}: 24 and 28, not {@code fmnist}'s 20, 24, 28.
     *
     * <p>Why: downscaling the 28 px garments to 20 px loses the detail that separates shirts,
     * T-shirts and pullovers: there even the max subnet scored below the min subnet at 24 px, so
     * 20 px only added a worse floor and cost training batches (see docs/experiments.md).
     */
    private static final List<Integer> HR_RESOLUTIONS = List.of(24, 28);

    /** Copies the lists and checks every value. */
    public SearchSpace {
        stages = List.copyOf(stages);
        kernels = sortedCopy(kernels, "kernels");
        expandRatios = sortedCopy(expandRatios, "expandRatios");
        depths = sortedCopy(depths, "depths");
        resolutions = sortedCopy(resolutions, "resolutions");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("search space name must not be empty");
        }
        positive(inChannels, "inChannels");
        positive(numClasses, "numClasses");
        positive(stemBaseWidth, "stemBaseWidth");
        positive(firstBlockBaseWidth, "firstBlockBaseWidth");
        positive(finalExpandBaseWidth, "finalExpandBaseWidth");
        positive(featureMixBaseWidth, "featureMixBaseWidth");
        if (stemStride != 1 && stemStride != 2) {
            throw new IllegalArgumentException("stemStride must be 1 or 2, found " + stemStride);
        }
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("a search space needs at least one stage");
        }
        for (int k : kernels) {
            if (k % 2 == 0 || k < 1) {
                throw new IllegalArgumentException("kernel sizes must be odd and positive, found " + k);
            }
        }
        if (!(widthMult > 0) || Double.isInfinite(widthMult)) {
            throw new IllegalArgumentException("widthMult must be positive, found " + widthMult);
        }
        if (stemActivation == null || firstBlockActivation == null) {
            throw new IllegalArgumentException("stem and first block activations must be set");
        }
    }

    private static List<Integer> sortedCopy(List<Integer> values, String what) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        List<Integer> copy = new ArrayList<>(values);
        Collections.sort(copy);
        for (int i = 0; i < copy.size(); i++) {
            if (copy.get(i) <= 0) {
                throw new IllegalArgumentException(what + " must be positive, found " + copy.get(i));
            }
            if (i > 0 && copy.get(i).equals(copy.get(i - 1))) {
                throw new IllegalArgumentException(what + " has duplicate value " + copy.get(i));
            }
        }
        return List.copyOf(copy);
    }

    private static void positive(int v, String what) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, found " + v);
        }
    }

    // ------------------------------------------------------------------ presets

    /**
     * OFA's ImageNet MobileNetV3 space, width multiplier 1.0: stem 16 (stride 2, h-swish), first
     * block 16 (e1 k3, relu), stages 24/40/80/112/160 with strides 2,2,2,1,2, activations
     * relu,relu,hs,hs,hs, SE F,T,F,T,T; final expand 960, feature mix 1280; K{3,5,7} E{3,4,6}
     * D{2,3,4}.
     *
     * @param inChannels image channels (3 for ImageNet)
     * @param numClasses classifier outputs (1000 for ImageNet)
     * @param resolutions allowed input resolutions (OFA trains with 128..224 in steps of 4)
     * @return the space
     */
    public static SearchSpace ofaMbv3W10(int inChannels, int numClasses, List<Integer> resolutions) {
        List<StageSpec> stages =
                List.of(
                        new StageSpec(24, 2, Activation.RELU, false),
                        new StageSpec(40, 2, Activation.RELU, true),
                        new StageSpec(80, 2, Activation.HSWISH, false),
                        new StageSpec(112, 1, Activation.HSWISH, true),
                        new StageSpec(160, 2, Activation.HSWISH, true));
        return new SearchSpace(
                OFA_MBV3_W10,
                inChannels,
                numClasses,
                16,
                2,
                Activation.HSWISH,
                16,
                Activation.RELU,
                stages,
                960,
                1280,
                List.of(3, 5, 7),
                List.of(3, 4, 6),
                List.of(2, 3, 4),
                resolutions,
                1.0);
    }

    /**
     * OFA's ImageNet space with its own defaults: 3 channels, 1000 classes, resolutions 128..224.
     *
     * @return the space
     */
    public static SearchSpace ofaMbv3W10() {
        List<Integer> res = new ArrayList<>();
        for (int r = 128; r <= 224; r += 4) {
            res.add(r);
        }
        return ofaMbv3W10(3, 1000, res);
    }

    /**
     * The default space for 28x28 grey images (Fashion-MNIST), sized for training on 2 CPU cores.
     *
     * <p>Why these numbers: OFA's layout (stride-2 stem, then stages of widths growing 24 -> 160)
     * spends most MACs where the feature map is large, and on 2 CPU cores the training step is
     * dominated by the depthwise convs of the early, large maps. So the stem halves the 28 px
     * image at once and four stages follow with strides 2, 2, 2, 1 (maps 14 -> 7 -> 4 -> 2 -> 2):
     * the max subnet costs 8.75 M MACs at 28 px and the min subnet 1.41 M (a 6x range like OFA's
     * 595 M / 120 M at 224 px; figures from {@link CostModel}). Widths 24/40/64/96 follow OFA's
     * progression one stage shorter; the final expand (384 = 96 x 4) and feature mix (512) are
     * OFA's 960/1280 scaled to the smaller last stage. Early stages use ReLU, later ones h-swish;
     * SE on the 40 and 96 stages, as OFA puts SE on alternate stages. Resolutions 20/24/28
     * (multiples of 4, so every map size stays whole after the first two halvings) let small
     * subnets trade accuracy for cost as OFA's 128..224 do.
     *
     * @return the space
     */
    public static SearchSpace fmnist() {
        List<StageSpec> stages =
                List.of(
                        new StageSpec(24, 2, Activation.RELU, false),
                        new StageSpec(40, 2, Activation.RELU, true),
                        new StageSpec(64, 2, Activation.HSWISH, false),
                        new StageSpec(96, 1, Activation.HSWISH, true));
        return new SearchSpace(
                FMNIST,
                1,
                10,
                16,
                2,
                Activation.HSWISH,
                16,
                Activation.RELU,
                stages,
                384,
                512,
                List.of(3, 5, 7),
                List.of(3, 4, 6),
                List.of(2, 3, 4),
                List.of(20, 24, 28),
                1.0);
    }

    /**
     * {@link #fmnist()} with the first stage at stride 1, so the 24-wide stage works on the 14x14
     * map and the later ones on 7x7, 4x4 and 2x2 (strides 1, 2, 2, 2; {@code fmnist} has 2, 2, 2, 1
     * and maps 7, 4, 2, 2). For accuracy more than for cost: the max subnet costs 23.3 M MACs at 28 px
     * (2.7x {@code fmnist}'s) and the full network trains at about a third of its speed on 2 CPU
     * cores (first epochs of the full preset: 128-143 img/s against 367-404 img/s).
     *
     * <p>Why: the fine textures that tell a shirt from a T-shirt or a pullover need an early stage
     * with room, not more late channels. Resolutions 24 and 28 only ({@code HR_RESOLUTIONS} says
     * why; see docs/experiments.md).
     *
     * @return the space
     */
    public static SearchSpace fmnistHr() {
        return fmnist().restrided(FMNIST_HR, 2, new int[] {1, 2, 2, 2}, HR_RESOLUTIONS);
    }

    /**
     * {@link #fmnistHr()} with a stride-1 stem: the stem and the fixed first block work on the whole
     * 28x28 image and the first stage halves it (stage strides 2, 2, 2, 2; {@code fmnist-hr} has a
     * stride-2 stem and 1, 2, 2, 2). The stages see the same 14/7/4/2 maps as in {@code fmnist-hr},
     * so the weights and the subnets are the same; only the first two layers, and the first stage's
     * first 1x1 expansion, run at 28x28. The max subnet costs 24.55 M MACs at 28 px (5% more than
     * {@code fmnist-hr}'s 23.32 M), the min subnet 3.67 M at 24 px (18% more than 3.10 M).
     *
     * <p>Why: a stride-2 stem halves the 28 px garment before any non-linearity has looked at its
     * fine texture; with a stride-1 stem the full network learns more per epoch, at a lower training
     * speed (see docs/experiments.md).
     *
     * @return the space
     */
    public static SearchSpace fmnistS1() {
        SearchSpace hr = fmnistHr();
        return hr.restrided(FMNIST_S1, 1, new int[] {2, 2, 2, 2}, hr.resolutions());
    }

    /** A copy with another name, stem stride, stage strides (one per stage) and resolutions. */
    private SearchSpace restrided(String newName, int newStemStride, int[] stageStrides, List<Integer> res) {
        List<StageSpec> restrided = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            StageSpec st = stages.get(i);
            restrided.add(new StageSpec(st.baseWidth(), stageStrides[i], st.activation(), st.se()));
        }
        return new SearchSpace(
                newName, inChannels, numClasses, stemBaseWidth, newStemStride, stemActivation, firstBlockBaseWidth,
                firstBlockActivation, restrided, finalExpandBaseWidth, featureMixBaseWidth, kernels, expandRatios,
                depths, res, widthMult);
    }

    /**
     * Returns a named preset with its default input channels, classes and resolutions.
     *
     * @param name {@code fmnist}, {@code fmnist-hr}, {@code fmnist-s1} or {@code ofa-mbv3-w1.0}
     * @return the space
     * @throws IllegalArgumentException naming the value and the presets allowed
     */
    public static SearchSpace preset(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals(FMNIST)) {
            return fmnist();
        }
        if (n.equals(FMNIST_HR)) {
            return fmnistHr();
        }
        if (n.equals(FMNIST_S1)) {
            return fmnistS1();
        }
        if (n.equals(OFA_MBV3_W10)) {
            return ofaMbv3W10();
        }
        throw new IllegalArgumentException(
                "search space must be one of [" + FMNIST + ", " + FMNIST_HR + ", " + FMNIST_S1 + ", " + OFA_MBV3_W10
                        + "], found '" + name + "'");
    }

    /**
     * Returns a copy with other input channels, class count and resolutions (for user data sets).
     *
     * @param channels image channels
     * @param classes classifier outputs
     * @param res allowed resolutions
     * @return the adapted space, same name
     */
    public SearchSpace withData(int channels, int classes, List<Integer> res) {
        return new SearchSpace(
                name, channels, classes, stemBaseWidth, stemStride, stemActivation, firstBlockBaseWidth,
                firstBlockActivation, stages, finalExpandBaseWidth, featureMixBaseWidth, kernels,
                expandRatios, depths, res, widthMult);
    }

    // ------------------------------------------------------------------ widths

    /**
     * OFA's {@code make_divisible}: rounds {@code v} to the nearest multiple of {@code divisor},
     * never below {@code divisor} and never more than 10% below {@code v}.
     *
     * @param v the value
     * @param divisor the divisor
     * @return the rounded value
     */
    public static int makeDivisible(double v, int divisor) {
        int newV = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        if (newV < 0.9 * v) {
            newV += divisor;
        }
        return newV;
    }

    private int scaled(int base) {
        return makeDivisible(base * widthMult, CHANNEL_DIVISOR);
    }

    /** @return stem output channels */
    public int stemWidth() {
        return scaled(stemBaseWidth);
    }

    /** @return first block output channels */
    public int firstBlockWidth() {
        return scaled(firstBlockBaseWidth);
    }

    /**
     * @param stage stage index
     * @return output channels of the stage
     */
    public int stageWidth(int stage) {
        return scaled(stages.get(stage).baseWidth());
    }

    /** @return final expand channels */
    public int finalExpandWidth() {
        return scaled(finalExpandBaseWidth);
    }

    /** @return feature mix channels */
    public int featureMixWidth() {
        return scaled(featureMixBaseWidth);
    }

    /**
     * Hidden width of an inverted-residual block, {@code make_divisible(round(in * expand), 8)}.
     *
     * @param inChannels block input channels
     * @param expand expand ratio
     * @return hidden channels
     */
    public static int hiddenWidth(int inChannels, int expand) {
        return makeDivisible(Math.round((double) inChannels * expand), CHANNEL_DIVISOR);
    }

    /**
     * SE hidden width of a block with {@code hidden} channels.
     *
     * @param hidden the block's hidden channels
     * @return SE reduction channels
     */
    public static int seWidth(int hidden) {
        return makeDivisible(hidden / SE_REDUCTION, CHANNEL_DIVISOR);
    }

    // ------------------------------------------------------------------ sizes

    /** @return number of elastic stages */
    public int numStages() {
        return stages.size();
    }

    /** @return the largest depth */
    public int maxDepth() {
        return depths.get(depths.size() - 1);
    }

    /** @return the number of block slots of an {@link ArchConfig} (stages x max depth) */
    public int numBlockSlots() {
        return numStages() * maxDepth();
    }

    /** @return the largest kernel (the master kernel of elastic depthwise convs) */
    public int maxKernel() {
        return kernels.get(kernels.size() - 1);
    }

    /** @return the largest expand ratio */
    public int maxExpand() {
        return expandRatios.get(expandRatios.size() - 1);
    }

    /** @return the largest resolution */
    public int maxResolution() {
        return resolutions.get(resolutions.size() - 1);
    }

    /** @return the smallest resolution */
    public int minResolution() {
        return resolutions.get(0);
    }

    /**
     * Input channels of the block in {@code slot} (stage-major) when it is active.
     *
     * @param stage stage index
     * @param indexInStage block index within the stage
     * @return input channels
     */
    public int blockInChannels(int stage, int indexInStage) {
        if (indexInStage > 0) {
            return stageWidth(stage);
        }
        return stage == 0 ? firstBlockWidth() : stageWidth(stage - 1);
    }

    // ------------------------------------------------------------------ validation

    /**
     * Checks that {@code arch} lies in this space.
     *
     * @param arch the architecture
     * @return {@code arch}, for chaining
     * @throws IllegalArgumentException naming the block or stage, the value found and the values
     *     allowed
     */
    public ArchConfig validate(ArchConfig arch) {
        if (arch == null) {
            throw new IllegalArgumentException("architecture must not be null");
        }
        if (arch.depths().size() != numStages()) {
            throw new IllegalArgumentException(
                    "architecture must have "
                            + numStages()
                            + " stage depths for space "
                            + name
                            + ", found "
                            + arch.depths().size());
        }
        if (arch.blocks().size() != numBlockSlots()) {
            throw new IllegalArgumentException(
                    "architecture must have "
                            + numBlockSlots()
                            + " block choices ("
                            + numStages()
                            + " stages x "
                            + maxDepth()
                            + ") for space "
                            + name
                            + ", found "
                            + arch.blocks().size());
        }
        for (int s = 0; s < numStages(); s++) {
            int d = arch.depths().get(s);
            if (!depths.contains(d)) {
                throw new IllegalArgumentException(
                        "depth of stage " + s + " must be one of " + depths + ", found " + d);
            }
        }
        for (int i = 0; i < arch.blocks().size(); i++) {
            BlockChoice b = arch.blocks().get(i);
            if (b == null) {
                throw new IllegalArgumentException("block " + i + " has no choice");
            }
            if (!kernels.contains(b.kernel())) {
                throw new IllegalArgumentException(
                        "kernel of block " + i + " must be one of " + kernels + ", found " + b.kernel());
            }
            if (!expandRatios.contains(b.expand())) {
                throw new IllegalArgumentException(
                        "expand ratio of block "
                                + i
                                + " must be one of "
                                + expandRatios
                                + ", found "
                                + b.expand());
            }
        }
        if (!resolutions.contains(arch.resolution())) {
            throw new IllegalArgumentException(
                    "resolution must be one of " + resolutions + ", found " + arch.resolution());
        }
        return arch;
    }

    /**
     * Returns whether {@code arch} lies in this space.
     *
     * @param arch the architecture
     * @return true if {@link #validate(ArchConfig)} accepts it
     */
    public boolean contains(ArchConfig arch) {
        try {
            validate(arch);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ special configs

    /** @return the largest subnet: max kernel, expand, depth and resolution everywhere */
    public ArchConfig max() {
        return uniform(maxKernel(), maxExpand(), maxDepth(), maxResolution());
    }

    /** @return the smallest subnet: min kernel, expand, depth and resolution everywhere */
    public ArchConfig min() {
        return uniform(kernels.get(0), expandRatios.get(0), depths.get(0), minResolution());
    }

    /**
     * Returns the config with the same choice everywhere.
     *
     * @param kernel kernel size of every block
     * @param expand expand ratio of every block
     * @param depth depth of every stage
     * @param resolution input resolution
     * @return the validated config
     */
    public ArchConfig uniform(int kernel, int expand, int depth, int resolution) {
        List<BlockChoice> blocks = Collections.nCopies(numBlockSlots(), new BlockChoice(kernel, expand));
        List<Integer> ds = Collections.nCopies(numStages(), depth);
        return validate(new ArchConfig(blocks, ds, resolution));
    }

    // ------------------------------------------------------------------ sampling

    private static <T> T pick(List<T> values, RandomGenerator rng) {
        return values.get(rng.nextInt(values.size()));
    }

    /**
     * Samples a subnet uniformly: each block's kernel and expand, each stage's depth and the
     * resolution independently and uniformly from their allowed values.
     *
     * @param rng the random source (e.g. a split of a seeded {@code SplittableRandom})
     * @return a config in this space
     */
    public ArchConfig sample(RandomGenerator rng) {
        return sample(rng, kernels, expandRatios, depths, resolutions);
    }

    /**
     * Samples a subnet uniformly from subsets of the allowed values (used by progressive shrinking,
     * whose early phases open only part of the space).
     *
     * @param rng the random source
     * @param ks allowed kernels (subset of {@link #kernels()})
     * @param es allowed expand ratios
     * @param ds allowed depths
     * @param rs allowed resolutions
     * @return a config in this space
     */
    public ArchConfig sample(
            RandomGenerator rng,
            List<Integer> ks,
            List<Integer> es,
            List<Integer> ds,
            List<Integer> rs) {
        List<BlockChoice> blocks = new ArrayList<>(numBlockSlots());
        for (int i = 0; i < numBlockSlots(); i++) {
            int k = pick(ks, rng);
            int e = pick(es, rng);
            blocks.add(new BlockChoice(k, e));
        }
        List<Integer> depthList = new ArrayList<>(numStages());
        for (int s = 0; s < numStages(); s++) {
            depthList.add(pick(ds, rng));
        }
        return validate(new ArchConfig(blocks, depthList, pick(rs, rng)));
    }

    /**
     * OFA's mutation ({@code EvolutionFinder.mutate_sample}): the resolution is resampled with
     * probability {@code resolutionProb}; each block's kernel and expand ratio with probability
     * {@code blockProb} each; each stage's depth with probability {@code stageProb}.
     *
     * @param arch the parent
     * @param rng the random source
     * @param blockProb per-block mutation probability (OFA: 0.1)
     * @param stageProb per-stage depth mutation probability (OFA: 0.1)
     * @param resolutionProb resolution mutation probability (OFA: 0.5)
     * @return a mutated config in this space
     */
    public ArchConfig mutate(
            ArchConfig arch, RandomGenerator rng, double blockProb, double stageProb, double resolutionProb) {
        validate(arch);
        int res = arch.resolution();
        if (rng.nextDouble() < resolutionProb) {
            res = pick(resolutions, rng);
        }
        List<BlockChoice> blocks = new ArrayList<>(arch.blocks());
        for (int i = 0; i < blocks.size(); i++) {
            BlockChoice b = blocks.get(i);
            int k = b.kernel();
            int e = b.expand();
            if (rng.nextDouble() < blockProb) {
                k = pick(kernels, rng);
            }
            if (rng.nextDouble() < blockProb) {
                e = pick(expandRatios, rng);
            }
            blocks.set(i, new BlockChoice(k, e));
        }
        List<Integer> ds = new ArrayList<>(arch.depths());
        for (int s = 0; s < ds.size(); s++) {
            if (rng.nextDouble() < stageProb) {
                ds.set(s, pick(depths, rng));
            }
        }
        return new ArchConfig(blocks, ds, res);
    }

    /**
     * OFA's crossover ({@code EvolutionFinder.crossover_sample}): every gene (block kernel, block
     * expand, stage depth, resolution) is taken from either parent with probability 1/2.
     *
     * @param a first parent
     * @param b second parent
     * @param rng the random source
     * @return the child, in this space
     */
    public ArchConfig crossover(ArchConfig a, ArchConfig b, RandomGenerator rng) {
        validate(a);
        validate(b);
        List<BlockChoice> blocks = new ArrayList<>(numBlockSlots());
        for (int i = 0; i < numBlockSlots(); i++) {
            int k = (rng.nextBoolean() ? a : b).blocks().get(i).kernel();
            int e = (rng.nextBoolean() ? a : b).blocks().get(i).expand();
            blocks.add(new BlockChoice(k, e));
        }
        List<Integer> ds = new ArrayList<>(numStages());
        for (int s = 0; s < numStages(); s++) {
            ds.add((rng.nextBoolean() ? a : b).depths().get(s));
        }
        int res = (rng.nextBoolean() ? a : b).resolution();
        return new ArchConfig(blocks, ds, res);
    }

    // ------------------------------------------------------------------ layers

    /**
     * Lists the layers of the subnet {@code arch} in execution order, with the sizes each layer
     * sees. This is the single description of the network's structure used by the cost model, the
     * latency table, the exporter and the supernet.
     *
     * @param arch the subnet (validated)
     * @return the layers: stem, first block, the active blocks, final expand, feature mix, classifier
     */
    public List<LayerSpec> layers(ArchConfig arch) {
        validate(arch);
        List<LayerSpec> out = new ArrayList<>();
        int res = arch.resolution();
        int stem = stemWidth();
        out.add(LayerSpec.conv(LayerSpec.Kind.STEM, -1, res, inChannels, stem, 3, stemStride, stemActivation));
        res = LayerSpec.outSize(res, stemStride);
        int first = firstBlockWidth();
        out.add(
                LayerSpec.block(
                        0, res, stem, stem, first, 3, 1, firstBlockActivation, false, 0, 1, stem == first));
        int in = first;
        int blockIndex = 1;
        for (int s = 0; s < numStages(); s++) {
            StageSpec st = stages.get(s);
            int width = stageWidth(s);
            for (int j = 0; j < arch.depths().get(s); j++) {
                BlockChoice c = arch.blocks().get(s * maxDepth() + j);
                int stride = j == 0 ? st.stride() : 1;
                int hidden = hiddenWidth(in, c.expand());
                int se = st.se() ? seWidth(hidden) : 0;
                boolean residual = stride == 1 && in == width;
                out.add(
                        LayerSpec.block(
                                blockIndex++, res, in, hidden, width, c.kernel(), stride, st.activation(),
                                st.se(), se, c.expand(), residual));
                res = LayerSpec.outSize(res, stride);
                in = width;
            }
        }
        int fe = finalExpandWidth();
        out.add(LayerSpec.conv(LayerSpec.Kind.FINAL_EXPAND, -1, res, in, fe, 1, 1, Activation.HSWISH));
        int fm = featureMixWidth();
        out.add(LayerSpec.linear(LayerSpec.Kind.FEATURE_MIX, fe, fm, Activation.HSWISH, false));
        out.add(LayerSpec.linear(LayerSpec.Kind.CLASSIFIER, fm, numClasses, null, true));
        return out;
    }

    /**
     * Returns a one-line description such as {@code fmnist: 1x[20,24,28] -> 10, stages 24/40/64/96}.
     *
     * @return a description for logs
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(name).append(": ");
        sb.append(inChannels).append('x').append(resolutions).append(" -> ").append(numClasses);
        sb.append(", stages ");
        for (int s = 0; s < numStages(); s++) {
            sb.append(s == 0 ? "" : "/").append(stageWidth(s));
        }
        sb.append(", K").append(kernels).append(" E").append(expandRatios).append(" D").append(depths);
        return sb.toString();
    }
}
