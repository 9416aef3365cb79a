package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import ofa4j.exporter.onnx.AttributeProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.StringStringEntryProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.exporter.onnx.ValueInfoProto;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.models.testing.RandomSubnets;
import ofa4j.models.testing.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxExporterTest {

    /** The tolerance of the task: ORT (float32, folded BN) vs the double reference. */
    static final double TOL = 1e-4;

    /** OFA's ImageNet space, shrunk to 10 classes and two small resolutions to stay quick. */
    static SearchSpace smallOfa() {
        return SearchSpace.ofaMbv3W10(3, 10, List.of(32, 48));
    }

    static ArchConfig atResolution(ArchConfig a, int r) {
        return new ArchConfig(a.blocks(), a.depths(), r);
    }

    /** max, min and {@code n} seeded random architectures of a space. */
    static List<ArchConfig> configs(SearchSpace space, int n, long seed) {
        List<ArchConfig> out = new ArrayList<>(List.of(space.max(), space.min()));
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            out.add(space.sample(rng));
        }
        return out;
    }

    /** Exports at every given resolution and compares ORT with the reference at batch 1 and 4. */
    private static int checkParity(SearchSpace space, List<ArchConfig> archs, List<Integer> resolutions, long seed) {
        int checked = 0;
        double worst = 0;
        double largestLogit = 0;
        for (int i = 0; i < archs.size(); i++) {
            for (int r : resolutions) {
                ArchConfig arch = atResolution(archs.get(i), r);
                Subnet s = RandomSubnets.create(space, arch, seed + i);
                byte[] model = OnnxExporter.toBytes(s, Map.of());
                int c = space.inChannels();
                float[] x4 = RandomSubnets.input(4, c, r, seed * 31 + i);
                float[] ref4 = ReferenceForward.forward(s, x4, 4);
                int classes = space.numClasses();
                try (Verifier v = Verifier.open(model)) {
                    Verifier.Comparison c4 = v.compare(x4, new long[] {4, c, r, r}, ref4, TOL);
                    assertTrue(c4.passed(), arch.key() + " batch 4: " + c4.report());
                    float[] x1 = Arrays.copyOf(x4, c * r * r);
                    float[] ref1 = Arrays.copyOf(ref4, classes);
                    Verifier.Comparison c1 = v.compare(x1, new long[] {1, c, r, r}, ref1, TOL);
                    assertTrue(c1.passed(), arch.key() + " batch 1: " + c1.report());
                    worst = Math.max(worst, Math.max(c1.maxAbsDiff(), c4.maxAbsDiff()));
                    largestLogit = Math.max(largestLogit, assertLogitsNotTrivial(ref4, arch));
                }
                checked++;
            }
        }
        System.out.printf(
                "%s: %d exports match the reference, worst |diff| %.2e, largest |logit| %.2f%n",
                space.name(), checked, worst, largestLogit);
        return checked;
    }

    /** Guards the parity test against a vacuous pass on near-zero logits. */
    private static double assertLogitsNotTrivial(float[] logits, ArchConfig arch) {
        double max = 0;
        for (float f : logits) {
            assertTrue(Float.isFinite(f), "reference logits of " + arch.key() + " must be finite");
            max = Math.max(max, Math.abs(f));
        }
        assertTrue(max > 0.5, "reference logits of " + arch.key() + " are too small for a meaningful 1e-4 check (max " + max + ")");
        return max;
    }

    @Test
    void fmnistExportsMatchReferenceAtEveryResolution() {
        SearchSpace space = SearchSpace.fmnist();
        List<ArchConfig> archs = configs(space, 12, 7);
        assertEquals(14 * 3, checkParity(space, archs, space.resolutions(), 1000));
    }

    @Test
    void ofaImageNetSpaceExportsMatchReferenceAtFirstAndLastResolution() {
        SearchSpace space = smallOfa();
        List<ArchConfig> archs = configs(space, 8, 11);
        List<Integer> res = List.of(space.minResolution(), space.maxResolution());
        assertEquals(10 * 2, checkParity(space, archs, res, 2000));
    }

    @Test
    void halfWidthOfaSpaceExportMatchesReference() {
        SearchSpace w = smallOfa();
        SearchSpace half =
                new SearchSpace(
                        "ofa-mbv3-w0.5", w.inChannels(), w.numClasses(), w.stemBaseWidth(), w.stemStride(),
                        w.stemActivation(), w.firstBlockBaseWidth(), w.firstBlockActivation(), w.stages(),
                        w.finalExpandBaseWidth(), w.featureMixBaseWidth(), w.kernels(), w.expandRatios(),
                        w.depths(), w.resolutions(), 0.5);
        // width 0.5 exercises OFA's make_divisible rounding of every width
        assertEquals(3 * 2, checkParity(half, configs(half, 1, 5), half.resolutions(), 3000));
    }

    @Test
    void wrongHardSigmoidSlopeIsCaughtByTheComparison() {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig arch = space.max();
        Subnet s = RandomSubnets.create(space, arch, 17);
        int r = arch.resolution();
        float[] x = RandomSubnets.input(4, 1, r, 99);
        float[] ref = ReferenceForward.forward(s, x, 4);
        // ONNX's default HardSigmoid slope 0.2 instead of MobileNetV3's 1/6:
        byte[] wrong = OnnxExporter.toBytes(s, Map.of(), 0.2f);
        Verifier.Comparison bad = Verifier.compare(wrong, x, new long[] {4, 1, r, r}, ref, TOL);
        assertFalse(bad.passed(), bad.report());
        assertTrue(bad.maxAbsDiff() > TOL, bad.report());
        assertTrue(bad.report().startsWith("FAIL"), bad.report());
        Verifier.Comparison good = Verifier.compare(OnnxExporter.toBytes(s, Map.of()), x, new long[] {4, 1, r, r}, ref, TOL);
        assertTrue(good.passed(), good.report());
    }

    @Test
    void modelHeaderNamesAndMetadataReadBack() throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig arch = space.sample(new SplittableRandom(3));
        Subnet s = RandomSubnets.create(space, arch, 5).withMetadata(Map.of("checkpoint.sha256", "ab12"));
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("predicted.accuracy", "0.873");
        extra.put("measured.latency_ms", "0.41");
        ModelProto m = ModelProto.parseFrom(OnnxExporter.toBytes(s, extra));

        assertEquals(8, m.getIrVersion());
        assertEquals(OnnxExporter.IR_VERSION, m.getIrVersion());
        assertEquals(1, m.getOpsetImportCount());
        assertEquals("", m.getOpsetImport(0).getDomain());
        assertEquals(17, m.getOpsetImport(0).getVersion());
        assertEquals("ofa4j", m.getProducerName());
        assertFalse(m.getProducerVersion().isEmpty() || m.getProducerVersion().equals("unknown")
                || m.getProducerVersion().contains("${"), m.getProducerVersion());
        assertTrue(m.getDocString().contains("mean = [0.286]"), m.getDocString());
        assertTrue(m.getDocString().contains("std = [0.353]"), m.getDocString());
        assertTrue(m.getDocString().contains(arch.resolution() + "x" + arch.resolution() + " px"), m.getDocString());

        Map<String, String> meta = new LinkedHashMap<>();
        for (StringStringEntryProto e : m.getMetadataPropsList()) {
            assertTrue(meta.put(e.getKey(), e.getValue()) == null, "duplicate metadata key " + e.getKey());
        }
        assertEquals(arch.key(), meta.get(OnnxExporter.META_ARCH_KEY));
        assertEquals(arch, ArchConfig.fromJson(meta.get(OnnxExporter.META_ARCH)));
        assertEquals("fmnist", meta.get(OnnxExporter.META_SPACE));
        assertEquals(Integer.toString(arch.resolution()), meta.get(OnnxExporter.META_RESOLUTION));
        assertEquals("5", meta.get("seed"));
        assertEquals("ab12", meta.get("checkpoint.sha256"));
        assertEquals("0.2860", meta.get(Subnet.INPUT_MEAN_KEY));
        assertEquals("0.873", meta.get("predicted.accuracy"));
        assertEquals("0.41", meta.get("measured.latency_ms"));

        ValueInfoProto in = m.getGraph().getInput(0);
        assertEquals(1, m.getGraph().getInputCount());
        assertEquals("input", in.getName());
        assertEquals("N", in.getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals(arch.resolution(), in.getType().getTensorType().getShape().getDim(3).getDimValue());
        ValueInfoProto out = m.getGraph().getOutput(0);
        assertEquals("logits", out.getName());
        assertEquals("N", out.getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals(10, out.getType().getTensorType().getShape().getDim(1).getDimValue());
    }

    @Test
    void graphIsWellFormed() throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.max(), 1);
        ModelProto m = ModelProto.parseFrom(OnnxExporter.toBytes(s, Map.of()));
        java.util.Set<String> known = new java.util.HashSet<>();
        known.add("input");
        for (TensorProto t : m.getGraph().getInitializerList()) {
            assertTrue(known.add(t.getName()), "initializer name reused: " + t.getName());
            long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            assertEquals(n * 4, t.getRawData().size(), "raw_data length of " + t.getName());
            assertEquals(TensorProto.DataType.FLOAT_VALUE, t.getDataType());
        }
        int hardSigmoids = 0;
        for (NodeProto n : m.getGraph().getNodeList()) {
            for (String i : n.getInputList()) {
                // "" is an omitted optional input (Resize's roi)
                assertTrue(i.isEmpty() ? n.getOpType().equals("Resize") : known.contains(i),
                        "node " + n.getName() + " consumes '" + i + "' before it exists");
            }
            for (String o : n.getOutputList()) {
                assertTrue(known.add(o), "value produced twice: " + o);
            }
            for (AttributeProto a : n.getAttributeList()) {
                assertTrue(a.getType() != AttributeProto.AttributeType.UNDEFINED, n.getName() + "." + a.getName() + " has no type");
            }
            if (n.getOpType().equals("HardSigmoid")) {
                hardSigmoids++;
                assertEquals(1f / 6f, n.getAttribute(0).getF(), 0);
                assertEquals(0.5f, n.getAttribute(1).getF(), 0);
            }
            assertFalse(n.getOpType().equals("BatchNormalization"), "BN must be folded");
        }
        long seBlocks = s.layers().stream().filter(l -> l.se()).count();
        assertEquals(seBlocks, hardSigmoids);
        assertTrue(known.contains("logits"));
        // every subnet tensor is used; each BN (4 tensors) becomes one folded bias; each SE adds the
        // scales of the Resize that broadcasts its gate
        Map<String, int[]> layout = Subnet.layout(space, space.max());
        long plain = layout.keySet().stream().filter(k -> !k.contains(".bn.")).count();
        long bns = layout.keySet().stream().filter(k -> k.endsWith(".bn.gamma")).count();
        assertEquals(plain + bns + seBlocks, m.getGraph().getInitializerCount());
    }

    @Test
    void exportWritesTheFileAtomically(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.min(), 2);
        Path f = dir.resolve("sub/model.onnx");
        OnnxExporter.export(s, f, Map.of("predicted.accuracy", "0.8"));
        assertArrayEquals(OnnxExporter.toBytes(s, Map.of("predicted.accuracy", "0.8")), Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(f.getParent())) {
            assertEquals(List.of(f), files.toList(), "no temporary file may be left");
        }
        try (Verifier v = Verifier.open(f)) {
            assertArrayEquals(new long[] {-1, 1, 20, 20}, v.inputShape());
        }
        Map<String, String> meta = OnnxExporter.readMetadata(f);
        assertEquals(s.arch().key(), meta.get(OnnxExporter.META_ARCH_KEY));
        assertEquals("0.8", meta.get("predicted.accuracy"));
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[] {(byte) 0xff, 1, 2});
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> OnnxExporter.readMetadata(junk));
        assertTrue(e.getMessage().contains("junk.onnx"), e.getMessage());
    }

    // ------------------------------------------------------------------ refusals

    private static Subnet withTensor(Subnet s, String name, int index, float value) {
        Map<String, Tensor> t = new LinkedHashMap<>(s.tensors());
        float[] d = t.get(name).data().clone();
        d[index] = value;
        t.put(name, new Tensor(t.get(name).shape(), d));
        return new Subnet(s.space(), s.arch(), t, s.bnEps(), s.metadata());
    }

    @Test
    void refusesNonFiniteWeightsNamingTheTensor() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = withTensor(RandomSubnets.create(space, space.min(), 1), "blocks.2.dw.weight", 4, Float.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(s, Map.of()));
        assertTrue(e.getMessage().contains("'blocks.2.dw.weight'") && e.getMessage().contains("NaN")
                && e.getMessage().contains("index 4"), e.getMessage());
    }

    @Test
    void refusesNegativeBnVarianceNamingTheBn() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = withTensor(RandomSubnets.create(space, space.min(), 1), "stem.bn.var", 3, -1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(s, Map.of()));
        assertTrue(e.getMessage().contains("'stem.bn'") && e.getMessage().contains("var[3] = -1.0"), e.getMessage());
    }

    @Test
    void refusesBadEpsilonMetadataAndNull() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.min(), 1);
        Subnet badEps = new Subnet(space, s.arch(), s.tensors(), 0.0, s.metadata());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(badEps, Map.of()));
        assertTrue(e.getMessage().contains("epsilon") && e.getMessage().contains("0.0"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(s, Map.of(OnnxExporter.META_ARCH_KEY, "x")));
        assertTrue(e.getMessage().contains("reserved key 'ofa4j.arch_key'"), e.getMessage());

        Subnet badStd = s.withMetadata(Map.of(Subnet.INPUT_STD_KEY, "0"));
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(badStd, Map.of()));
        assertTrue(e.getMessage().contains("'input.std'") && e.getMessage().contains("'0'"), e.getMessage());

        Subnet badMean = s.withMetadata(Map.of(Subnet.INPUT_MEAN_KEY, "0.1,0.2"));
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(badMean, Map.of()));
        assertTrue(e.getMessage().contains("1 or 1 comma-separated") || e.getMessage().contains("'0.1,0.2'"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(null, Map.of()));
        assertTrue(e.getMessage().contains("subnet"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(s, null));
        assertTrue(e.getMessage().contains("extraMetadata"), e.getMessage());
    }
}
