package ofa4j.supernet.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;

/**
 * The figures of one finished training epoch: one line of a run's {@code metrics.jsonl} and one
 * entry of a checkpoint manifest's {@code metrics.history}. The evaluation keys ({@code val_acc_max}
 * to {@code eval_wall_s}) are present only for epochs that scored the max and min subnets (the last
 * epoch of each phase, or every epoch with {@code optEvalEveryEpoch}). The rows carry no version of
 * their own: they are versioned with the manifest that embeds the same record.
 *
 * @param phase name of the phase
 * @param phaseIndex index of the phase in the schedule, from 0
 * @param epoch epoch within the phase, from 0
 * @param globalStep steps done at the end of the epoch
 * @param loss mean loss per subnet forward
 * @param trainAcc training accuracy, fraction
 * @param imgPerS training speed, images per second
 * @param trainWallS wall time of the epoch's steps, seconds
 * @param lrEnd learning rate of the epoch's last step
 * @param valAccMax validation top-1 of the max subnet after BN recalibration, or null
 * @param valAccMin validation top-1 of the phase's smallest subnet at the smallest resolution, or null
 * @param minArch {@link ofa4j.models.ArchConfig#key()} of that smallest subnet, or null
 * @param evalImages validation images scored, or null
 * @param evalWallS wall time of the evaluation, seconds, or null
 * @param wallS wall time since the start of this call of {@code train}, seconds
 */
public record EpochMetrics(
        String phase,
        int phaseIndex,
        int epoch,
        long globalStep,
        double loss,
        double trainAcc,
        double imgPerS,
        double trainWallS,
        double lrEnd,
        Double valAccMax,
        Double valAccMin,
        String minArch,
        Integer evalImages,
        Double evalWallS,
        double wallS) {

    /** Name of the metrics log in the run directory. */
    public static final String FILE = "metrics.jsonl";

    /**
     * The validation scores of an epoch end.
     *
     * @param valAccMax top-1 of the max subnet, fraction
     * @param valAccMin top-1 of the phase's smallest subnet, fraction
     * @param minArch key of that smallest subnet
     * @param evalImages validation images scored
     * @param evalWallS wall time of recalibration and scoring, seconds
     */
    public record Evaluation(double valAccMax, double valAccMin, String minArch, int evalImages, double evalWallS) {}

    /** Checks the values; the evaluation keys come all together or not at all. */
    public EpochMetrics {
        if (phase == null || phase.isBlank()) {
            throw new IllegalArgumentException("epoch metrics: 'phase' is missing");
        }
        if (phaseIndex < 0 || epoch < 0 || globalStep < 0) {
            throw new IllegalArgumentException("epoch metrics of phase " + phase + ": phase_index, epoch and global_step"
                    + " must be >= 0, found " + phaseIndex + ", " + epoch + ", " + globalStep);
        }
        fraction(trainAcc, "train_acc", phase);
        boolean any = valAccMax != null || valAccMin != null || minArch != null || evalImages != null || evalWallS != null;
        boolean all = valAccMax != null && valAccMin != null && minArch != null && evalImages != null && evalWallS != null;
        if (any && !all) {
            throw new IllegalArgumentException("epoch metrics of phase " + phase + " epoch " + epoch
                    + ": val_acc_max, val_acc_min, min_arch, eval_images and eval_wall_s come together, found "
                    + valAccMax + ", " + valAccMin + ", " + minArch + ", " + evalImages + ", " + evalWallS);
        }
        if (all) {
            fraction(valAccMax, "val_acc_max", phase);
            fraction(valAccMin, "val_acc_min", phase);
        }
    }

    private static void fraction(double v, String key, String phase) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(
                    "epoch metrics of phase " + phase + ": " + key + " must be a fraction in [0, 1], found " + v);
        }
    }

    /**
     * The metrics of a finished epoch.
     *
     * @param phase the phase
     * @param phaseIndex its index
     * @param epoch the epoch within the phase
     * @param globalStep steps done
     * @param totals the epoch's running sums
     * @param batchSize images per step
     * @param lrEnd learning rate of the last step
     * @param eval the validation scores, or null when the epoch was not scored
     * @param wallS wall time since the start of the call
     * @return the metrics
     */
    public static EpochMetrics of(Phase phase, int phaseIndex, int epoch, long globalStep, EpochTotals totals,
            int batchSize, double lrEnd, Evaluation eval, double wallS) {
        return new EpochMetrics(phase.name(), phaseIndex, epoch, globalStep, totals.meanLoss(batchSize),
                totals.accuracy(), totals.imagesPerSecond(), totals.seconds(), lrEnd,
                eval == null ? null : eval.valAccMax(), eval == null ? null : eval.valAccMin(),
                eval == null ? null : eval.minArch(), eval == null ? null : eval.evalImages(),
                eval == null ? null : eval.evalWallS(), wallS);
    }

    /** @return the validation scores, or null when this epoch was not scored */
    public Evaluation evaluation() {
        return valAccMax == null ? null : new Evaluation(valAccMax, valAccMin, minArch, evalImages, evalWallS);
    }

    /**
     * One readable line, e.g. {@code phase 1/6 full, epoch 6: loss 0.782, train 86.6%, val max 88.0%
     * min 85.4%, 547 img/s, 235 s} (the same figures go to the metrics log as JSON).
     *
     * @param phases phases in the schedule
     * @return the line
     */
    public String describe(int phases) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "phase %d/%d %s, epoch %d: loss %.3f, train %.1f%%",
                phaseIndex + 1, phases, phase, epoch + 1, loss, 100 * trainAcc));
        if (valAccMax != null) {
            sb.append(String.format(Locale.ROOT, ", val max %.1f%% min %.1f%%", 100 * valAccMax, 100 * valAccMin));
        }
        return sb.append(String.format(Locale.ROOT, ", %.0f img/s, %.0f s", imgPerS, wallS)).toString();
    }

    /**
     * Reads a metrics log.
     *
     * @param file a {@value #FILE}
     * @return its rows in order
     * @throws IOException naming the file and line of a bad row
     */
    public static List<EpochMetrics> readLog(Path file) throws IOException {
        return JsonFiles.readLines(file, EpochMetrics.class);
    }

    /**
     * Writes a metrics log atomically, one compact JSON object per line.
     *
     * @param file the target
     * @param rows the rows
     * @throws IOException if writing fails (the previous file stays)
     */
    public static void writeLog(Path file, List<EpochMetrics> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (EpochMetrics m : rows) {
            sb.append(JsonFiles.toLine(m)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
