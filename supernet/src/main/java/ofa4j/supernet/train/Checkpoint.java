package ofa4j.supernet.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import ofa4j.models.AtomicFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;

/**
 * A resumable supernet checkpoint: a directory {@code runDir/ckpt-NNNNNNNNN/} (N = global step)
 * holding
 *
 * <ul>
 *   <li>{@code params.bin}: the supernet's parameters ({@link Supernet#saveParameters(Path)});
 *   <li>{@code optimizer.bin}: the momentum buffers ({@link NesterovSgd#save(Path)});
 *   <li>{@code teacher.bin}: the frozen distillation teacher, once there is one;
 *   <li>{@code manifest.json}, written last: format version, search space, preset, seed, schedule
 *       position, dataset fingerprint, metrics and the SHA-256 of every other file;
 * </ul>
 *
 * and a pointer file {@code runDir/latest} naming the newest complete checkpoint. Every file is
 * written atomically (temporary name + rename); the pointer moves only after the new manifest is
 * in place, and the previous checkpoint is deleted only after that, so a kill at any point leaves
 * one complete checkpoint. Loading verifies every checksum and refuses (with an {@link IOException}
 * naming the file, the expected and the actual digest) rather than load damaged weights.
 */
public final class Checkpoint {

    /** Version of the manifest format; readers refuse other versions. */
    public static final int FORMAT_VERSION = 1;
    /** Parameter file name. */
    public static final String PARAMS_FILE = "params.bin";
    /** Teacher parameter file name. */
    public static final String TEACHER_FILE = "teacher.bin";
    /** Optimizer state file name. */
    public static final String OPTIMIZER_FILE = "optimizer.bin";
    /** Manifest file name. */
    public static final String MANIFEST_FILE = "manifest.json";
    /** Pointer file name. */
    public static final String LATEST_FILE = "latest";
    /** Checkpoint directory prefix. */
    public static final String DIR_PREFIX = "ckpt-";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private Checkpoint() {}

    /**
     * The manifest of a checkpoint. The position ({@code phaseIndex}, {@code epoch}, {@code
     * stepInEpoch}) is the NEXT step to run; all random draws of a step are derived from ({@code
     * seed}, phase, epoch, step, k), so the position is the whole random state.
     *
     * @param space the search space
     * @param preset preset name
     * @param seed the run's seed
     * @param phases the schedule
     * @param weightDecay the optimizer's weight decay (manifests written before it was recorded
     *     read as {@link TrainingPreset#OFA_WEIGHT_DECAY}, the only value used then)
     * @param phaseIndex index of the phase of the next step
     * @param epoch epoch (within the phase) of the next step
     * @param stepInEpoch step (within the epoch) of the next step
     * @param globalStep steps done so far
     * @param dataFingerprint {@link ofa4j.supernet.data.DataSplits#fingerprint()} of the data
     * @param metrics last epoch metrics (may be empty)
     * @param epochPartial running sums of the current epoch (loss, correct, seen, seconds)
     * @param paramsSha SHA-256 of {@code params.bin}
     * @param optimizerSha SHA-256 of {@code optimizer.bin}
     * @param teacherSha SHA-256 of {@code teacher.bin}, or null without teacher
     * @param inputMean per-channel input mean the network was trained with, or null (older manifests)
     * @param inputStd per-channel input standard deviation, or null (older manifests)
     */
    public record Manifest(
            SearchSpace space,
            String preset,
            long seed,
            List<Phase> phases,
            double weightDecay,
            int phaseIndex,
            int epoch,
            int stepInEpoch,
            long globalStep,
            String dataFingerprint,
            JsonObject metrics,
            JsonObject epochPartial,
            String paramsSha,
            String optimizerSha,
            String teacherSha,
            float[] inputMean,
            float[] inputStd) {

        /** Copies the list. */
        public Manifest {
            phases = List.copyOf(phases);
        }

        /** @return true when every phase is done */
        public boolean finished() {
            return phaseIndex >= phases.size();
        }

        /** @return the name of the phase of the next step, or {@code done} */
        public String phaseName() {
            return finished() ? "done" : phases.get(phaseIndex).name();
        }

        /** @return the manifest as JSON */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("format_version", FORMAT_VERSION);
            o.addProperty("written", Instant.now().toString());
            o.add("space", SpaceJson.toJson(space));
            o.addProperty("preset", preset);
            o.addProperty("seed", seed);
            com.google.gson.JsonArray ph = new com.google.gson.JsonArray();
            phases.forEach(p -> ph.add(p.toJson()));
            o.add("phases", ph);
            o.addProperty("weight_decay", weightDecay);
            o.addProperty("phase_index", phaseIndex);
            o.addProperty("phase_name", phaseName());
            o.addProperty("epoch", epoch);
            o.addProperty("step_in_epoch", stepInEpoch);
            o.addProperty("global_step", globalStep);
            JsonObject rng = new JsonObject();
            rng.addProperty("seed", seed);
            rng.addProperty(
                    "derivation",
                    "SplittableRandom per draw, seeded from (seed, phase, epoch, step, k); next draw at the position above");
            o.add("rng", rng);
            o.addProperty("data_fingerprint", dataFingerprint);
            o.add("metrics", metrics == null ? new JsonObject() : metrics);
            o.add("epoch_partial", epochPartial == null ? new JsonObject() : epochPartial);
            JsonObject files = new JsonObject();
            files.add(PARAMS_FILE, fileEntry(paramsSha));
            files.add(OPTIMIZER_FILE, fileEntry(optimizerSha));
            if (teacherSha != null) {
                files.add(TEACHER_FILE, fileEntry(teacherSha));
            }
            o.add("files", files);
            JsonObject opt = new JsonObject();
            opt.addProperty("type", "sgd-nesterov");
            opt.addProperty("file", OPTIMIZER_FILE);
            opt.addProperty("sha256", optimizerSha);
            o.add("optimizer", opt);
            if (inputMean != null && inputStd != null) {
                JsonObject norm = new JsonObject();
                norm.add("mean", floats(inputMean));
                norm.add("std", floats(inputStd));
                o.add("input_normalisation", norm);
            }
            return o;
        }

        private static com.google.gson.JsonArray floats(float[] v) {
            com.google.gson.JsonArray a = new com.google.gson.JsonArray();
            for (float x : v) {
                a.add(x);
            }
            return a;
        }

        private static float[] floats(JsonObject o, String key) {
            com.google.gson.JsonArray a = o.getAsJsonArray(key);
            float[] v = new float[a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = a.get(i).getAsFloat();
            }
            return v;
        }

        private static JsonObject fileEntry(String sha) {
            JsonObject f = new JsonObject();
            f.addProperty("sha256", sha);
            return f;
        }

        /**
         * Reads a manifest.
         *
         * @param o the JSON
         * @param source file name for messages
         * @return the manifest
         * @throws IOException if the format version differs or a field is missing
         */
        public static Manifest fromJson(JsonObject o, Path source) throws IOException {
            int version = o.has("format_version") ? o.get("format_version").getAsInt() : -1;
            if (version != FORMAT_VERSION) {
                throw new IOException(
                        "checkpoint manifest " + source + " has format version " + version + ", this reader supports "
                                + FORMAT_VERSION);
            }
            try {
                SearchSpace space = SpaceJson.fromJson(o.getAsJsonObject("space"));
                List<Phase> phases = new java.util.ArrayList<>();
                for (JsonElement e : o.getAsJsonArray("phases")) {
                    JsonObject p = e.getAsJsonObject();
                    phases.add(
                            new Phase(
                                    p.get("name").getAsString(),
                                    p.get("epochs").getAsInt(),
                                    p.get("lr").getAsDouble(),
                                    p.get("subnets_per_step").getAsInt(),
                                    ints(p, "kernels"),
                                    ints(p, "expands"),
                                    ints(p, "depths"),
                                    p.get("sort_before").getAsBoolean(),
                                    p.get("warmup_epochs").getAsDouble(),
                                    p.get("kd_ratio").getAsDouble(),
                                    // absent in manifests written before the sandwich rule existed
                                    p.has("sandwich") && p.get("sandwich").getAsBoolean()));
                }
                JsonObject files = o.getAsJsonObject("files");
                return new Manifest(
                        space,
                        o.get("preset").getAsString(),
                        o.get("seed").getAsLong(),
                        phases,
                        o.has("weight_decay") ? o.get("weight_decay").getAsDouble() : TrainingPreset.OFA_WEIGHT_DECAY,
                        o.get("phase_index").getAsInt(),
                        o.get("epoch").getAsInt(),
                        o.get("step_in_epoch").getAsInt(),
                        o.get("global_step").getAsLong(),
                        o.get("data_fingerprint").getAsString(),
                        o.getAsJsonObject("metrics"),
                        o.getAsJsonObject("epoch_partial"),
                        files.getAsJsonObject(PARAMS_FILE).get("sha256").getAsString(),
                        files.getAsJsonObject(OPTIMIZER_FILE).get("sha256").getAsString(),
                        files.has(TEACHER_FILE) ? files.getAsJsonObject(TEACHER_FILE).get("sha256").getAsString() : null,
                        o.has("input_normalisation") ? floats(o.getAsJsonObject("input_normalisation"), "mean") : null,
                        o.has("input_normalisation") ? floats(o.getAsJsonObject("input_normalisation"), "std") : null);
            } catch (RuntimeException e) {
                throw new IOException(
                        "checkpoint manifest " + source + " (format " + FORMAT_VERSION + ") is invalid: " + e, e);
            }
        }

        private static List<Integer> ints(JsonObject o, String key) {
            List<Integer> out = new java.util.ArrayList<>();
            o.getAsJsonArray(key).forEach(x -> out.add(x.getAsInt()));
            return out;
        }
    }

    /**
     * A verified checkpoint on disk.
     *
     * @param dir the checkpoint directory
     * @param manifest its manifest
     */
    public record Loaded(Path dir, Manifest manifest) {
        /** @return the parameter file */
        public Path paramsFile() {
            return dir.resolve(PARAMS_FILE);
        }

        /** @return the optimizer file */
        public Path optimizerFile() {
            return dir.resolve(OPTIMIZER_FILE);
        }

        /** @return the teacher file, or null without teacher */
        public Path teacherFile() {
            return manifest.teacherSha() == null ? null : dir.resolve(TEACHER_FILE);
        }
    }

    /**
     * Writes a checkpoint at {@code manifest.globalStep()} and points {@code latest} at it, then
     * deletes older checkpoints except the previous one.
     *
     * @param runDir the run directory
     * @param net the supernet
     * @param teacher the teacher, or null
     * @param optimizer the optimizer
     * @param manifest the manifest; its checksum fields are ignored and recomputed
     * @return the new checkpoint directory
     * @throws IOException if writing fails (the previous checkpoint stays valid)
     */
    public static Path write(Path runDir, Supernet net, Supernet teacher, NesterovSgd optimizer, Manifest manifest)
            throws IOException {
        Path dir = runDir.resolve(String.format("%s%09d", DIR_PREFIX, manifest.globalStep()));
        if (Files.exists(dir)) {
            // A leftover of a run killed while writing this very step (or a rewrite of the same
            // step): it is not what `latest` points to unless complete, so start it afresh.
            if (dir.getFileName().toString().equals(readPointer(runDir))) {
                Files.deleteIfExists(runDir.resolve(LATEST_FILE));
            }
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        net.saveParameters(dir.resolve(PARAMS_FILE));
        optimizer.save(dir.resolve(OPTIMIZER_FILE));
        String teacherSha = null;
        if (teacher != null) {
            teacher.saveParameters(dir.resolve(TEACHER_FILE));
            teacherSha = Subnet.sha256Hex(dir.resolve(TEACHER_FILE));
        }
        Manifest m =
                new Manifest(
                        manifest.space(), manifest.preset(), manifest.seed(), manifest.phases(), manifest.weightDecay(),
                        manifest.phaseIndex(), manifest.epoch(), manifest.stepInEpoch(), manifest.globalStep(),
                        manifest.dataFingerprint(), manifest.metrics(), manifest.epochPartial(),
                        Subnet.sha256Hex(dir.resolve(PARAMS_FILE)),
                        Subnet.sha256Hex(dir.resolve(OPTIMIZER_FILE)), teacherSha, manifest.inputMean(),
                        manifest.inputStd());
        AtomicFiles.writeString(dir.resolve(MANIFEST_FILE), GSON.toJson(m.toJson()) + "\n");
        String previous = readPointer(runDir);
        AtomicFiles.writeString(runDir.resolve(LATEST_FILE), dir.getFileName() + "\n");
        pruneExcept(runDir, dir.getFileName().toString(), previous);
        return dir;
    }

    private static void pruneExcept(Path runDir, String keep1, String keep2) throws IOException {
        try (Stream<Path> s = Files.list(runDir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (Files.isDirectory(p) && n.startsWith(DIR_PREFIX) && !n.equals(keep1) && !n.equals(keep2)) {
                    deleteTree(p);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String readPointer(Path runDir) throws IOException {
        Path latest = runDir.resolve(LATEST_FILE);
        if (!Files.isRegularFile(latest)) {
            return null;
        }
        String s = Files.readString(latest, StandardCharsets.UTF_8).trim();
        return s.isEmpty() ? null : s;
    }

    /**
     * Returns whether {@code runDir} holds a checkpoint pointer.
     *
     * @param runDir the run directory
     * @return true if {@code runDir/latest} exists
     */
    public static boolean exists(Path runDir) {
        return Files.isRegularFile(runDir.resolve(LATEST_FILE));
    }

    /**
     * Reads and verifies the newest complete checkpoint of a run: the manifest named by {@code
     * latest} and the SHA-256 of every file it lists.
     *
     * @param runDir the run directory
     * @return the checkpoint
     * @throws IOException if there is no checkpoint, the manifest is unreadable or of another format
     *     version, or a file's checksum differs (file, expected and actual digest named)
     */
    public static Loaded readLatest(Path runDir) throws IOException {
        String name = readPointer(runDir);
        if (name == null) {
            throw new IOException("run directory " + runDir + " has no checkpoint (no '" + LATEST_FILE + "' file)");
        }
        Path dir = runDir.resolve(name);
        Path mf = dir.resolve(MANIFEST_FILE);
        if (!Files.isRegularFile(mf)) {
            throw new IOException("checkpoint " + dir + " named by " + runDir.resolve(LATEST_FILE) + " has no " + MANIFEST_FILE);
        }
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(mf, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("checkpoint manifest " + mf + " is not valid JSON: " + e.getMessage(), e);
        }
        Manifest m = Manifest.fromJson(o, mf);
        verify(dir.resolve(PARAMS_FILE), m.paramsSha());
        verify(dir.resolve(OPTIMIZER_FILE), m.optimizerSha());
        if (m.teacherSha() != null) {
            verify(dir.resolve(TEACHER_FILE), m.teacherSha());
        }
        return new Loaded(dir, m);
    }

    private static void verify(Path file, String expected) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("checkpoint file " + file + " is missing");
        }
        String actual = Subnet.sha256Hex(file);
        if (!actual.equals(expected)) {
            throw new IOException(
                    "checksum mismatch in checkpoint file " + file + ": manifest says SHA-256 " + expected
                            + ", file has " + actual + "; refusing to load a damaged checkpoint");
        }
    }

    /**
     * Refuses to continue a run on other data or another space.
     *
     * @param loaded the checkpoint
     * @param space the space of the current run
     * @param dataFingerprint fingerprint of the current data
     * @throws IOException naming both values when they differ
     */
    public static void checkCompatible(Loaded loaded, SearchSpace space, String dataFingerprint) throws IOException {
        Manifest m = loaded.manifest();
        if (!m.dataFingerprint().equals(dataFingerprint)) {
            throw new IOException(
                    "checkpoint " + loaded.dir() + " was trained on data with fingerprint " + m.dataFingerprint()
                            + " but the current data has fingerprint " + dataFingerprint
                            + "; refusing to resume on other data");
        }
        if (!m.space().equals(space)) {
            throw new IOException(
                    "checkpoint " + loaded.dir() + " holds search space " + SpaceJson.toJson(m.space())
                            + " but the current run uses " + SpaceJson.toJson(space));
        }
    }

    /**
     * Loads the supernet of a run's newest checkpoint (for the predictor, slicer and cli stages).
     *
     * @param runDir the run directory
     * @return a new supernet owning its parameters (close it)
     * @throws IOException if there is no valid checkpoint or a checksum differs
     */
    public static Supernet loadSupernet(Path runDir) throws IOException {
        Loaded l = readLatest(runDir);
        Supernet net = Supernet.create(l.manifest().space(), l.manifest().seed());
        try {
            net.loadParameters(l.paramsFile());
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
