package ofa4j.supernet.train;

import com.google.gson.annotations.JsonAdapter;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;

/**
 * The {@code manifest.json} of a {@link Checkpoint}, written last into its directory: what run it
 * belongs to, where in the schedule it stands, the metrics so far and the SHA-256 of every other
 * file. One flat JSON object: the keys of {@link Run} and {@link Position} sit at the top level next
 * to {@code format_version} (as in the first format), the other parts are nested objects.
 *
 * <p>The position is the NEXT step to run; every random draw of a step is derived from (seed,
 * phase, epoch, step, k) ({@link SamplingSchedule}), so the position is the whole random state.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param written when the manifest was written (ISO-8601 instant), for people
 * @param run the run the checkpoint belongs to
 * @param position the next step
 * @param rng how the random draws are derived (for people; the seed repeats {@code run.seed})
 * @param metrics epoch metrics so far
 * @param epochPartial running sums of the current epoch ({@link EpochTotals#ZERO} at an epoch end)
 * @param files SHA-256 of the checkpoint's other files
 * @param optimizer the optimizer type and its state file
 */
@JsonAdapter(JsonBindings.Flattened.class)
public record CheckpointManifest(
        int formatVersion,
        String written,
        Run run,
        Position position,
        Rng rng,
        Metrics metrics,
        EpochTotals epochPartial,
        FileDigests files,
        OptimizerEntry optimizer) {

    /** Version of the manifest format; readers refuse other versions. */
    public static final int FORMAT_VERSION = 1;

    /** Checks the version and that the parts agree; fills the parts older writers left empty. */
    public CheckpointManifest {
        JsonFiles.checkVersion("checkpoint manifest", formatVersion, FORMAT_VERSION, FORMAT_VERSION);
        JsonFiles.required(run, "run");
        JsonFiles.required(position, "phase_index");
        JsonFiles.required(files, "files");
        if (position.phaseIndex() > run.phases().size()) {
            throw new IllegalArgumentException("phase_index " + position.phaseIndex() + " is beyond the "
                    + run.phases().size() + " phases of the schedule");
        }
        String name = position.phaseIndex() == run.phases().size() ? Position.DONE
                : run.phases().get(position.phaseIndex()).name();
        if (!name.equals(position.phaseName())) {
            throw new IllegalArgumentException("phase_name '" + position.phaseName() + "' does not match phase_index "
                    + position.phaseIndex() + " ('" + name + "')");
        }
        rng = rng == null ? Rng.of(run.seed()) : rng;
        if (rng.seed() != run.seed()) {
            throw new IllegalArgumentException("rng.seed " + rng.seed() + " differs from seed " + run.seed());
        }
        metrics = metrics == null ? Metrics.of(List.of()) : metrics;
        epochPartial = epochPartial == null ? EpochTotals.ZERO : epochPartial;
        optimizer = optimizer == null ? OptimizerEntry.of(files.optimizer()) : optimizer;
        if (!optimizer.sha256().equals(files.optimizer().sha256())) {
            throw new IllegalArgumentException("optimizer.sha256 " + optimizer.sha256() + " differs from files."
                    + Checkpoint.OPTIMIZER_FILE + ".sha256 " + files.optimizer().sha256());
        }
    }

    /**
     * A manifest written now.
     *
     * @param run the run
     * @param position the next step
     * @param metrics metrics so far
     * @param epochPartial running sums of the current epoch
     * @param files digests of the checkpoint's files
     * @return the manifest
     */
    public static CheckpointManifest of(Run run, Position position, Metrics metrics, EpochTotals epochPartial,
            FileDigests files) {
        return new CheckpointManifest(FORMAT_VERSION, Instant.now().toString(), run, position, Rng.of(run.seed()),
                metrics, epochPartial, files, OptimizerEntry.of(files.optimizer()));
    }

    /** @return true when every phase is done */
    public boolean finished() {
        return position.phaseIndex() >= run.phases().size();
    }

    /** @return the name of the phase of the next step, or {@code done} */
    public String phaseName() {
        return position.phaseName();
    }

    /**
     * Reads a manifest.
     *
     * @param file a {@code manifest.json}
     * @return the manifest
     * @throws IOException naming the file when it is unreadable, of another format version, or has a
     *     missing or bad value
     */
    public static CheckpointManifest read(Path file) throws IOException {
        return JsonFiles.read(file, CheckpointManifest.class);
    }

    /**
     * Writes this manifest atomically as pretty JSON.
     *
     * @param file the target
     * @throws IOException if writing fails (the previous file stays)
     */
    public void write(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    /**
     * What makes a run the same run: a checkpoint continues only under the same identity.
     *
     * @param space the search space
     * @param preset name of the training preset
     * @param seed the run's seed
     * @param phases the schedule
     * @param weightDecay the optimizer's weight decay (manifests written before it was recorded read
     *     as {@link TrainingPreset#OFA_WEIGHT_DECAY}, the only value used then)
     * @param dataFingerprint {@link ofa4j.supernet.data.DataSplits#fingerprint()} of the data
     * @param inputNormalisation the input normalisation the network is trained with, or null (older
     *     manifests)
     */
    public record Run(
            @JsonAdapter(SpaceJson.Adapter.class) SearchSpace space,
            String preset,
            long seed,
            List<Phase> phases,
            Double weightDecay,
            String dataFingerprint,
            InputNormalisation inputNormalisation) {

        /** Checks every value; each phase must lie in the space. */
        public Run {
            JsonFiles.required(space, "space");
            JsonFiles.required(preset, "preset");
            JsonFiles.required(phases, "phases");
            JsonFiles.required(dataFingerprint, "data_fingerprint");
            phases = List.copyOf(phases);
            if (phases.isEmpty()) {
                throw new IllegalArgumentException("'phases' must list at least one phase");
            }
            for (Phase p : phases) {
                p.validate(space);
            }
            weightDecay = weightDecay == null ? TrainingPreset.OFA_WEIGHT_DECAY : weightDecay;
            if (!(weightDecay >= 0) || weightDecay.isInfinite()) {
                throw new IllegalArgumentException("weight_decay must be >= 0, found " + weightDecay);
            }
        }

        /**
         * Refuses to continue this (a checkpoint's) run as {@code current}: on other data, in another
         * space, under another preset or schedule, weight decay or seed. The one check of resume
         * compatibility.
         *
         * @param current the run about to continue
         * @param checkpoint the checkpoint directory, for messages
         * @throws IOException naming both values of the first difference
         */
        public void checkResumableAs(Run current, Path checkpoint) throws IOException {
            if (!dataFingerprint.equals(current.dataFingerprint)) {
                throw new IOException("checkpoint " + checkpoint + " was trained on data with fingerprint "
                        + dataFingerprint + " but the current data has fingerprint " + current.dataFingerprint
                        + "; refusing to resume on other data");
            }
            if (!space.equals(current.space)) {
                throw new IOException("checkpoint " + checkpoint + " holds search space " + SpaceJson.toJson(space)
                        + " but the current run uses " + SpaceJson.toJson(current.space));
            }
            if (!phases.equals(current.phases) || !preset.equals(current.preset)) {
                throw new IOException("checkpoint " + checkpoint + " belongs to preset " + preset + " with schedule "
                        + describe(phases) + "; this run is preset " + current.preset + " with "
                        + describe(current.phases));
            }
            if (!weightDecay.equals(current.weightDecay)) {
                throw new IOException("checkpoint " + checkpoint + " was trained with weight decay " + weightDecay
                        + ", this run uses " + current.weightDecay);
            }
            if (seed != current.seed) {
                throw new IOException(
                        "checkpoint " + checkpoint + " was trained with seed " + seed + ", this run uses " + current.seed);
            }
        }

        private static String describe(List<Phase> ps) {
            StringBuilder sb = new StringBuilder("[");
            for (Phase p : ps) {
                sb.append(sb.length() > 1 ? ", " : "").append(p.name()).append(" x").append(p.epochs()).append(" lr ")
                        .append(p.lr());
                if (p.sandwich()) {
                    sb.append(" sandwich");
                }
            }
            return sb.append(']').toString();
        }
    }

    /**
     * Per-channel input normalisation: {@code (pixel - mean) / std}, pixels in [0, 1].
     *
     * @param mean per-channel mean
     * @param std per-channel standard deviation, each positive
     */
    public record InputNormalisation(float[] mean, float[] std) {

        /** Copies the arrays and checks them. */
        public InputNormalisation {
            JsonFiles.required(mean, "input_normalisation.mean");
            JsonFiles.required(std, "input_normalisation.std");
            if (mean.length == 0 || mean.length != std.length) {
                throw new IllegalArgumentException("input_normalisation needs one mean and one std per channel, found "
                        + Arrays.toString(mean) + " / " + Arrays.toString(std));
            }
            for (float s : std) {
                if (!(s > 0) || Float.isInfinite(s)) {
                    throw new IllegalArgumentException("input_normalisation.std must be positive, found "
                            + Arrays.toString(std));
                }
            }
            mean = mean.clone();
            std = std.clone();
        }

        /** @return a copy of the means */
        @Override
        public float[] mean() {
            return mean.clone();
        }

        /** @return a copy of the standard deviations */
        @Override
        public float[] std() {
            return std.clone();
        }

        /** {@inheritDoc} */
        @Override
        public boolean equals(Object o) {
            return o instanceof InputNormalisation n && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
        }

        /** {@inheritDoc} */
        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return "InputNormalisation[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
        }
    }

    /**
     * Where a checkpoint stands in the schedule: the next step to run.
     *
     * @param phaseIndex index of the phase of the next step ({@code phases.size()} when done)
     * @param phaseName name of that phase, or {@link #DONE}
     * @param epoch epoch (within the phase) of the next step
     * @param stepInEpoch step (within the epoch) of the next step
     * @param globalStep steps done so far
     */
    public record Position(int phaseIndex, String phaseName, int epoch, int stepInEpoch, long globalStep) {

        /** The phase name of a finished schedule. */
        public static final String DONE = "done";

        /** Checks the values (the phase name is checked against the schedule by the manifest). */
        public Position {
            if (phaseIndex < 0 || epoch < 0 || stepInEpoch < 0 || globalStep < 0) {
                throw new IllegalArgumentException("phase_index, epoch, step_in_epoch and global_step must be >= 0, found "
                        + phaseIndex + ", " + epoch + ", " + stepInEpoch + ", " + globalStep);
            }
        }

        /**
         * @param phases the schedule
         * @param phaseIndex index of the next step's phase
         * @param epoch its epoch
         * @param stepInEpoch its step
         * @param globalStep steps done
         * @return the position, named after its phase
         */
        public static Position of(List<Phase> phases, int phaseIndex, int epoch, int stepInEpoch, long globalStep) {
            return new Position(phaseIndex, phaseIndex >= phases.size() ? DONE : phases.get(phaseIndex).name(), epoch,
                    stepInEpoch, globalStep);
        }
    }

    /**
     * How the run's random draws are derived, for a person reading the manifest.
     *
     * @param seed the run's seed
     * @param derivation the rule
     */
    public record Rng(long seed, String derivation) {

        /** The rule of {@link SamplingSchedule}. */
        public static final String DERIVATION =
                "SplittableRandom per draw, seeded from (seed, phase, epoch, step, k); next draw at the position above";

        /**
         * @param seed the run's seed
         * @return the entry
         */
        public static Rng of(long seed) {
            return new Rng(seed, DERIVATION);
        }
    }

    /**
     * The epoch metrics of a run so far (the same rows as its {@value EpochMetrics#FILE}).
     *
     * @param last the newest row (written for people; always the last of {@code history}), or null
     * @param history every finished epoch in order
     */
    public record Metrics(@JsonAdapter(JsonBindings.EmptyObjectAsNull.class) EpochMetrics last, List<EpochMetrics> history) {

        /** Copies the history; {@code last} follows from it. */
        public Metrics {
            history = history == null ? List.of() : List.copyOf(history);
            last = history.isEmpty() ? null : history.get(history.size() - 1);
        }

        /**
         * @param history finished epochs
         * @return the metrics
         */
        public static Metrics of(List<EpochMetrics> history) {
            return new Metrics(null, history);
        }
    }

    /**
     * A SHA-256 digest.
     *
     * @param sha256 64 lower-case hex digits
     */
    public record Digest(String sha256) {

        private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

        /** Checks the form. */
        public Digest {
            JsonFiles.required(sha256, "sha256");
            if (!HEX.matcher(sha256).matches()) {
                throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, found '" + sha256 + "'");
            }
        }
    }

    /**
     * The digests of a checkpoint's files, keyed by file name.
     *
     * @param params {@value Checkpoint#PARAMS_FILE}
     * @param optimizer {@value Checkpoint#OPTIMIZER_FILE}
     * @param teacher {@value Checkpoint#TEACHER_FILE}, or null when the run has no teacher yet
     */
    public record FileDigests(
            @SerializedName(Checkpoint.PARAMS_FILE) Digest params,
            @SerializedName(Checkpoint.OPTIMIZER_FILE) Digest optimizer,
            @SerializedName(Checkpoint.TEACHER_FILE) Digest teacher) {

        /** Parameters and optimizer state are required. */
        public FileDigests {
            JsonFiles.required(params, "files." + Checkpoint.PARAMS_FILE);
            JsonFiles.required(optimizer, "files." + Checkpoint.OPTIMIZER_FILE);
        }
    }

    /**
     * The optimizer of the run and its state file.
     *
     * @param type {@link #TYPE}
     * @param file {@value Checkpoint#OPTIMIZER_FILE}
     * @param sha256 the file's SHA-256 (the same as in {@code files})
     */
    public record OptimizerEntry(String type, String file, String sha256) {

        /** The only optimizer: {@link NesterovSgd}. */
        public static final String TYPE = "sgd-nesterov";

        /** Checks the type. */
        public OptimizerEntry {
            if (!TYPE.equals(type)) {
                throw new IllegalArgumentException("optimizer.type must be " + TYPE + ", found " + type);
            }
            JsonFiles.required(file, "optimizer.file");
            JsonFiles.required(sha256, "optimizer.sha256");
        }

        static OptimizerEntry of(Digest optimizerFile) {
            return new OptimizerEntry(TYPE, Checkpoint.OPTIMIZER_FILE, optimizerFile.sha256());
        }
    }
}
