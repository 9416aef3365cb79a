package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifests written by the first manifest writer still load; a written manifest reads back equal. */
class CheckpointManifestTest {

    @TempDir Path tmp;

    static Path fixture(String name) {
        return Path.of("src/test/resources/fixtures").resolve(name);
    }

    @Test
    void finishedQuickRunManifestLoads() throws IOException {
        CheckpointManifest m = CheckpointManifest.read(fixture("manifest-v1-quick-done.json"));
        CheckpointManifest.Run run = m.run();
        assertEquals("fmnist", run.space().name());
        assertEquals(List.of(20, 24, 28), run.space().resolutions());
        assertEquals(4, run.space().stages().size());
        assertEquals("quick", run.preset());
        assertEquals(42, run.seed());
        assertEquals(3.0e-5, run.weightDecay(), 0.0);
        assertEquals("e57fe9aeed92150b415a42987bb3f89d-d1a31318e198932ae7fb92957e373a73", run.dataFingerprint());
        assertArrayEquals(new float[] {0.28585675f}, run.inputNormalisation().mean());
        assertArrayEquals(new float[] {0.35311097f}, run.inputNormalisation().std());
        assertEquals(Phase.PROGRESSIVE_SHRINKING_NAMES, run.phases().stream().map(Phase::name).toList());
        Phase full = run.phases().get(0);
        assertEquals(6, full.epochs());
        assertEquals(0.1, full.lr(), 0.0);
        assertEquals(0.6000000000000001, full.warmupEpochs(), 0.0);
        assertEquals(List.of(7), full.kernels());
        Phase expand1 = run.phases().get(4);
        assertEquals(List.of(4, 6), expand1.expands());
        assertTrue(expand1.sortBefore());
        assertEquals(1.0, expand1.kdRatio(), 0.0);
        assertFalse(expand1.sandwich());

        assertEquals(new CheckpointManifest.Position(6, "done", 0, 0, 1716), m.position());
        assertTrue(m.finished());
        assertEquals(42, m.rng().seed());
        assertEquals(EpochTotals.ZERO, m.epochPartial());
        List<EpochMetrics> h = m.metrics().history();
        assertEquals(11, h.size());
        assertEquals(h.get(10), m.metrics().last());
        assertEquals("expand-2", h.get(10).phase());
        assertEquals(1.8942525447943273, h.get(10).loss(), 0.0);
        assertEquals(0.77, h.get(10).valAccMin(), 0.0);
        assertEquals("r20-k3e3.k3e3|k3e3.k3e3|k3e3.k3e3|k3e3.k3e3", h.get(10).minArch());
        assertNull(h.get(0).valAccMax(), "the first epoch was not scored");
        assertEquals("71e622c674cabf734ece79fa0b58c1d1d69e8531ff25367a238f708f99a83959", m.files().params().sha256());
        assertEquals("75d3238023b6fb465f52556664f89f9e0f9c5d991f0af33a446564a69657afe4", m.files().optimizer().sha256());
        assertEquals("2080933fdbf2e6ac28d7cec4cef60264ce6920b7750b4ebcfe590048f43434b8", m.files().teacher().sha256());
        assertEquals("sgd-nesterov", m.optimizer().type());
    }

    /** A checkpoint in the middle of the first epoch wrote {@code "last": {}} and running sums. */
    @Test
    void midEpochManifestLoads() throws IOException {
        CheckpointManifest m = CheckpointManifest.read(fixture("manifest-v1-mid-epoch.json"));
        assertEquals(new CheckpointManifest.Position(0, "full", 0, 2, 2), m.position());
        assertEquals("tiny", m.run().space().name());
        assertEquals(1, m.run().seed());
        assertTrue(m.run().phases().get(5).sandwich());
        assertNull(m.metrics().last());
        assertTrue(m.metrics().history().isEmpty());
        assertEquals(new EpochTotals(4.606772184371948, 3, 32, 32, 0.045879210000000004), m.epochPartial());
        assertNull(m.files().teacher());
        assertFalse(m.finished());
    }

    /** The data fingerprint is unchanged: the mid-epoch fixture was trained on {@code noiseSplits(48, 7)}. */
    @Test
    void dataFingerprintOfTheFixtureRunIsUnchanged() throws IOException {
        assertEquals(CheckpointManifest.read(fixture("manifest-v1-mid-epoch.json")).run().dataFingerprint(),
                TinyRuns.noiseSplits(48, 7).fingerprint());
    }

    /** Written and read back: equal records, and the keys of the first format at the top level. */
    @Test
    void writtenManifestReadsBackEqualWithTheFlatKeys() throws IOException {
        CheckpointManifest old = CheckpointManifest.read(fixture("manifest-v1-quick-done.json"));
        Path f = tmp.resolve("manifest.json");
        old.write(f);
        CheckpointManifest back = CheckpointManifest.read(f);
        assertEquals(old.run(), back.run());
        assertEquals(old.position(), back.position());
        assertEquals(old.metrics(), back.metrics());
        assertEquals(old.files(), back.files());
        assertEquals(old.epochPartial(), back.epochPartial());
        assertEquals(old.written(), back.written());

        JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        JsonObject first = JsonParser.parseString(Files.readString(fixture("manifest-v1-quick-done.json"))).getAsJsonObject();
        assertEquals(first.keySet(), o.keySet(), "the same top-level keys as the first format");
        for (String k : first.keySet()) {
            if (!k.equals("epoch_partial")) { // the first writer wrote {} for zero sums, now they are explicit
                assertEquals(first.get(k), o.get(k), "value of key " + k);
            }
        }
        assertEquals(0, o.getAsJsonObject("epoch_partial").get("seen").getAsLong());
    }

    @Test
    void badManifestsAreRefusedNamingTheFileAndKey() throws IOException {
        String text = Files.readString(fixture("manifest-v1-mid-epoch.json"));
        Path v2 = tmp.resolve("v2.json");
        Files.writeString(v2, text.replace("\"format_version\": 1", "\"format_version\": 2"));
        IOException e = assertThrows(IOException.class, () -> CheckpointManifest.read(v2));
        assertTrue(e.getMessage().contains(v2.toString()) && e.getMessage().contains("format_version 2"), e.getMessage());

        Path noFingerprint = tmp.resolve("nofp.json");
        Files.writeString(noFingerprint, text.replaceAll("\"data_fingerprint\": \"[^\"]*\",", ""));
        e = assertThrows(IOException.class, () -> CheckpointManifest.read(noFingerprint));
        assertTrue(e.getMessage().contains("'data_fingerprint' is missing"), e.getMessage());

        Path badPhase = tmp.resolve("badphase.json");
        Files.writeString(badPhase, text.replace("\"phase_name\": \"full\"", "\"phase_name\": \"kernel\""));
        e = assertThrows(IOException.class, () -> CheckpointManifest.read(badPhase));
        assertTrue(e.getMessage().contains("phase_name 'kernel'"), e.getMessage());

        Path badKernel = tmp.resolve("badkernel.json");
        Files.writeString(badKernel, text.replaceFirst("\"kernels\": \\[\\s*7\\s*\\]", "\"kernels\": [9]"));
        e = assertThrows(IOException.class, () -> CheckpointManifest.read(badKernel));
        assertTrue(e.getMessage().contains("kernel 9 of phase full"), e.getMessage());
    }

    /** Resume compatibility is one check on the run identity, naming both values. */
    @Test
    void anotherRunIsRefusedNamingBothValues() throws IOException {
        CheckpointManifest.Run run = CheckpointManifest.read(fixture("manifest-v1-mid-epoch.json")).run();
        Path dir = tmp.resolve("ckpt-000000002");
        run.checkResumableAs(run, dir);
        CheckpointManifest.Run otherSeed = new CheckpointManifest.Run(run.space(), run.preset(), 2, run.phases(),
                run.weightDecay(), run.dataFingerprint(), run.inputNormalisation());
        IOException e = assertThrows(IOException.class, () -> run.checkResumableAs(otherSeed, dir));
        assertTrue(e.getMessage().contains("seed 1, this run uses 2"), e.getMessage());
        SearchSpace space = run.space();
        List<Phase> sorted = run.phases().stream().map(p -> p.withSandwich(false)).toList();
        CheckpointManifest.Run otherSchedule = new CheckpointManifest.Run(space, run.preset(), 1, sorted,
                run.weightDecay(), run.dataFingerprint(), run.inputNormalisation());
        e = assertThrows(IOException.class, () -> run.checkResumableAs(otherSchedule, dir));
        assertTrue(e.getMessage().contains("expand-2 x1 lr 0.010000000000000002 sandwich]"), e.getMessage());
    }
}
