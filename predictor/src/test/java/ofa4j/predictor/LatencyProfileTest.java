package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyProfileTest {

    private final SearchSpace space = SearchSpace.fmnist();

    @TempDir Path dir;

    @Test
    void enumeratedVariantsEqualTheUnionOverSampledSubnets() {
        Map<String, LayerSpec> variants = LayerVariants.enumerate(space);
        Set<String> sampled = new HashSet<>();
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < 4000; i++) {
            sampled.addAll(LayerVariants.keys(space, space.sample(rng)));
        }
        assertEquals(sampled, variants.keySet());
        // per resolution: stem, first block, final expand + 4 stages x (first, later) x 9 choices;
        // minus the stage-2 variants shared by 20 and 24 px (both see 3x3 maps there), plus the
        // feature mix and the classifier shared by all resolutions
        int perRes = 3 + 4 * 2 * 9;
        assertTrue(variants.size() < 3 * perRes + 2 && variants.size() > 2 * perRes, "" + variants.size());
        for (Map.Entry<String, LayerSpec> e : variants.entrySet()) {
            assertEquals(e.getKey(), e.getValue().key());
        }
    }

    @Test
    void profilerRecoversTheOverheadOfAFakeDevice() {
        FakeMeter meter = new FakeMeter(space);
        DeviceProfile p = Profiler.profile(space, meter, "fake", 10, 3, true, null);
        assertEquals(LayerVariants.enumerate(space).size() * Profiler.DEFAULT_PASSES + 10, meter.layerCalls.get());
        assertEquals(FakeMeter.INTERCEPT, p.interceptMs(), 1e-9);
        assertEquals(FakeMeter.SCALE, p.scale(), 1e-9);
        assertTrue(p.measurement().fitMapePercent() < 1e-6);
        for (ArchConfig a : AccuracyDatasetBuilder.sampleDistinct(space, 20, 99)) {
            assertEquals(meter.subnetMs(a), p.predictMs(a), 1e-9);
        }
        assertTrue(p.predictMs(space.max()) > p.predictMs(space.min()));
    }

    @Test
    void aLoadBurstDuringOnePassDoesNotBiasTheProfile() {
        // Everything timed during the first pass (layers and subnets) is 50% slow; the second is clean.
        int subnets = 12;
        FakeMeter bursty = FakeMeter.bursty(space, LayerVariants.enumerate(space).size(), subnets);
        DeviceProfile p = Profiler.profile(space, bursty, "bursty", subnets, 2, 3, true, null);
        assertEquals(FakeMeter.INTERCEPT, p.interceptMs(), 1e-9);
        assertEquals(FakeMeter.SCALE, p.scale(), 1e-9);
        for (ArchConfig a : AccuracyDatasetBuilder.sampleDistinct(space, 20, 99)) {
            assertEquals(bursty.exactSubnetMs(a), p.predictMs(a), 1e-9);
        }
    }

    @Test
    void anInconsistentProfileIsMeasuredAgainAndTheConsistentAttemptIsKept() {
        // The whole first attempt (1 anchor + 2 passes x (12 subnets + 1 anchor)) is timed in an
        // uneven slow episode: its fit misses and it mispredicts the anchor; the second is exact.
        int subnets = 12;
        int firstAttemptSubnetCalls = 1 + Profiler.DEFAULT_PASSES * (subnets + 1);
        FakeMeter erratic = FakeMeter.erratic(space, firstAttemptSubnetCalls);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        DeviceProfile p = Profiler.profile(space, erratic, "erratic", subnets, 3, true,
                new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(2 * firstAttemptSubnetCalls, erratic.subnetCalls.get(), "exactly two attempts");
        assertEquals(2, p.measurement().attempts());
        assertEquals(0.0, p.measurement().anchorErrorPercent(), 1e-9);
        assertEquals(FakeMeter.INTERCEPT, p.interceptMs(), 1e-9);
        assertEquals(FakeMeter.SCALE, p.scale(), 1e-9);
        String msg = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(msg.contains("attempt 1 of " + Profiler.MAX_ATTEMPTS + " is inconsistent") && msg.contains("measuring again"), msg);
    }

    @Test
    void aProfileThatNeverBecomesConsistentKeepsTheLeastInconsistentAttemptAndSaysSo() {
        FakeMeter erratic = FakeMeter.erratic(space, Integer.MAX_VALUE);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        DeviceProfile p = Profiler.profile(space, erratic, "erratic", 12, 3, true,
                new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(Profiler.MAX_ATTEMPTS, p.measurement().attempts());
        assertTrue(p.measurement().anchorErrorPercent() > Profiler.MAX_ANCHOR_ERROR_PERCENT
                        || p.measurement().fitMapePercent() > Profiler.MAX_FIT_MAPE_PERCENT,
                p.measurement().toString());
        String msg = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(msg.contains("keeping the least inconsistent attempt"), msg);
        assertEquals(Profiler.MAX_ATTEMPTS, msg.lines().filter(l -> l.contains("is inconsistent")).count(), msg);
    }

    @Test
    void aConsistentProfileIsMeasuredOnce() {
        FakeMeter meter = new FakeMeter(space);
        DeviceProfile p = Profiler.profile(space, meter, "fake", 10, 3, true, null);
        assertEquals(1, p.measurement().attempts());
        assertEquals(0.0, p.measurement().anchorErrorPercent(), 1e-9);
    }

    @Test
    void profileSavesAndLoadsAsJson() throws IOException {
        DeviceProfile p = Profiler.profile(space, new FakeMeter(space), "fake-1t", 5, 3, true, null);
        Path f = dir.resolve("fake.json");
        p.save(f);
        String text = Files.readString(f);
        assertTrue(text.contains("\"lut_ms\"") && text.contains("\"cpuModel\""), text.substring(0, 300));
        DeviceProfile back = DeviceProfile.load(f);
        assertEquals(p.lutMs(), back.lutMs());
        assertEquals(p.interceptMs(), back.interceptMs());
        assertEquals(p.measurement(), back.measurement());
        assertEquals(p.predictMs(space.max()), back.predictMs(space.max()));
        assertEquals("fake-1t", DeviceProfile.find(dir, "fake-1t").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceProfile.find(dir, "phone"));
        assertTrue(e.getMessage().contains("'phone'") && e.getMessage().contains("fake-1t"), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("no-profiles"));
        e = assertThrows(IllegalArgumentException.class, () -> DeviceProfile.find(empty, "phone"));
        assertTrue(e.getMessage().contains("'phone'") && e.getMessage().contains("no device profiles")
                && e.getMessage().contains("ofa profile --out"), e.getMessage());
    }

    @Test
    void badProfilesAndUnknownKeysAreClearErrors() throws IOException {
        DeviceProfile p = Profiler.profile(space, new FakeMeter(space), "fake", 5, 3, true, null);
        Path f = dir.resolve("p.json");
        p.save(f);
        String text = Files.readString(f);
        Files.writeString(f, text.substring(0, 200));
        IOException e = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("v1"), e.getMessage());
        Files.writeString(f, text.replace("\"engine\": \"onnxruntime\"", "\"engine\": \"tflite\""));
        IOException e2 = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e2.getMessage().contains("tflite"), e2.getMessage());
        // a profile of another space does not know this layer
        Map<String, Double> lut = new HashMap<>(p.lutMs());
        String key = space.layers(space.max()).get(3).key();
        lut.remove(key);
        DeviceProfile holes = new DeviceProfile("holes", "onnxruntime", 1, 1, space, null, lut, 0, 1);
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> holes.predictMs(space.max()));
        assertTrue(e3.getMessage().contains(key) && e3.getMessage().contains("holes"), e3.getMessage());
    }

    @Test
    void constraintMetricsCombineLatencyAndCosts() {
        DeviceProfile p = Profiler.profile(space, new FakeMeter(space), "fake", 5, 3, true, null);
        ArchConfig a = space.max();
        ConstraintMetrics m = ConstraintMetrics.of(space, p, a);
        CostModel.Cost c = new CostModel(space).cost(a);
        assertEquals(c.macs(), m.macs());
        assertEquals(c.params(), m.params());
        assertEquals(c.peakActivationBytes(), m.peakActivationBytes());
        assertEquals(p.predictMs(a), m.latencyMs());
        assertTrue(Double.isNaN(ConstraintMetrics.of(space, null, a).latencyMs()));
    }

    @Test
    void overheadFitMatchesALine() {
        double[] x = {1, 2, 3, 4};
        double[] y = {1.5, 2.5, 3.5, 4.5};
        OverheadFit f = OverheadFit.fit(x, y);
        assertEquals(0.5, f.interceptMs(), 1e-12);
        assertEquals(1.0, f.scale(), 1e-12);
        assertEquals(0, f.fitMapePercent(), 1e-9);
        assertEquals(100.0 * (0.5 / 1.5 + 0.5 / 2.5 + 0.5 / 3.5 + 0.5 / 4.5) / 4, f.rawMapePercent(), 1e-9);
        assertEquals("affine", f.model());
        assertEquals(0, f.looMapePercent(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> OverheadFit.fit(new double[] {1, 2}, new double[] {1, 2}));
    }

    @Test
    void overheadFitFindsAPureRatio() {
        double[] x = {1, 2, 3, 4, 5, 6};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 1.3 * x[i] * (i % 2 == 0 ? 1.02 : 0.98);
        }
        OverheadFit f = OverheadFit.fit(x, y);
        assertEquals("ratio", f.model());
        assertEquals(0, f.interceptMs());
        assertEquals(1.3, f.scale(), 0.01);
        assertTrue(f.fitMapePercent() < 2.1 && f.rawMapePercent() > 20, f.toString());
    }

    /**
     * Timings with no overhead but noise and one slow outlier: an ordinary least-squares line tilts
     * (negative intercept, slope above 1) and misses new subnets; the chosen model does not.
     */
    @Test
    void overheadFitDoesNotFollowNoise() {
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        double[] noise = {0.12, -0.1, 0.08, -0.12, 0.1, -0.08, 0.05, 0.45};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * (1 + noise[i]);
        }
        OverheadFit f = OverheadFit.fit(x, y);
        org.apache.commons.math3.stat.regression.SimpleRegression ols = new org.apache.commons.math3.stat.regression.SimpleRegression();
        for (int i = 0; i < x.length; i++) {
            ols.addData(x[i], y[i]);
        }
        assertTrue(ols.getIntercept() < -0.5 && ols.getSlope() > 1.2, "the outlier tilts a plain fit: " + ols.getIntercept());
        double[] fresh = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5};
        double chosen = OverheadFit.mape(fresh, fresh, f.interceptMs(), f.scale());
        double plain = OverheadFit.mape(fresh, fresh, ols.getIntercept(), ols.getSlope());
        assertTrue(chosen < plain / 2, f.model() + " " + chosen + "% vs least squares " + plain + "%");
        assertTrue(OverheadFit.MODELS.contains(f.model()));
    }
}
