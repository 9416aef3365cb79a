package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SearchSpaceTest {

    private final SearchSpace fm = SearchSpace.fmnist();
    private final SearchSpace ofa = SearchSpace.ofaMbv3W10();

    @Test
    void presetsHaveOfasWidths() {
        assertEquals(List.of(24, 40, 80, 112, 160), widths(ofa));
        assertEquals(16, ofa.stemWidth());
        assertEquals(960, ofa.finalExpandWidth());
        assertEquals(1280, ofa.featureMixWidth());
        assertEquals(20, ofa.numBlockSlots());
        assertEquals(List.of(24, 40, 64, 96), widths(fm));
        assertEquals(16, fm.numBlockSlots());
        assertEquals(SearchSpace.preset("fmnist"), fm);
        assertEquals(SearchSpace.preset("ofa-mbv3-w1.0"), ofa);
    }

    @Test
    void highResolutionFmnistMovesTheFirstStrideAndDropsTwentyPixels() {
        SearchSpace hr = SearchSpace.preset("fmnist-hr");
        assertEquals(SearchSpace.fmnistHr(), hr);
        assertEquals(List.of(1, 2, 2, 2), hr.stages().stream().map(StageSpec::stride).toList());
        assertEquals(widths(fm), widths(hr));
        assertEquals(fm.kernels(), hr.kernels());
        assertEquals(fm.expandRatios(), hr.expandRatios());
        assertEquals(fm.depths(), hr.depths());
        assertEquals(List.of(24, 28), hr.resolutions());
        assertEquals(24, hr.min().resolution());
        // one resolution fewer in the one-hot encoding
        assertEquals(new ArchEncoding(fm).length() - 1, new ArchEncoding(hr).length());
        // same final 2x2 map at 28 px, but the first stage works on 14x14 instead of 7x7
        CostModel cf = new CostModel(fm);
        CostModel ch = new CostModel(hr);
        double ratio = (double) ch.macs(hr.max()) / cf.macs(fm.max());
        assertTrue(ratio > 2.5 && ratio < 2.9, "MACs ratio " + ratio);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchSpace.preset("fmnist-x"));
        assertTrue(e.getMessage().contains("fmnist-x") && e.getMessage().contains("fmnist-hr"), e.getMessage());
    }

    @Test
    void strideOneStemFmnistKeepsTheStagesOfHighResolution() {
        SearchSpace hr = SearchSpace.fmnistHr();
        SearchSpace s1 = SearchSpace.preset(" FMNIST-S1 ");
        assertEquals(SearchSpace.fmnistS1(), s1);
        assertEquals(1, s1.stemStride());
        assertEquals(2, hr.stemStride());
        assertEquals(List.of(2, 2, 2, 2), s1.stages().stream().map(StageSpec::stride).toList());
        assertEquals(widths(hr), widths(s1));
        assertEquals(hr.resolutions(), s1.resolutions());
        assertEquals(new ArchEncoding(hr).length(), new ArchEncoding(s1).length());
        CostModel ch = new CostModel(hr);
        CostModel cs = new CostModel(s1);
        // same weights: only where the first layers run changes
        assertEquals(ch.params(hr.max()), cs.params(s1.max()));
        assertEquals(ch.params(hr.min()), cs.params(s1.min()));
        // the stem, the first block and the first expansion at 28x28 instead of 14x14: 5% more MACs for the max
        // subnet, more for the min subnet, whose later layers are cheaper
        double maxRatio = (double) cs.macs(s1.max()) / ch.macs(hr.max());
        double minRatio = (double) cs.macs(s1.min()) / ch.macs(hr.min());
        assertTrue(maxRatio > 1.03 && maxRatio < 1.08, "max MACs ratio " + maxRatio);
        assertTrue(minRatio > 1.1 && minRatio < 1.25, "min MACs ratio " + minRatio);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchSpace.preset("fmnist-s2"));
        assertTrue(e.getMessage().contains("fmnist-s2") && e.getMessage().contains("fmnist-s1"), e.getMessage());
    }

    private static List<Integer> widths(SearchSpace s) {
        List<Integer> w = new ArrayList<>();
        for (int i = 0; i < s.numStages(); i++) {
            w.add(s.stageWidth(i));
        }
        return w;
    }

    @Test
    void makeDivisibleMatchesOfa() {
        assertEquals(16, SearchSpace.makeDivisible(16, 8));
        assertEquals(24, SearchSpace.makeDivisible(20, 8)); // rounds half up
        assertEquals(16, SearchSpace.makeDivisible(17, 8));
        assertEquals(24, SearchSpace.makeDivisible(19.9, 8)); // 16 would be more than 10% below
        assertEquals(8, SearchSpace.makeDivisible(3, 8)); // never below the divisor
        assertEquals(72, SearchSpace.makeDivisible(72, 8));
        assertEquals(48, SearchSpace.makeDivisible(40 * 1.2, 8));
        // hidden widths of OFA blocks: 24 * 3 = 72, 40 * 4 = 160, SE of 72 = make_divisible(72 // 4) = 24
        assertEquals(72, SearchSpace.hiddenWidth(24, 3));
        assertEquals(24, SearchSpace.seWidth(72)); // 18 -> 16 is more than 10% below 18, so 24
        assertEquals(240, SearchSpace.seWidth(960));
    }

    @Test
    void widthMultiplierScalesChannels() {
        SearchSpace half = new SearchSpace(
                "half", 1, 10, 16, 2, Activation.HSWISH, 16, Activation.RELU, fm.stages(), 384, 512,
                fm.kernels(), fm.expandRatios(), fm.depths(), fm.resolutions(), 0.5);
        assertEquals(8, half.stemWidth());
        assertEquals(16, half.stageWidth(0)); // 12 -> 16
        assertEquals(24, half.stageWidth(1)); // 20 -> 24
        assertEquals(48, half.stageWidth(3));
    }

    @Test
    void validationNamesTheBadValue() {
        ArchConfig max = fm.max();
        List<BlockChoice> blocks = new ArrayList<>(max.blocks());
        blocks.set(5, new BlockChoice(9, 6));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> fm.validate(new ArchConfig(blocks, max.depths(), 28)));
        assertTrue(e.getMessage().contains("kernel of block 5"), e.getMessage());
        assertTrue(e.getMessage().contains("found 9"), e.getMessage());
        assertTrue(e.getMessage().contains("[3, 5, 7]"), e.getMessage());

        blocks.set(5, new BlockChoice(3, 5));
        e = assertThrows(IllegalArgumentException.class, () -> fm.validate(new ArchConfig(blocks, max.depths(), 28)));
        assertTrue(e.getMessage().contains("expand ratio of block 5") && e.getMessage().contains("found 5"), e.getMessage());

        e = assertThrows(
                IllegalArgumentException.class,
                () -> fm.validate(new ArchConfig(max.blocks(), List.of(4, 1, 4, 4), 28)));
        assertTrue(e.getMessage().contains("depth of stage 1") && e.getMessage().contains("found 1"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> fm.validate(new ArchConfig(max.blocks(), max.depths(), 32)));
        assertTrue(e.getMessage().contains("resolution") && e.getMessage().contains("[20, 24, 28]")
                && e.getMessage().contains("32"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> fm.validate(new ArchConfig(max.blocks(), List.of(4, 4), 28)));
        assertTrue(e.getMessage().contains("4 stage depths") && e.getMessage().contains("found 2"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> SearchSpace.preset("imagenet"));
        assertTrue(e.getMessage().contains("'imagenet'") && e.getMessage().contains("fmnist"), e.getMessage());
    }

    @Test
    void jsonRoundTripIsExactAndStable() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 200; i++) {
            ArchConfig a = ofa.sample(rng);
            String json = a.toJson();
            ArchConfig b = ArchConfig.fromJson(json);
            assertEquals(a, b);
            assertEquals(json, b.toJson());
            assertEquals(a.key(), b.key());
        }
        String json = fm.min().toCompactJson();
        assertTrue(json.startsWith("{\"resolution\":20,\"depths\":[2,2,2,2],\"kernel_sizes\":[3,"), json);
        assertEquals(fm, SpaceJson.fromJson(SpaceJson.toJson(fm)));
        assertEquals(ofa, SpaceJson.fromJson(SpaceJson.toJson(ofa)));
    }

    @Test
    void badJsonIsRejectedWithTheField() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ArchConfig.fromJson("{\"resolution\":28}"));
        assertTrue(e.getMessage().contains("'depths'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArchConfig.fromJson("{\"resolution\":28,"));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ArchConfig.fromJson(
                        "{\"resolution\":28,\"depths\":[2,2],\"kernel_sizes\":[3,3,3],\"expand_ratios\":[3,3,3]}"));
        assertTrue(e.getMessage().contains("3 block choices"), e.getMessage());
    }

    @Test
    void keyIgnoresSkippedSlotsOnly() {
        ArchConfig a = fm.uniform(3, 3, 2, 24);
        List<BlockChoice> blocks = new ArrayList<>(a.blocks());
        blocks.set(3, new BlockChoice(7, 6)); // stage 0, slot 3: skipped at depth 2
        ArchConfig b = new ArchConfig(blocks, a.depths(), 24);
        assertNotEquals(a, b);
        assertEquals(a.key(), b.key());
        assertEquals(a.canonical(), b.canonical());
        blocks.set(1, new BlockChoice(7, 6)); // stage 0, slot 1: active
        assertNotEquals(a.key(), new ArchConfig(blocks, a.depths(), 24).key());
        assertEquals("r24-k3e3.k3e3|k3e3.k3e3|k3e3.k3e3|k3e3.k3e3", a.key());
    }

    @Test
    void samplingStaysInTheSpaceAndCoversIt() {
        for (SearchSpace s : List.of(fm, ofa)) {
            SplittableRandom rng = new SplittableRandom(42);
            Set<Integer> res = new HashSet<>();
            Set<Integer> ks = new HashSet<>();
            Set<Integer> es = new HashSet<>();
            Set<Integer> ds = new HashSet<>();
            Set<String> keys = new HashSet<>();
            int n = 5000;
            for (int i = 0; i < n; i++) {
                ArchConfig a = s.sample(rng);
                assertTrue(s.contains(a), a.toString());
                res.add(a.resolution());
                a.blocks().forEach(b -> {
                    ks.add(b.kernel());
                    es.add(b.expand());
                });
                ds.addAll(a.depths());
                keys.add(a.key());
            }
            assertEquals(Set.copyOf(s.resolutions()), res);
            assertEquals(Set.copyOf(s.kernels()), ks);
            assertEquals(Set.copyOf(s.expandRatios()), es);
            assertEquals(Set.copyOf(s.depths()), ds);
            assertEquals(n, keys.size(), "5000 samples of a 10^19-arch space should not repeat");
        }
    }

    @Test
    void samplingIsSeededAndUniform() {
        assertEquals(fm.sample(new SplittableRandom(3)), fm.sample(new SplittableRandom(3)));
        SplittableRandom rng = new SplittableRandom(11);
        int[] kernelCounts = new int[8];
        int n = 3000;
        for (int i = 0; i < n; i++) {
            kernelCounts[fm.sample(rng).blocks().get(0).kernel()]++;
        }
        for (int k : fm.kernels()) {
            assertEquals(n / 3.0, kernelCounts[k], 100, "kernel " + k + " frequency");
        }
    }

    @Test
    void mutationAndCrossoverStayValidAndMixParents() {
        SplittableRandom rng = new SplittableRandom(5);
        int changed = 0;
        for (int i = 0; i < 2000; i++) {
            ArchConfig p = ofa.sample(rng);
            ArchConfig q = ofa.sample(rng);
            ArchConfig m = ofa.mutate(p, rng, 0.1, 0.1, 0.5);
            assertTrue(ofa.contains(m));
            if (!m.equals(p)) {
                changed++;
            }
            ArchConfig c = ofa.crossover(p, q, rng);
            assertTrue(ofa.contains(c));
            for (int b = 0; b < ofa.numBlockSlots(); b++) {
                int k = c.blocks().get(b).kernel();
                assertTrue(k == p.blocks().get(b).kernel() || k == q.blocks().get(b).kernel());
            }
            assertTrue(c.resolution() == p.resolution() || c.resolution() == q.resolution());
        }
        assertTrue(changed > 1900, "mutation should almost always change something: " + changed);
        ArchConfig p = fm.sample(rng);
        assertEquals(p, fm.mutate(p, rng, 0, 0, 0), "zero probabilities leave the parent unchanged");
        assertEquals(p, fm.crossover(p, p, rng));
    }

    @Test
    void maxAndMinAreTheExtremes() {
        ArchConfig max = fm.max();
        assertTrue(max.blocks().stream().allMatch(b -> b.kernel() == 7 && b.expand() == 6));
        assertEquals(List.of(4, 4, 4, 4), max.depths());
        assertEquals(28, max.resolution());
        ArchConfig min = fm.min();
        assertTrue(min.blocks().stream().allMatch(b -> b.kernel() == 3 && b.expand() == 3));
        assertEquals(20, min.resolution());
    }

    @Test
    void layersFollowTheStructure() {
        List<LayerSpec> layers = fm.layers(fm.uniform(5, 4, 3, 24));
        // stem, first block, 4 stages x 3 blocks, final expand, feature mix, classifier
        assertEquals(2 + 12 + 3, layers.size());
        LayerSpec stem = layers.get(0);
        assertEquals(24, stem.inResolution());
        assertEquals(12, stem.outResolution());
        LayerSpec firstOfStage1 = layers.get(2);
        assertEquals(16, firstOfStage1.inChannels());
        assertEquals(64, firstOfStage1.hiddenChannels());
        assertEquals(24, firstOfStage1.outChannels());
        assertEquals(2, firstOfStage1.stride());
        assertTrue(!firstOfStage1.residual() && layers.get(3).residual());
        assertEquals(6, layers.get(3).inResolution());
        LayerSpec last = layers.get(layers.size() - 4);
        assertEquals(96, last.outChannels());
        assertEquals(2, last.outResolution()); // 24 -> 12 -> 6 -> 3 -> 2 -> 2
        assertTrue(last.se());
        assertEquals("BLOCK:r2:i96:h384:o96:k5:s1:h_swish:se96:res1", last.key());
    }
}
