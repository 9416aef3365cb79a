package ofa4j.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import me.tongfei.progressbar.ProgressBar;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Evaluator;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;

/**
 * Trains an OFA supernet by progressive shrinking (Cai et al., "Once-for-All", ICLR 2020, Sec. 3.2):
 * the full network first, then elastic kernel, depth and expand ratio, each phase a {@link Phase}
 * of the schedule.
 *
 * <p>One step: cut a batch (seeded shuffle per epoch, light augmentation), draw one input
 * resolution for the batch from the space, run the frozen teacher (the max subnet, eval mode) once
 * for soft targets, then for each of the phase's {@code subnetsPerStep} subnets (sampled from the
 * phase's choices with a seed derived from (seed, phase, epoch, step, k), as OFA: every draw is in
 * {@link SamplingSchedule}) run forward,
 * label-smoothed cross-entropy plus {@code kdRatio} x soft-target cross-entropy, and backward,
 * summing gradients (as OFA, not averaging); finally ONE Nesterov-SGD update ({@link NesterovSgd})
 * of the union of parameters the subnets used, with a per-phase cosine learning rate. Every array of
 * a step lives in a sub-manager closed at the end of the step, and each subnet's graph in its own
 * sub-manager.
 *
 * <p>The teacher is a copy of the supernet taken when the first phase with {@code kdRatio > 0}
 * starts (after the full phase), as OFA distils from its trained full network. Each phase starts
 * with fresh momentum buffers (OFA builds a new optimizer per phase); phases with {@code
 * sortBefore} first sort channels by importance ({@link Supernet#sortChannels()}).
 *
 * <p>Checkpoints ({@link Checkpoint}) are written at every epoch end, every {@code
 * checkpointEverySteps} steps and when stopping early; {@code train(..., resume=true)} continues
 * from the newest one and, because every random draw is derived from the position, reaches the
 * same parameters as an uninterrupted run.
 */
public final class ProgressiveShrinkingTrainer {

    /** Name of the metrics log in the run directory. */
    public static final String METRICS_FILE = EpochMetrics.FILE;

    /** Receives every finished step (for tests and progress reporting). */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Called after the optimizer update of a step.
         *
         * @param info what the step did
         */
        void onStep(StepInfo info);
    }

    private final SearchSpace space;
    private final TrainingPreset preset;
    private final List<Phase> phases;
    private final long seed;
    private final int batchSize;
    private final Batches.Augment augment;
    private final double labelSmoothing;
    private final double momentum;
    private final double weightDecay;
    private final int checkpointEverySteps;
    private final long stopAfterSteps;
    private final boolean quiet;
    private final boolean evalEveryEpoch;
    private final StepListener listener;
    private final PrintStream log;

    private ProgressiveShrinkingTrainer(Builder b) {
        this.space = b.space;
        this.preset = b.preset;
        this.phases = b.phases != null ? List.copyOf(b.phases) : b.preset.schedule(b.space);
        this.seed = b.seed;
        this.batchSize = b.batchSize > 0 ? b.batchSize : b.preset.batchSize();
        this.augment = b.augment;
        this.labelSmoothing = b.labelSmoothing;
        this.momentum = b.momentum;
        this.weightDecay = b.weightDecay != null ? b.weightDecay : b.preset.weightDecay();
        this.checkpointEverySteps = b.checkpointEverySteps;
        this.stopAfterSteps = b.stopAfterSteps;
        this.quiet = b.quiet;
        this.evalEveryEpoch = b.evalEveryEpoch;
        this.listener = b.listener;
        this.log = b.log;
        phases.forEach(p -> p.validate(space));
    }

    /** @return a builder; {@link Builder#setSpace} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the schedule this trainer runs */
    public List<Phase> phases() {
        return phases;
    }

    /** @return images per step */
    public int batchSize() {
        return batchSize;
    }

    // ------------------------------------------------------------------ training

    /**
     * Trains (or resumes training) and returns when the schedule is done or after {@code
     * optStopAfterSteps} steps.
     *
     * @param data the splits (train for updates and BN recalibration, val for epoch-end scores)
     * @param runDir the run directory (checkpoints, {@code metrics.jsonl})
     * @param resume true to continue from the newest checkpoint in {@code runDir} (a fresh start if
     *     there is none)
     * @return the result
     * @throws IOException if a checkpoint cannot be written, or the one to resume is damaged
     *     (checksum), of other data (fingerprint) or another space / schedule
     * @throws IllegalArgumentException if {@code resume} is false but {@code runDir} already holds a
     *     checkpoint, or the data does not fit the space
     */
    public TrainingResult train(DataSplits data, Path runDir, boolean resume) throws IOException {
        long t0 = System.nanoTime();
        int stepsPerEpoch = stepsPerEpoch(data.train());
        if (!resume && Checkpoint.exists(runDir)) {
            throw new IllegalArgumentException(
                    "run directory " + runDir + " already holds a checkpoint; resume it or choose another directory");
        }
        Files.createDirectories(runDir);
        CheckpointManifest.Run identity = new CheckpointManifest.Run(space, preset.name(), seed, phases, weightDecay,
                data.fingerprint(), new CheckpointManifest.InputNormalisation(data.mean(), data.std()));
        try (Session session = new Session(data, runDir, identity, stepsPerEpoch, t0)) {
            CheckpointManifest.Position start = CheckpointManifest.Position.of(phases, 0, 0, 0, 0);
            if (resume && Checkpoint.exists(runDir)) {
                start = session.resume(Checkpoint.readNewestGood(runDir, log::println));
            } else if (resume) {
                info("no checkpoint in %s: starting a new run", runDir);
            }
            return session.runFrom(start);
        }
    }

    /** Checks that the train split fits the space and holds at least one batch; returns its steps per epoch. */
    private int stepsPerEpoch(ImageSet train) {
        if (train.channels() != space.inChannels() || train.numClasses() != space.numClasses()) {
            throw new IllegalArgumentException(
                    "data " + train.name() + " has " + train.channels() + " channels / " + train.numClasses()
                            + " classes, space " + space.name() + " expects " + space.inChannels() + " / "
                            + space.numClasses());
        }
        int stepsPerEpoch = train.size() == 0 ? 0 : TrainingPreset.stepsPerEpoch(train.size(), batchSize);
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException(
                    "train split has " + train.size() + " images, fewer than one batch of " + batchSize);
        }
        return stepsPerEpoch;
    }

    /**
     * One call of {@link #train}: the supernet, teacher and optimizer it trains, and where it stands
     * (global step, epoch history, the last checkpoint written).
     */
    private final class Session implements AutoCloseable {
        private final DataSplits data;
        private final Path runDir;
        private final CheckpointManifest.Run identity;
        private final int stepsPerEpoch;
        private final long t0;
        private final SamplingSchedule sampling = new SamplingSchedule(space, phases, seed);
        private final Supernet net;
        private final NesterovSgd opt;
        private final Map<String, Parameter> params;
        private final List<EpochMetrics> history = new ArrayList<>();
        private Supernet teacher;
        private long globalStep;
        private EpochTotals partial = EpochTotals.ZERO;
        private Path lastCkpt;
        private CheckpointManifest.Position lastPosition;

        Session(DataSplits data, Path runDir, CheckpointManifest.Run identity, int stepsPerEpoch, long t0) {
            this.data = data;
            this.runDir = runDir;
            this.identity = identity;
            this.stepsPerEpoch = stepsPerEpoch;
            this.t0 = t0;
            this.net = Supernet.create(space, seed);
            try {
                this.opt = new NesterovSgd(net.manager(), momentum, weightDecay);
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
            this.params = net.trainableParameters();
        }

        /** Loads a checkpoint of this same run (else throws) and returns the position of its next step. */
        CheckpointManifest.Position resume(Checkpoint.Loaded ck) throws IOException {
            CheckpointManifest m = ck.manifest();
            m.run().checkResumableAs(identity, ck.dir());
            net.loadParameters(ck.paramsFile());
            opt.load(ck.optimizerFile(), params);
            if (ck.teacherFile() != null) {
                teacher = Supernet.create(space, seed);
                teacher.loadParameters(ck.teacherFile());
            }
            CheckpointManifest.Position p = m.position();
            globalStep = p.globalStep();
            history.addAll(m.metrics().history());
            partial = m.epochPartial();
            EpochMetrics.writeLog(runDir.resolve(METRICS_FILE), history);
            info("resuming %s at phase %s, epoch %d, step %d (global step %d)", ck.dir(), p.phaseName(), p.epoch(),
                    p.stepInEpoch(), p.globalStep());
            return p;
        }

        /** Runs the schedule from {@code start} to its end, or until {@code optStopAfterSteps}. */
        TrainingResult runFrom(CheckpointManifest.Position start) throws IOException {
            for (int p = start.phaseIndex(); p < phases.size(); p++) {
                Phase phase = phases.get(p);
                boolean resumedPhase = p == start.phaseIndex();
                int firstEpoch = resumedPhase ? start.epoch() : 0;
                if (firstEpoch == 0 && (!resumedPhase || start.stepInEpoch() == 0)) {
                    startPhase(phase);
                }
                for (int epoch = firstEpoch; epoch < phase.epochs(); epoch++) {
                    int firstStep = resumedPhase && epoch == start.epoch() ? start.stepInEpoch() : 0;
                    if (runEpoch(p, phase, epoch, firstStep)) {
                        return result(lastPosition.phaseIndex() >= phases.size());
                    }
                }
            }
            if (lastCkpt == null) {
                lastCkpt = Checkpoint.readLatest(runDir).dir();
            }
            return result(true);
        }

        /**
         * Fresh momentum buffers (OFA builds a new optimizer per phase), channels sorted when the
         * phase asks, and the teacher copied from the supernet when the first distilling phase starts.
         */
        private void startPhase(Phase phase) {
            opt.reset();
            if (phase.sortBefore()) {
                net.sortChannels();
            }
            if (phase.kdRatio() > 0 && teacher == null) {
                teacher = Supernet.create(space, seed);
                teacher.copyParametersFrom(net);
            }
        }

        /** Trains an epoch from {@code firstStep}; returns true when the run stops here. */
        private boolean runEpoch(int p, Phase phase, int epoch, int firstStep) throws IOException {
            int[] order = sampling.epochOrder(p, epoch, data.train().size());
            EpochTotals totals = partial;
            partial = EpochTotals.ZERO;
            ProgressBar bar = quiet ? null : bar(phase, epoch, stepsPerEpoch, firstStep);
            try {
                for (int step = firstStep; step < stepsPerEpoch; step++) {
                    totals = trainStep(p, phase, epoch, step, order, totals, bar);
                    boolean epochEnd = step + 1 == stepsPerEpoch;
                    boolean stop = stopAfterSteps > 0 && globalStep >= stopAfterSteps;
                    boolean periodic = checkpointEverySteps > 0 && globalStep % checkpointEverySteps == 0;
                    if (!epochEnd && (stop || periodic)) {
                        checkpoint(CheckpointManifest.Position.of(phases, p, epoch, step + 1, globalStep), totals);
                        if (stop) {
                            return true;
                        }
                    }
                }
            } finally {
                if (bar != null) {
                    bar.close();
                }
            }
            return endEpoch(p, phase, epoch, totals);
        }

        /** Trains one step on its batch of {@code order}; returns the epoch's totals with it. */
        private EpochTotals trainStep(int p, Phase phase, int epoch, int step, int[] order, EpochTotals totals,
                ProgressBar bar) {
            long ts = System.nanoTime();
            int[] idx = Arrays.copyOfRange(order, step * batchSize, (step + 1) * batchSize);
            double lr = phase.learningRate((long) epoch * stepsPerEpoch + step, stepsPerEpoch);
            StepOutcome out = runStep(p, phase, epoch, step, idx, lr);
            double dt = (System.nanoTime() - ts) / 1e9;
            globalStep++;
            EpochTotals now = totals.plus(out.lossSum, out.correct, out.seen, idx.length, dt);
            if (bar != null) {
                bar.step();
                bar.setExtraMessage(barMessage(now.meanLoss(batchSize), now.accuracy()));
            }
            if (listener != null) {
                listener.onStep(new StepInfo(globalStep, p, phase, epoch, step, out.archs, lr,
                        out.lossSum / out.archs.size(), dt));
            }
            return now;
        }

        /**
         * Scores the epoch (at a phase end, or every epoch with {@code optEvalEveryEpoch}), logs it,
         * checkpoints at the next epoch's start; returns true when the run stops here.
         */
        private boolean endEpoch(int p, Phase phase, int epoch, EpochTotals totals) throws IOException {
            boolean phaseEnd = epoch + 1 == phase.epochs();
            double lrEnd = phase.learningRate((long) (epoch + 1) * stepsPerEpoch - 1, stepsPerEpoch);
            EpochMetrics.Evaluation eval = evalEveryEpoch || phaseEnd ? evaluate(net, phase, data) : null;
            EpochMetrics metrics = EpochMetrics.of(phase, p, epoch, globalStep, totals, batchSize, lrEnd, eval,
                    (System.nanoTime() - t0) / 1e9);
            history.add(metrics);
            info("%s", metrics.describe(phases.size()));
            checkpoint(CheckpointManifest.Position.of(phases, phaseEnd ? p + 1 : p, phaseEnd ? 0 : epoch + 1, 0,
                    globalStep), EpochTotals.ZERO);
            EpochMetrics.writeLog(runDir.resolve(METRICS_FILE), history);
            return stopAfterSteps > 0 && globalStep >= stopAfterSteps;
        }

        private void checkpoint(CheckpointManifest.Position next, EpochTotals totals) throws IOException {
            lastCkpt = Checkpoint.write(runDir, net, teacher, opt, identity, next, CheckpointManifest.Metrics.of(history),
                    totals);
            lastPosition = next;
        }

        /**
         * One step: the batch at the step's resolution (augmented), the teacher's soft targets once,
         * then forward and backward of each subnet in its own sub-manager (gradients summed), and one
         * optimizer update of the union of parameters the subnets used.
         */
        private StepOutcome runStep(int p, Phase phase, int epoch, int step, int[] idx, double lr) {
            SamplingSchedule.StepDraws draws = sampling.step(p, epoch, step);
            int res = draws.resolution();
            ImageSet train = data.train();
            int[] labels = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                labels[i] = train.labels()[idx[i]];
            }
            double lossSum = 0;
            int correct = 0;
            try (NDManager scope = net.manager().newSubManager()) {
                NDArray x = Batches.images(scope, train, idx, res, data.mean(), data.std(), augment,
                        sampling.augmentation(p, epoch, step));
                NDArray soft = null;
                if (teacher != null && phase.kdRatio() > 0) {
                    ArchConfig big = space.uniform(space.maxKernel(), space.maxExpand(), space.maxDepth(), res);
                    NDArray tl = teacher.forward(scope, x, big, false);
                    soft = tl.softmax(1).stopGradient();
                }
                NDArray kd = soft != null && phase.kdRatio() != 1.0 ? scope.create((float) phase.kdRatio()) : null;
                Set<String> used = new TreeSet<>();
                for (ArchConfig arch : draws.subnets()) {
                    used.addAll(net.usedParameters(arch));
                    try (NDManager sub = scope.newSubManager();
                            GradientCollector gc = sub.getEngine().newGradientCollector()) {
                        NDArray logits = net.forward(sub, x, arch, true);
                        NDArray loss = Losses.smoothedCrossEntropy(sub, logits, labels, labelSmoothing);
                        if (soft != null) {
                            // Owned by the step scope (soft's manager), freed at the end of the step.
                            NDArray kdLoss = Losses.softCrossEntropy(soft, logits);
                            loss = loss.add(kd == null ? kdLoss : kd.mul(kdLoss));
                        }
                        gc.backward(loss);
                        float l = loss.getFloat();
                        if (!Float.isFinite(l)) {
                            throw new IllegalStateException(
                                    "loss became " + l + " at phase " + phase.name() + ", epoch " + epoch + ", step "
                                            + step + " (subnet " + arch.key() + ", lr " + lr + ")");
                        }
                        lossSum += l;
                        correct += Losses.correct(logits, labels);
                    }
                }
                opt.step(scope, params, used, net::isNoDecay, lr);
            }
            return new StepOutcome(draws.subnets(), lossSum, correct, idx.length * draws.subnets().size());
        }

        private TrainingResult result(boolean finished) {
            return new TrainingResult(runDir, lastCkpt, history, globalStep, finished, (System.nanoTime() - t0) / 1e9);
        }

        /** Frees the optimizer state, the teacher and the supernet. */
        @Override
        public void close() {
            opt.close();
            if (teacher != null) {
                teacher.close();
            }
            net.close();
        }
    }

    private record StepOutcome(List<ArchConfig> archs, double lossSum, int correct, int seen) {}

    /**
     * Scores the max subnet and the phase's smallest subnet (smallest open kernel, expand and depth
     * everywhere, smallest resolution) on the validation split after BN recalibration.
     */
    private EpochMetrics.Evaluation evaluate(Supernet net, Phase phase, DataSplits data) {
        if (preset.evalImages() == 0 || data.val().size() == 0) {
            return null;
        }
        ImageSet val = data.val().size() > preset.evalImages() ? data.val().head(preset.evalImages()) : data.val();
        int recal = Math.min(preset.recalImages(), data.train().size());
        long te = System.nanoTime();
        ArchConfig max = space.max();
        ArchConfig min = phase.smallest(space, space.minResolution());
        Subnet sMax = net.extractCalibrated(max, data.train(), recal, data.mean(), data.std(), seed);
        double accMax = Evaluator.top1(sMax, val, data.mean(), data.std(), 250);
        Subnet sMin = net.extractCalibrated(min, data.train(), recal, data.mean(), data.std(), seed);
        double accMin = Evaluator.top1(sMin, val, data.mean(), data.std(), 250);
        return new EpochMetrics.Evaluation(accMax, accMin, min.key(), val.size(), (System.nanoTime() - te) / 1e9);
    }

    private ProgressBar bar(Phase phase, int epoch, int stepsPerEpoch, int startStep) {
        ProgressBar b = ofa4j.supernet.Progress.bar(barTask(phase.name(), epoch + 1, phase.epochs()), stepsPerEpoch, "", 1, false, log);
        b.stepTo(startStep);
        return b;
    }

    /**
     * The task name of an epoch's progress bar, e.g. {@code expand-2 1/1} (the phase's name and the
     * epoch; the line printed after each epoch says which phase of how many).
     *
     * @param name the phase's name
     * @param epoch 1-based epoch
     * @param epochs epochs of the phase
     * @return the task name
     */
    static String barTask(String name, int epoch, int epochs) {
        return String.format(Locale.ROOT, "%s %d/%d", name, epoch, epochs);
    }

    /**
     * The running figures shown after an epoch's bar.
     *
     * @param loss mean loss so far
     * @param accuracy training accuracy so far, fraction
     * @return e.g. {@code  loss 1.91 acc 80.5%} (the speed is in the epoch's summary line, which
     *     leaves the bar of a long phase name room above {@link ofa4j.supernet.Progress#MIN_BAR})
     */
    static String barMessage(double loss, double accuracy) {
        return String.format(Locale.ROOT, " loss %.2f acc %.1f%%", loss, 100 * accuracy);
    }

    private void info(String fmt, Object... args) {
        if (!quiet) {
            log.println(String.format(Locale.ROOT, fmt, args));
        }
    }

    /** Builds a {@link ProgressiveShrinkingTrainer}; only the space is required. */
    public static final class Builder {
        private SearchSpace space;
        private TrainingPreset preset = TrainingPreset.quick();
        private List<Phase> phases;
        private long seed;
        private int batchSize;
        private Batches.Augment augment = Batches.Augment.LIGHT;
        private double labelSmoothing = 0.1;
        private double momentum = 0.9;
        private Double weightDecay;
        private int checkpointEverySteps;
        private long stopAfterSteps;
        private boolean quiet;
        private boolean evalEveryEpoch;
        private StepListener listener;
        private PrintStream log = System.err;

        private Builder() {}

        /**
         * Sets the search space (required).
         *
         * @param space the space
         * @return this builder
         */
        public Builder setSpace(SearchSpace space) {
            this.space = space;
            return this;
        }

        /**
         * Sets the preset (data sizes, batch, epochs); default {@link TrainingPreset#quick()}.
         *
         * @param preset the preset
         * @return this builder
         */
        public Builder optPreset(TrainingPreset preset) {
            this.preset = preset;
            return this;
        }

        /**
         * Replaces the preset's schedule; default {@code preset.schedule(space)}.
         *
         * @param phases the phases
         * @return this builder
         */
        public Builder optSchedule(List<Phase> phases) {
            this.phases = List.copyOf(phases);
            return this;
        }

        /**
         * Sets the seed of initialisation, shuffles, augmentation and subnet sampling; default 0.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Overrides the preset's batch size.
         *
         * @param batchSize images per step
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the augmentation; default {@link Batches.Augment#LIGHT}.
         *
         * @param augment the augmentation
         * @return this builder
         */
        public Builder optAugment(Batches.Augment augment) {
            this.augment = augment;
            return this;
        }

        /**
         * Sets label smoothing; default 0.1 (OFA).
         *
         * @param eps smoothing in [0, 1)
         * @return this builder
         */
        public Builder optLabelSmoothing(double eps) {
            this.labelSmoothing = eps;
            return this;
        }

        /**
         * Sets the Nesterov momentum; default 0.9 (OFA).
         *
         * @param momentum momentum in [0, 1)
         * @return this builder
         */
        public Builder optMomentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Overrides the preset's weight decay of non-BN, non-bias parameters ({@link
         * TrainingPreset#weightDecay()}).
         *
         * @param weightDecay the decay
         * @return this builder
         */
        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Also checkpoints every {@code n} steps (besides every epoch end); default 0 = epoch ends only.
         *
         * @param n steps between checkpoints
         * @return this builder
         */
        public Builder optCheckpointEverySteps(int n) {
            this.checkpointEverySteps = n;
            return this;
        }

        /**
         * Stops (after writing a checkpoint) once this many global steps are done; default 0 = never.
         * Simulates a killed run in tests.
         *
         * @param steps global step to stop at
         * @return this builder
         */
        public Builder optStopAfterSteps(long steps) {
            this.stopAfterSteps = steps;
            return this;
        }

        /**
         * Hides progress bars and log lines; default false.
         *
         * @param quiet true for silence
         * @return this builder
         */
        public Builder optQuiet(boolean quiet) {
            this.quiet = quiet;
            return this;
        }

        /**
         * Scores the max and min subnets (BN recalibration + validation top-1) at every epoch end;
         * default false = only at the end of each phase (recalibration and scoring of two subnets
         * cost about as much as 10% of a quick-preset epoch).
         *
         * @param every true for every epoch
         * @return this builder
         */
        public Builder optEvalEveryEpoch(boolean every) {
            this.evalEveryEpoch = every;
            return this;
        }

        /**
         * Sets a listener called after every step; default none.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optStepListener(StepListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Sets where progress bars and log lines go; default {@code System.err}.
         *
         * @param log the stream
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            this.log = log;
            return this;
        }

        /**
         * Checks the settings and builds the trainer.
         *
         * @return the trainer
         * @throws IllegalArgumentException naming a bad value
         */
        public ProgressiveShrinkingTrainer build() {
            validate();
            return new ProgressiveShrinkingTrainer(this);
        }

        private void validate() {
            if (space == null) {
                throw new IllegalArgumentException("the search space must be set (setSpace)");
            }
            if (preset == null) {
                throw new IllegalArgumentException("preset must not be null");
            }
            if (phases != null && phases.isEmpty()) {
                throw new IllegalArgumentException("schedule must have at least one phase");
            }
            if (batchSize < 0) {
                throw new IllegalArgumentException("batch size must be positive, found " + batchSize);
            }
            if (labelSmoothing < 0 || labelSmoothing >= 1) {
                throw new IllegalArgumentException("label smoothing must be in [0, 1), found " + labelSmoothing);
            }
            if (momentum < 0 || momentum >= 1) {
                throw new IllegalArgumentException("momentum must be in [0, 1), found " + momentum);
            }
            if (weightDecay != null && !(weightDecay >= 0)) {
                throw new IllegalArgumentException("weight decay must be >= 0, found " + weightDecay);
            }
            if (checkpointEverySteps < 0 || stopAfterSteps < 0) {
                throw new IllegalArgumentException(
                        "checkpointEverySteps and stopAfterSteps must be >= 0, found " + checkpointEverySteps + ", "
                                + stopAfterSteps);
            }
            if (augment == null || log == null) {
                throw new IllegalArgumentException("augment and log must not be null");
            }
        }
    }
}
