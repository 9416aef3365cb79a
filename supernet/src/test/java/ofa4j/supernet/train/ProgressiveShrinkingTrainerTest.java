package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressiveShrinkingTrainerTest {

    @TempDir Path tmp;

    private static OneThread threads;

    @BeforeAll
    static void oneThread() {
        threads = OneThread.enter();
    }

    @AfterAll
    static void restoreThreads() {
        threads.close();
    }

    private final SearchSpace space = TinyRuns.tinySpace(List.of(20, 24, 28));

    /** full -> kernel -> expand-2 (sorted channels, 4 subnets, teacher): every mechanism of the loop. */
    private List<Phase> shortSchedule() {
        List<Phase> ps = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.05, 0);
        return List.of(ps.get(0), ps.get(1), ps.get(5));
    }

    private ProgressiveShrinkingTrainer.Builder base() {
        return ProgressiveShrinkingTrainer.builder()
                .setSpace(space)
                .optPreset(TinyRuns.noEval(16))
                .optSchedule(shortSchedule())
                .optSeed(42)
                .optQuiet(true);
    }

    /**
     * A run stopped twice (at a phase boundary and in the middle of an epoch of a later phase) and
     * resumed reaches bit-identical parameters to an uninterrupted run: every random draw is derived
     * from the position, and libtorch's CPU kernels are deterministic for a fixed thread count.
     */
    @Test
    void resumedRunEqualsUninterruptedRun() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(64, 3); // 4 steps per epoch, 12 steps in all
        Path a = tmp.resolve("a");
        TrainingResult ra = base().build().train(data, a, false);
        assertTrue(ra.finished());
        assertEquals(12, ra.globalSteps());

        Path b = tmp.resolve("b");
        TrainingResult rb1 = base().optStopAfterSteps(4).build().train(data, b, false);
        assertFalse(rb1.finished());
        assertEquals(4, rb1.globalSteps());
        TrainingResult rb2 = base().optStopAfterSteps(10).build().train(data, b, true);
        assertEquals(10, rb2.globalSteps());
        assertFalse(rb2.finished());
        TrainingResult rb3 = base().build().train(data, b, true);
        assertTrue(rb3.finished());
        assertEquals(12, rb3.globalSteps());

        Map<String, float[]> pa = TinyRuns.params(a);
        Map<String, float[]> pb = TinyRuns.params(b);
        assertEquals(pa.keySet(), pb.keySet());
        for (String k : pa.keySet()) {
            assertArrayEquals(pa.get(k), pb.get(k), "parameter " + k + " differs after resume");
        }
        // training moved the parameters at all
        try (ofa4j.supernet.Supernet fresh = ofa4j.supernet.Supernet.create(space, 42)) {
            boolean moved = false;
            for (var e : fresh.trainableParameters().entrySet()) {
                moved |= !java.util.Arrays.equals(e.getValue().getArray().toFloatArray(), pa.get(e.getKey()));
            }
            assertTrue(moved, "training changed no parameter");
        }
        // the metrics log has one line per epoch, identical losses in both runs
        List<String> la = Files.readAllLines(a.resolve(ProgressiveShrinkingTrainer.METRICS_FILE));
        List<String> lb = Files.readAllLines(b.resolve(ProgressiveShrinkingTrainer.METRICS_FILE));
        assertEquals(3, la.size());
        assertEquals(3, lb.size());
        for (int i = 0; i < 3; i++) {
            JsonObject ja = JsonParser.parseString(la.get(i)).getAsJsonObject();
            JsonObject jb = JsonParser.parseString(lb.get(i)).getAsJsonObject();
            assertEquals(ja.get("loss").getAsDouble(), jb.get("loss").getAsDouble(), 0.0, "epoch " + i);
            assertEquals(ja.get("phase").getAsString(), jb.get("phase").getAsString());
        }
        // only the newest and the previous checkpoint are kept
        try (var s = Files.list(b)) {
            assertEquals(2, s.filter(p -> p.getFileName().toString().startsWith(Checkpoint.DIR_PREFIX)).count());
        }
    }

    @Test
    void corruptedParamsAreRefusedWithTheChecksumProblem() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(32, 4);
        Path run = tmp.resolve("run");
        TrainingResult r = base().optSchedule(shortSchedule().subList(0, 1)).build().train(data, run, false);
        Path params = r.checkpoint().resolve(Checkpoint.PARAMS_FILE);
        try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int v = f.read();
            f.seek(f.length() / 2);
            f.write(v ^ 0x40);
        }
        IOException e = assertThrows(IOException.class, () -> Checkpoint.loadSupernet(run));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains(params.toString()),
                e.getMessage());
        // no other checkpoint verifies either (the previous one is damaged too): resume refuses
        try (var dirs = Files.list(run)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Path p = d.resolve(Checkpoint.PARAMS_FILE);
                if (!p.equals(params) && Files.isRegularFile(p)) {
                    Files.write(p, new byte[] {1, 2, 3});
                }
            }
        }
        IOException e2 = assertThrows(IOException.class,
                () -> base().optSchedule(shortSchedule().subList(0, 1)).build().train(data, run, true));
        assertTrue(e2.getMessage().contains("checksum mismatch"), e2.getMessage());
    }

    /**
     * A damaged newest checkpoint resumes from the previous good one with a warning, a missing
     * pointer resumes from the newest complete checkpoint, and a user's copy is never pruned; the
     * run still ends where an uninterrupted one does.
     */
    @Test
    void resumeFallsBackToTheNewestGoodCheckpointAndPrunesOnlyItsOwn() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(64, 3); // 4 steps per epoch, 12 in all
        Path a = tmp.resolve("straight");
        base().build().train(data, a, false);

        Path b = tmp.resolve("damaged");
        base().optStopAfterSteps(4).build().train(data, b, false);
        TrainingResult r2 = base().optStopAfterSteps(8).build().train(data, b, true);
        Path copy = b.resolve(Checkpoint.DIR_PREFIX + "000000004-mine");
        Files.createDirectories(copy);
        Files.writeString(copy.resolve("note.txt"), "a user's copy");
        Files.write(r2.checkpoint().resolve(Checkpoint.PARAMS_FILE), new byte[] {0}); // newest damaged
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        TrainingResult r3 = base().optLog(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8))
                .build().train(data, b, true);
        assertTrue(r3.finished());
        assertEquals(12, r3.globalSteps());
        String w = warnings.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(w.contains("warning: checkpoint " + r2.checkpoint().getFileName() + " is damaged")
                && w.contains("resuming from " + Checkpoint.DIR_PREFIX + "000000004"), w);
        Map<String, float[]> pa = TinyRuns.params(a);
        Map<String, float[]> pb = TinyRuns.params(b);
        for (String k : pa.keySet()) {
            assertArrayEquals(pa.get(k), pb.get(k), "parameter " + k + " differs after the fallback");
        }
        assertTrue(Files.isRegularFile(copy.resolve("note.txt")), "the user's copy was pruned");

        // no pointer: the newest complete checkpoint is found, and a fresh start is refused
        Files.delete(b.resolve(Checkpoint.LATEST_FILE));
        assertTrue(Checkpoint.exists(b));
        assertThrows(IllegalArgumentException.class, () -> base().build().train(data, b, false));
        Checkpoint.Loaded l = Checkpoint.readNewestGood(b, x -> { });
        assertEquals(12, l.manifest().position().globalStep());

        // a pointer that names a path elsewhere, or is not text, is refused by name; resume falls back
        Path latest = b.resolve(Checkpoint.LATEST_FILE);
        Files.writeString(latest, "../../elsewhere\n");
        IOException outside = assertThrows(IOException.class, () -> Checkpoint.readLatest(b));
        assertEquals("checkpoint pointer " + latest + " names '../../elsewhere', not a checkpoint directory of this run"
                + " (ckpt- and 9 digits)", outside.getMessage());
        Files.write(latest, new byte[] {'c', 'k', (byte) 0xff, '\n'});
        IOException notText = assertThrows(IOException.class, () -> Checkpoint.readLatest(b));
        assertEquals(latest + " is not UTF-8 text: byte 0xff at offset 2", notText.getMessage());
        List<String> said = new java.util.ArrayList<>();
        assertEquals(12, Checkpoint.readNewestGood(b, said::add).manifest().position().globalStep());
        assertTrue(said.size() == 1 && said.get(0).startsWith("warning: the pointer is damaged (" + latest), said.toString());
    }

    /** A kill while a checkpoint is being written leaves a directory without manifest: ignored. */
    @Test
    void halfWrittenCheckpointIsIgnoredOnResume() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(32, 8); // 2 steps per epoch
        Path run = tmp.resolve("half");
        List<Phase> one = shortSchedule().subList(0, 2);
        TrainingResult r1 = base().optSchedule(one).optStopAfterSteps(1).build().train(data, run, false);
        Path partial = run.resolve(Checkpoint.DIR_PREFIX + "000000002");
        Files.createDirectories(partial);
        Files.copy(r1.checkpoint().resolve(Checkpoint.PARAMS_FILE), partial.resolve(Checkpoint.PARAMS_FILE));
        assertEquals(r1.checkpoint(), Checkpoint.readLatest(run).dir());
        assertEquals(1, Checkpoint.readLatest(run).manifest().position().globalStep());
        TrainingResult r2 = base().optSchedule(one).build().train(data, run, true);
        assertTrue(r2.finished());
        assertEquals(4, r2.globalSteps());
        assertEquals("done", Checkpoint.readLatest(run).manifest().phaseName());
        // the manifest records the input normalisation the network was trained with
        CheckpointManifest.InputNormalisation norm = Checkpoint.readLatest(run).manifest().run().inputNormalisation();
        assertArrayEquals(data.mean(), norm.mean());
        assertArrayEquals(data.std(), norm.std());
        assertTrue(Files.isRegularFile(Checkpoint.readLatest(run).dir().resolve(Checkpoint.TEACHER_FILE)),
                "the kernel phase's teacher is checkpointed");
    }

    @Test
    void otherDataOrSpaceIsRefusedNamingBothValues() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(32, 5);
        Path run = tmp.resolve("run");
        base().optSchedule(shortSchedule().subList(0, 1)).optStopAfterSteps(1).build().train(data, run, false);
        DataSplits other = TinyRuns.noiseSplits(32, 6);
        IOException e = assertThrows(IOException.class,
                () -> base().optSchedule(shortSchedule().subList(0, 1)).build().train(other, run, true));
        assertTrue(e.getMessage().contains(data.fingerprint()) && e.getMessage().contains(other.fingerprint()),
                e.getMessage());
        SearchSpace narrower = TinyRuns.tinySpace(List.of(20, 24));
        IOException e2 = assertThrows(IOException.class, () -> ProgressiveShrinkingTrainer.builder()
                .setSpace(narrower).optPreset(TinyRuns.noEval(16)).optSeed(42).optQuiet(true)
                .optSchedule(List.of(Phase.progressiveShrinking(narrower, List.of(1, 1, 1, 1, 1, 1), 0.05, 0).get(0)))
                .build().train(data, run, true));
        assertTrue(e2.getMessage().contains("[20,24,28]") && e2.getMessage().contains("[20,24]"), e2.getMessage());
        assertEquals(TrainingPreset.OFA_WEIGHT_DECAY, Checkpoint.readLatest(run).manifest().run().weightDecay(), 0.0,
                "the preset's weight decay is recorded");
        IOException e4 = assertThrows(IOException.class, () -> base().optSchedule(shortSchedule().subList(0, 1))
                .optWeightDecay(5e-4).build().train(data, run, true));
        assertTrue(e4.getMessage().contains("weight decay 3.0E-5") && e4.getMessage().contains("5.0E-4"),
                e4.getMessage());
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                () -> base().build().train(data, run, false));
        assertTrue(e3.getMessage().contains("already holds a checkpoint"), e3.getMessage());
    }

    /**
     * A sandwich-rule run trains the smallest subnet first in every multi-subnet step, stores the
     * rule in its checkpoint (read back equal), and a resume under OFA's sampling is refused.
     */
    @Test
    void sandwichRunTrainsTheSmallestEveryStepAndKeepsTheRuleInItsCheckpoint() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(32, 5);
        Path run = tmp.resolve("sw");
        List<Phase> sw = shortSchedule().stream().map(p -> p.withSandwich(true)).toList();
        List<StepInfo> steps = new ArrayList<>();
        base().optSchedule(sw).optStepListener(steps::add).build().train(data, run, false);
        int checked = 0;
        for (StepInfo s : steps) {
            if (s.phase().subnetsPerStep() >= 3) {
                int res = s.archs().get(0).resolution();
                assertEquals(space.uniform(3, 3, 2, res), s.archs().get(0), "smallest of expand-2 first");
                assertEquals(space.uniform(7, 6, 4, res), s.archs().get(1), "largest second");
                checked++;
            }
        }
        assertEquals(2, checked, "two expand-2 steps on 32 images at batch 16");
        assertEquals(sw, Checkpoint.readLatest(run).manifest().run().phases());
        IOException e = assertThrows(IOException.class, () -> base().build().train(data, run, true));
        assertTrue(e.getMessage().contains("sandwich]") && e.getMessage().contains("expand-2"), e.getMessage());
    }

    /**
     * The same seed trains the same subnets with the same learning rates and reaches the same losses
     * as the trainer before its refactoring (fixtures {@code sampling-trace-seed1.txt} and {@code
     * trainer-metrics-seed1.jsonl}, written by it): the schedule with the sandwich rule on both
     * expand phases, 18 steps.
     */
    @Test
    void sameSeedTrainsWhatTheEarlierTrainerTrained() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(48, 7);
        List<Phase> ps = new ArrayList<>(Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.05, 0));
        ps.set(4, ps.get(4).withSandwich(true));
        ps.set(5, ps.get(5).withSandwich(true));
        List<StepInfo> steps = new ArrayList<>();
        Path run = tmp.resolve("trace");
        ProgressiveShrinkingTrainer.builder().setSpace(space).optPreset(TinyRuns.noEval(16)).optSchedule(ps)
                .optSeed(1).optQuiet(true).optStepListener(steps::add).build().train(data, run, false);
        List<String> trace = Files.readAllLines(CheckpointManifestTest.fixture("sampling-trace-seed1.txt"));
        assertEquals(trace.size(), steps.size());
        for (int i = 0; i < trace.size(); i++) {
            String[] f = trace.get(i).split(" ");
            StepInfo s = steps.get(i);
            List<String> keys = s.archs().stream().map(ArchConfig::key).toList();
            assertEquals(List.of(f).subList(4, f.length), keys, "subnets of step " + f[0]);
            assertEquals(Long.parseLong(f[0]), s.globalStep());
            assertEquals(f[1], s.phase().name());
            assertEquals(Double.parseDouble(f[2]), s.lr(), 0.0, "lr of step " + f[0]);
            assertEquals(Double.parseDouble(f[3]), s.loss(), 1e-5, "loss of step " + f[0]);
        }
        List<EpochMetrics> before = EpochMetrics.readLog(CheckpointManifestTest.fixture("trainer-metrics-seed1.jsonl"));
        List<EpochMetrics> now = EpochMetrics.readLog(run.resolve(ProgressiveShrinkingTrainer.METRICS_FILE));
        assertEquals(before.size(), now.size());
        for (int i = 0; i < before.size(); i++) {
            EpochMetrics b = before.get(i);
            EpochMetrics n = now.get(i);
            assertEquals(List.of(b.phase(), b.phaseIndex(), b.epoch(), b.globalStep(), b.lrEnd()),
                    List.of(n.phase(), n.phaseIndex(), n.epoch(), n.globalStep(), n.lrEnd()));
            assertEquals(b.loss(), n.loss(), 1e-5, "loss of epoch row " + i);
            assertEquals(b.trainAcc(), n.trainAcc(), 1e-9, "train_acc of epoch row " + i);
        }
    }

    /** The archs the trainer actually trains stay inside each phase's choices. */
    @Test
    void trainedSubnetsFollowTheSchedule() throws IOException {
        DataSplits data = TinyRuns.noiseSplits(48, 7);
        List<Phase> ps = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.05, 0);
        List<StepInfo> steps = new ArrayList<>();
        ProgressiveShrinkingTrainer.builder().setSpace(space).optPreset(TinyRuns.noEval(16)).optSchedule(ps)
                .optSeed(1).optQuiet(true).optStepListener(steps::add).build().train(data, tmp.resolve("s"), false);
        assertEquals(6 * 3, steps.size());
        StringBuilder times = new StringBuilder();
        steps.forEach(s -> times.append(String.format(java.util.Locale.ROOT, "%s:%.2fs ", s.phase().name(), s.seconds())));
        System.out.println("step times: " + times);
        Set<Integer> resolutions = new HashSet<>();
        for (StepInfo s : steps) {
            Phase p = s.phase();
            assertEquals(p.subnetsPerStep(), s.archs().size(), p.name());
            for (ArchConfig a : s.archs()) {
                resolutions.add(a.resolution());
                for (BlockChoice b : a.activeBlocks(space)) {
                    assertTrue(p.kernels().contains(b.kernel()), p.name() + " kernel " + b.kernel());
                    assertTrue(p.expands().contains(b.expand()), p.name() + " expand " + b.expand());
                }
                for (int d : a.depths()) {
                    assertTrue(p.depths().contains(d), p.name() + " depth " + d);
                }
            }
            assertTrue(s.lr() > 0 && s.lr() <= p.lr() + 1e-12);
            assertTrue(Double.isFinite(s.loss()));
        }
        assertTrue(resolutions.size() > 1, "resolution is sampled per batch");
        assertEquals(ps.get(0), steps.get(0).phase());
        assertEquals(ps.get(5), steps.get(steps.size() - 1).phase());
    }
}
