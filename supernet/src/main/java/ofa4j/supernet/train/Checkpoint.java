package ofa4j.supernet.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import ofa4j.models.AtomicFiles;
import ofa4j.models.Hashing;
import ofa4j.supernet.Supernet;

/**
 * A resumable supernet checkpoint: a directory {@code runDir/ckpt-NNNNNNNNN/} (N = global step)
 * holding
 *
 * <ul>
 *   <li>{@code params.bin}: the supernet's parameters ({@link Supernet#saveParameters(Path)});
 *   <li>{@code optimizer.bin}: the momentum buffers ({@link NesterovSgd#save(Path)});
 *   <li>{@code teacher.bin}: the frozen distillation teacher, once there is one;
 *   <li>{@code manifest.json} ({@link CheckpointManifest}), written last: the run (search space,
 *       preset, seed, schedule, dataset fingerprint), the schedule position, metrics and the SHA-256
 *       of every other file;
 * </ul>
 *
 * and a pointer file {@code runDir/latest} naming the newest complete checkpoint. Every file is
 * written atomically (temporary name + rename); the pointer moves only after the new manifest is
 * in place, and the previous checkpoint is deleted only after that, so a kill at any point leaves
 * one complete checkpoint. Loading verifies every checksum and refuses (with an {@link IOException}
 * naming the file, the expected and the actual digest) rather than load damaged weights.
 */
public final class Checkpoint {

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

    private Checkpoint() {}

    /**
     * A verified checkpoint on disk.
     *
     * @param dir the checkpoint directory
     * @param manifest its manifest
     */
    public record Loaded(Path dir, CheckpointManifest manifest) {
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
            return manifest.files().teacher() == null ? null : dir.resolve(TEACHER_FILE);
        }
    }

    /**
     * Writes a checkpoint at {@code position.globalStep()} and points {@code latest} at it, then
     * deletes older checkpoints except the previous one.
     *
     * @param runDir the run directory
     * @param net the supernet
     * @param teacher the teacher, or null
     * @param optimizer the optimizer
     * @param run the run
     * @param position the next step
     * @param metrics epoch metrics so far
     * @param epochPartial running sums of the current epoch
     * @return the new checkpoint directory
     * @throws IOException if writing fails (the previous checkpoint stays valid)
     */
    public static Path write(Path runDir, Supernet net, Supernet teacher, NesterovSgd optimizer,
            CheckpointManifest.Run run, CheckpointManifest.Position position, CheckpointManifest.Metrics metrics,
            EpochTotals epochPartial) throws IOException {
        Path dir = runDir.resolve(String.format("%s%09d", DIR_PREFIX, position.globalStep()));
        if (Files.exists(dir)) {
            // A leftover of a run killed while writing this very step (or a rewrite of the same
            // step): it is not what `latest` points to unless complete, so start it afresh.
            if (dir.getFileName().toString().equals(pointerOrNull(runDir))) {
                Files.deleteIfExists(runDir.resolve(LATEST_FILE));
            }
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        net.saveParameters(dir.resolve(PARAMS_FILE));
        optimizer.save(dir.resolve(OPTIMIZER_FILE));
        CheckpointManifest.Digest teacherSha = null;
        if (teacher != null) {
            teacher.saveParameters(dir.resolve(TEACHER_FILE));
            teacherSha = digest(dir.resolve(TEACHER_FILE));
        }
        CheckpointManifest.FileDigests files = new CheckpointManifest.FileDigests(
                digest(dir.resolve(PARAMS_FILE)), digest(dir.resolve(OPTIMIZER_FILE)), teacherSha);
        CheckpointManifest.of(run, position, metrics, epochPartial, files).write(dir.resolve(MANIFEST_FILE));
        String previous = pointerOrNull(runDir);
        AtomicFiles.writeString(runDir.resolve(LATEST_FILE), dir.getFileName() + "\n");
        pruneExcept(runDir, dir.getFileName().toString(), previous);
        return dir;
    }

    private static CheckpointManifest.Digest digest(Path file) throws IOException {
        return new CheckpointManifest.Digest(Hashing.sha256Hex(file));
    }

    /** Names of the checkpoint directories this class writes: the prefix and a 9-digit step. */
    private static final java.util.regex.Pattern OWN_DIR = java.util.regex.Pattern.compile(DIR_PREFIX + "\\d{9}");

    /**
     * Deletes checkpoints older than {@code keep1} except {@code keep2}: only directories named as
     * this class names them ({@code ckpt-} and 9 digits), so a user's copy ({@code ckpt-000001716-good})
     * or a newer directory is never touched.
     */
    private static void pruneExcept(Path runDir, String keep1, String keep2) throws IOException {
        for (Path p : ownCheckpointDirs(runDir)) {
            String n = p.getFileName().toString();
            if (n.compareTo(keep1) < 0 && !n.equals(keep2)) {
                deleteTree(p);
            }
        }
    }

    /** This class's checkpoint directories of a run, newest first. */
    private static List<Path> ownCheckpointDirs(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(runDir)) {
            return s.filter(p -> Files.isDirectory(p) && OWN_DIR.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The checkpoint directory name in {@code latest}, or null without pointer (no file, or an empty
     * one).
     *
     * @throws IOException naming the file when it is not UTF-8 text or names anything but a
     *     checkpoint directory of this run ({@code ckpt-} and 9 digits: never a path elsewhere)
     */
    private static String readPointer(Path runDir) throws IOException {
        Path latest = runDir.resolve(LATEST_FILE);
        if (!Files.isRegularFile(latest)) {
            return null;
        }
        String s = ofa4j.models.JsonFiles.readText(latest).trim();
        if (s.isEmpty()) {
            return null;
        }
        if (!OWN_DIR.matcher(s).matches()) {
            throw new IOException("checkpoint pointer " + latest + " names '" + (s.length() > 60 ? s.substring(0, 60) + "..." : s)
                    + "', not a checkpoint directory of this run (" + DIR_PREFIX + " and 9 digits)");
        }
        return s;
    }

    /** {@link #readPointer}, with a damaged pointer read as none (writing replaces it). */
    private static String pointerOrNull(Path runDir) {
        try {
            return readPointer(runDir);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Returns whether {@code runDir} holds a checkpoint pointer.
     *
     * @param runDir the run directory
     * @return true if {@code runDir/latest} exists
     */
    public static boolean exists(Path runDir) {
        if (Files.isRegularFile(runDir.resolve(LATEST_FILE))) {
            return true;
        }
        try { // no pointer (deleted, or a kill before the first one): a complete checkpoint still counts
            return ownCheckpointDirs(runDir).stream().anyMatch(d -> Files.isRegularFile(d.resolve(MANIFEST_FILE)));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The checkpoint to resume: the one {@code latest} names when all its files verify; else the
     * newest other complete checkpoint that verifies, with a warning saying why (a damaged newest
     * checkpoint, or no pointer). Fails only when no checkpoint verifies.
     *
     * @param runDir the run directory
     * @param warn receives the warning of a fallback
     * @return the checkpoint
     * @throws IOException the newest checkpoint's problem when none verifies
     */
    public static Loaded readNewestGood(Path runDir, java.util.function.Consumer<String> warn) throws IOException {
        String pointed = null;
        IOException first = null;
        try {
            pointed = readPointer(runDir);
        } catch (IOException e) {
            first = e;
        }
        if (pointed != null) {
            try {
                return readLatest(runDir);
            } catch (IOException e) {
                first = e;
            }
        }
        for (Path d : ownCheckpointDirs(runDir)) {
            if (d.getFileName().toString().equals(pointed) || !Files.isRegularFile(d.resolve(MANIFEST_FILE))) {
                continue;
            }
            try {
                Loaded l = read(d);
                warn.accept(first != null
                        ? "warning: " + (pointed != null ? "checkpoint " + pointed + " is damaged" : "the pointer is damaged")
                                + " (" + first.getMessage() + "); resuming from " + d.getFileName()
                                + ", the newest one that verifies"
                        : "warning: " + runDir + " has no '" + LATEST_FILE + "' pointer; resuming from "
                                + d.getFileName() + ", the newest complete checkpoint");
                return l;
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
        throw new IOException("run directory " + runDir + " has no checkpoint");
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
        if (!Files.isRegularFile(dir.resolve(MANIFEST_FILE))) {
            throw new IOException("checkpoint " + dir + " named by " + runDir.resolve(LATEST_FILE) + " has no " + MANIFEST_FILE);
        }
        return read(dir);
    }

    /** Reads one checkpoint directory and verifies the SHA-256 of every file its manifest lists. */
    private static Loaded read(Path dir) throws IOException {
        CheckpointManifest m = CheckpointManifest.read(dir.resolve(MANIFEST_FILE));
        verify(dir.resolve(PARAMS_FILE), m.files().params());
        verify(dir.resolve(OPTIMIZER_FILE), m.files().optimizer());
        if (m.files().teacher() != null) {
            verify(dir.resolve(TEACHER_FILE), m.files().teacher());
        }
        return new Loaded(dir, m);
    }

    private static void verify(Path file, CheckpointManifest.Digest expected) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("checkpoint file " + file + " is missing");
        }
        String actual = Hashing.sha256Hex(file);
        if (!actual.equals(expected.sha256())) {
            throw new IOException(
                    "checksum mismatch in checkpoint file " + file + ": manifest says SHA-256 " + expected.sha256()
                            + ", file has " + actual + "; refusing to load a damaged checkpoint");
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
        Supernet net = Supernet.create(l.manifest().run().space(), l.manifest().run().seed());
        try {
            net.loadParameters(l.paramsFile());
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
