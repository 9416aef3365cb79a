package ofa4j.supernet.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.JsonFiles;
import ofa4j.models.Subnet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.fixed.FixedNetwork;
import ofa4j.supernet.ops.FakeQuant;

/**
 * Fine-tunes an extracted subnet on its own (OFA fine-tunes its specialised nets for 25 or 75
 * epochs): the subnet's weights as a static network ({@link FixedNetwork}, BN in training mode),
 * label-smoothed cross-entropy plus {@code kdRatio} x soft-target cross-entropy against a teacher,
 * the supernet's max subnet at the subnet's resolution extracted with BN recalibration (frozen,
 * evaluation mode; the supernet's own running statistics are a mix over every subnet trained and
 * made a poor teacher: distilling from them took a quick-preset slice from 86.7% to 70.4%
 * validation accuracy in 2 epochs), Nesterov SGD with
 * a per-batch cosine learning rate from {@code lr} to 0 over all epochs, light augmentation.
 *
 * <p>Resumable like supernet training, through the epoch loop it shares with {@link ScratchTrainer}
 * ({@link SubnetEpochs}): after every epoch the subnet ({@code subnet-e<N>.bin}), the optimizer's
 * momentum ({@code optimizer-e<N>.bin}) and then {@value #STATE_FILE} naming them are written
 * atomically; a resumed run continues after the last epoch {@value #STATE_FILE} names, with the
 * same per-step seeds, so an interrupted run ends where an uninterrupted one would.
 *
 * <p>Quantization-aware fine-tuning ({@link #runQuantizationAware}) runs the same loop on the
 * subnet's fake-quantized forward ({@link FakeQuant}: what its INT8 export computes, with
 * straight-through gradients), BN in inference mode with the subnet's statistics (the ones the
 * export folds; they stay frozen). The activation scales are the export's own, taken from the
 * caller's {@link Calibrator} on the current weights at the start of every epoch: refreshed per
 * epoch rather than tracked by a moving average, so that each epoch trains exactly the model the
 * export would write from its starting weights, with the export's calibration images and method
 * (min/max or percentile), and a resumed run recalibrates to the same scales.
 */
public final class FineTuner {

    /** State file in the fine-tuning directory. */
    public static final String STATE_FILE = "finetune-state.json";

    /** Format version of the state file. */
    public static final int FORMAT_VERSION = 1;

    private FineTuner() {}

    /**
     * Fine-tuning settings.
     *
     * @param epochs passes over the training split (>= 1)
     * @param batchSize images per step
     * @param lr peak learning rate (cosine to 0)
     * @param kdRatio weight of the distillation loss (OFA: 1.0), 0 for none
     * @param labelSmoothing label smoothing of the cross-entropy (OFA: 0.1)
     * @param weightDecay L2 weight decay on conv and linear weights
     * @param seed seed of the batch order and augmentation
     */
    public record Settings(int epochs, int batchSize, double lr, double kdRatio, double labelSmoothing,
            double weightDecay, long seed) {

        /** Checks the values. */
        public Settings {
            if (epochs < 1 || epochs > 1000) {
                throw new IllegalArgumentException("--epochs must be in [1, 1000], found " + epochs);
            }
            if (batchSize < 1 || batchSize > 4096) {
                throw new IllegalArgumentException("--batch-size must be in [1, 4096], found " + batchSize);
            }
            if (!(lr > 0 && lr < 10)) {
                throw new IllegalArgumentException("--lr must be in (0, 10), found " + lr);
            }
            if (!(kdRatio >= 0 && kdRatio <= 10)) {
                throw new IllegalArgumentException("--kd-ratio must be in [0, 10], found " + kdRatio);
            }
        }

        /**
         * Defaults for a fine-tune of {@code epochs}: batch 128, lr 0.01 (a tenth of the supernet's
         * full phase: the weights are trained already), KD 1.0, label smoothing 0.1, weight decay 3e-5 (OFA).
         *
         * @param epochs epochs
         * @param seed seed
         * @return the settings
         */
        public static Settings defaults(int epochs, long seed) {
            return new Settings(epochs, 128, 0.01, 1.0, 0.1, 3e-5, seed);
        }
    }

    /**
     * One finished epoch.
     *
     * @param epoch 1-based
     * @param trainLoss mean loss over its steps
     * @param trainAccuracy top-1 on the (augmented) training batches
     * @param seconds wall time
     */
    public record Epoch(int epoch, double trainLoss, double trainAccuracy, double seconds) {}

    /**
     * The state file.
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param archKey the subnet's key
     * @param settings the settings
     * @param epochsDone epochs finished
     * @param subnetFile subnet after them, in the same directory
     * @param optimizerFile optimizer state after them
     * @param history every finished epoch
     * @param quantizationAware true for quantization-aware fine-tuning (absent in older files: false)
     */
    public record State(int formatVersion, String archKey, Settings settings, int epochsDone, String subnetFile,
            String optimizerFile, List<Epoch> history, boolean quantizationAware) {
        /** Checks the version. */
        public State {
            JsonFiles.checkVersion(STATE_FILE, formatVersion, FORMAT_VERSION, FORMAT_VERSION);
            history = history == null ? List.of() : List.copyOf(history);
        }
    }

    /**
     * What fine-tuning produced.
     *
     * @param subnet the fine-tuned subnet
     * @param state the final state (every epoch)
     * @param resumedFrom epochs already done when this call started
     */
    public record Result(Subnet subnet, State state, int resumedFrom) {}

    /** Where quantization-aware fine-tuning takes the activation quantization of the INT8 export. */
    @FunctionalInterface
    public interface Calibrator {
        /**
         * Calibrates the INT8 export of a subnet.
         *
         * @param subnet the subnet with its current weights
         * @return the scale and zero point of every activation the export quantizes, by ONNX value name
         */
        Map<String, FakeQuant.Activation> calibrate(Subnet subnet);
    }

    /**
     * Fine-tunes (or resumes fine-tuning of) a subnet.
     *
     * @param teacher the teacher: the supernet's max subnet at the subnet's resolution, BN recalibrated
     * @param start the subnet to fine-tune (extracted, BN recalibrated)
     * @param data the data splits
     * @param s the settings
     * @param dir the fine-tuning directory (created)
     * @param resume continue from the directory's state file
     * @param log progress lines, or null
     * @return the fine-tuned subnet
     * @throws IOException if a file cannot be read or written
     * @throws IllegalArgumentException when the directory holds another fine-tune, or one without {@code resume}
     */
    public static Result run(Subnet teacher, Subnet start, DataSplits data, Settings s, Path dir, boolean resume,
            PrintWriter log) throws IOException {
        return run(teacher, start, data, s, dir, resume, log, s.epochs(), null);
    }

    /**
     * Quantization-aware fine-tuning (or its resumption) of a subnet: as {@link #run(Subnet, Subnet,
     * DataSplits, Settings, Path, boolean, PrintWriter)} on the fake-quantized forward, BN frozen.
     *
     * @param teacher the teacher (FP32)
     * @param start the subnet to fine-tune, e.g. the result of an FP32 fine-tune
     * @param data the data splits
     * @param s the settings
     * @param dir its own directory (created)
     * @param resume continue from the directory's state file
     * @param log progress lines, or null
     * @param calibrator the INT8 export's activation quantization of the current weights
     * @return the fine-tuned subnet
     * @throws IOException if a file cannot be read or written
     * @throws IllegalArgumentException as {@link #run(Subnet, Subnet, DataSplits, Settings, Path, boolean, PrintWriter)}
     */
    public static Result runQuantizationAware(Subnet teacher, Subnet start, DataSplits data, Settings s, Path dir,
            boolean resume, PrintWriter log, Calibrator calibrator) throws IOException {
        if (calibrator == null) {
            throw new IllegalArgumentException("quantization-aware fine-tuning needs a calibrator, found null");
        }
        return run(teacher, start, data, s, dir, resume, log, s.epochs(), calibrator);
    }

    /** As {@link #run(Subnet, Subnet, DataSplits, Settings, Path, boolean, PrintWriter)}, stopping after epoch {@code stopAfter} (an interruption, for tests). */
    static Result run(Subnet teacher, Subnet start, DataSplits data, Settings s, Path dir, boolean resume,
            PrintWriter log, int stopAfter) throws IOException {
        return run(teacher, start, data, s, dir, resume, log, stopAfter, null);
    }

    /** The loop; {@code qat} null for an FP32 fine-tune. */
    static Result run(Subnet teacher, Subnet start, DataSplits data, Settings s, Path dir, boolean resume,
            PrintWriter log, int stopAfter, Calibrator qat) throws IOException {
        boolean quantized = qat != null;
        State state = SubnetEpochs.readState(dir, STATE_FILE, State.class, resume, "a fine-tune");
        if (state != null && (!state.archKey().equals(start.arch().key()) || !state.settings().equals(s))) {
            throw new IllegalArgumentException("the fine-tune in " + dir + " is of subnet " + state.archKey()
                    + " with " + state.settings() + "; this one is of " + start.arch().key() + " with " + s);
        }
        if (state != null && state.quantizationAware() != quantized) {
            throw new IllegalArgumentException("the fine-tune in " + dir + " is " + (state.quantizationAware()
                    ? "quantization-aware" : "FP32") + "; this one is " + (quantized ? "quantization-aware" : "FP32"));
        }
        int done = state == null ? 0 : state.epochsDone();
        SubnetEpochs.Recipe recipe = new SubnetEpochs.Recipe(s.epochs(), s.batchSize(), false,
                (step, perEpoch, total) -> 0.5 * s.lr() * (1 + Math.cos(Math.PI * step / total)), s.labelSmoothing(),
                s.kdRatio(), s.weightDecay(), s.seed());
        SubnetEpochs.Saved resumed = state == null ? null
                : new SubnetEpochs.Saved(state.epochsDone(), state.subnetFile(), state.optimizerFile(), state.history());
        State[] last = {state};
        Subnet trained = SubnetEpochs.run(start, teacher, data.train(), data.mean(), data.std(), recipe, dir, resumed,
                saved -> {
                    last[0] = new State(FORMAT_VERSION, start.arch().key(), s, saved.epochsDone(), saved.subnetFile(),
                            saved.optimizerFile(), saved.history(), quantized);
                    JsonFiles.write(dir.resolve(STATE_FILE), last[0]);
                }, stopAfter, quantized ? current -> new FakeQuant(qat.calibrate(current)) : null, log == null ? null : e -> {
                    log.printf(Locale.ROOT, "%s epoch %d/%d: loss %.4f, train top-1 %.2f%%, %.1f s%n",
                            quantized ? "QAT" : "fine-tune", e.epoch(), s.epochs(), e.trainLoss(), 100 * e.trainAccuracy(), e.seconds());
                    log.flush();
                });
        return new Result(trained, last[0], done);
    }
}
