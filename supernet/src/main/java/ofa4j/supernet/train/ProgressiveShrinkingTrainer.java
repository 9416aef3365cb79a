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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
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
 * phase's choices with a seed derived from (seed, phase, epoch, step, k), as OFA) run forward,
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

    // ------------------------------------------------------------------ seeds

    /**
     * SplitMix64's finaliser: a bijective scramble of 64 bits (Steele, Lea, Flood 2014).
     *
     * @param z input
     * @return scrambled value
     */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Derives the seed of one random draw from the run's seed and the position, so that a resumed
     * run repeats the draws of an uninterrupted one.
     *
     * @param seed the run's seed
     * @param parts position: phase, epoch, step, k (-1 marks "not a subnet draw")
     * @return a seed
     */
    public static long derivedSeed(long seed, long... parts) {
        long h = mix64(seed ^ 0x6f66613461L);
        for (long p : parts) {
            h = mix64(h + 0x9e3779b97f4a7c15L + p);
        }
        return h;
    }

    /**
     * The {@code k}-th subnet of a step: uniformly sampled from the phase's kernels, expands and
     * depths at resolution {@code resolution}. Under the phase's sandwich rule ({@link
     * Phase#sandwich()}, with 2 or more subnets per step) subnet 0 is instead the smallest open in the
     * phase and, with 3 or more, subnet 1 the largest: the two extremes get a gradient every step
     * instead of being drawn rarely (the smallest of the expand-2 phase is 1 of 3^13 x 3^4 choices).
     *
     * @param space the space
     * @param phase the phase
     * @param seed the run's seed
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param step step within the epoch
     * @param k subnet index within the step
     * @param resolution the batch's resolution
     * @return the subnet
     */
    public static ArchConfig sampleArch(
            SearchSpace space, Phase phase, long seed, int phaseIndex, int epoch, int step, int k, int resolution) {
        if (phase.sandwich() && phase.subnetsPerStep() >= 2) {
            if (k == 0) {
                return phase.smallest(space, resolution);
            }
            if (k == 1 && phase.subnetsPerStep() >= 3) {
                return phase.largest(space, resolution);
            }
        }
        SplittableRandom rng = new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, step, k));
        return space.sample(rng, phase.kernels(), phase.expands(), phase.depths(), List.of(resolution));
    }

    /**
     * The resolution of a step's batch, uniform over the space's resolutions.
     *
     * @param space the space
     * @param seed the run's seed
     * @param phaseIndex phase index
     * @param epoch epoch
     * @param step step
     * @return the resolution in pixels
     */
    public static int sampleResolution(SearchSpace space, long seed, int phaseIndex, int epoch, int step) {
        SplittableRandom rng = new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, step, -1));
        return space.resolutions().get(rng.nextInt(space.resolutions().size()));
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
        ImageSet train = data.train();
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
        if (!resume && Checkpoint.exists(runDir)) {
            throw new IllegalArgumentException(
                    "run directory " + runDir + " already holds a checkpoint; resume it or choose another directory");
        }
        Files.createDirectories(runDir);
        CheckpointManifest.Run identity = identity(data);

        Supernet net = Supernet.create(space, seed);
        Supernet teacher = null;
        NesterovSgd opt = new NesterovSgd(net.manager(), momentum, weightDecay);
        try {
            int phaseIdx = 0;
            int epoch = 0;
            int step = 0;
            long globalStep = 0;
            List<EpochMetrics> history = new ArrayList<>();
            EpochTotals partial = EpochTotals.ZERO;
            if (resume && Checkpoint.exists(runDir)) {
                Checkpoint.Loaded ck = Checkpoint.readLatest(runDir);
                CheckpointManifest m = ck.manifest();
                m.run().checkResumableAs(identity, ck.dir());
                net.loadParameters(ck.paramsFile());
                opt.load(ck.optimizerFile(), net.trainableParameters());
                if (ck.teacherFile() != null) {
                    teacher = Supernet.create(space, seed);
                    teacher.loadParameters(ck.teacherFile());
                }
                phaseIdx = m.position().phaseIndex();
                epoch = m.position().epoch();
                step = m.position().stepInEpoch();
                globalStep = m.position().globalStep();
                history.addAll(m.metrics().history());
                partial = m.epochPartial();
                EpochMetrics.writeLog(runDir.resolve(METRICS_FILE), history);
                info("resuming %s at phase %s, epoch %d, step %d (global step %d)", ck.dir(), m.phaseName(), epoch,
                        step, globalStep);
            } else if (resume) {
                info("no checkpoint in %s: starting a new run", runDir);
            }
            Path lastCkpt = null;
            Map<String, Parameter> params = net.trainableParameters();

            for (; phaseIdx < phases.size(); phaseIdx++, epoch = 0, step = 0) {
                Phase phase = phases.get(phaseIdx);
                if (epoch == 0 && step == 0) {
                    opt.reset();
                    if (phase.sortBefore()) {
                        net.sortChannels();
                    }
                    if (phase.kdRatio() > 0 && teacher == null) {
                        teacher = Supernet.create(space, seed);
                        teacher.copyParametersFrom(net);
                    }
                }
                for (; epoch < phase.epochs(); epoch++, step = 0) {
                    int[] perm = DataSplits.permutation(
                            train.size(), new SplittableRandom(derivedSeed(seed, phaseIdx, epoch, -2, -2)));
                    EpochTotals totals = partial;
                    ProgressBar bar = quiet ? null : bar(phaseIdx, phase, epoch, stepsPerEpoch, step);
                    try {
                        for (; step < stepsPerEpoch; step++) {
                            long ts = System.nanoTime();
                            int[] idx = java.util.Arrays.copyOfRange(perm, step * batchSize, (step + 1) * batchSize);
                            long phaseStep = (long) epoch * stepsPerEpoch + step;
                            double lr = phase.learningRate(phaseStep, stepsPerEpoch);
                            StepOutcome out = runStep(net, teacher, params, opt, phaseIdx, phase, epoch, step, idx, data, lr);
                            double dt = (System.nanoTime() - ts) / 1e9;
                            globalStep++;
                            totals = totals.plus(out.lossSum, out.correct, out.seen, idx.length, dt);
                            if (bar != null) {
                                bar.step();
                                bar.setExtraMessage(barMessage(totals.meanLoss(batchSize), totals.accuracy(),
                                        totals.imagesPerSecond()));
                            }
                            if (listener != null) {
                                listener.onStep(new StepInfo(globalStep, phaseIdx, phase, epoch, step, out.archs, lr,
                                        out.lossSum / out.archs.size(), dt));
                            }
                            boolean epochEnd = step + 1 == stepsPerEpoch;
                            boolean stop = stopAfterSteps > 0 && globalStep >= stopAfterSteps;
                            boolean periodic = checkpointEverySteps > 0 && globalStep % checkpointEverySteps == 0;
                            if (!epochEnd && (stop || periodic)) {
                                lastCkpt = Checkpoint.write(runDir, net, teacher, opt, identity,
                                        CheckpointManifest.Position.of(phases, phaseIdx, epoch, step + 1, globalStep),
                                        CheckpointManifest.Metrics.of(history), totals);
                                if (stop) {
                                    return result(runDir, lastCkpt, history, globalStep, false, t0);
                                }
                            }
                        }
                    } finally {
                        if (bar != null) {
                            bar.close();
                        }
                    }
                    partial = EpochTotals.ZERO;
                    double lrEnd = phase.learningRate((long) (epoch + 1) * stepsPerEpoch - 1, stepsPerEpoch);
                    EpochMetrics.Evaluation eval =
                            evalEveryEpoch || epoch + 1 == phase.epochs() ? evaluate(net, phase, data) : null;
                    EpochMetrics metrics = EpochMetrics.of(phase, phaseIdx, epoch, globalStep, totals, batchSize, lrEnd,
                            eval, (System.nanoTime() - t0) / 1e9);
                    history.add(metrics);
                    info("%s", metrics.describe(phases.size()));
                    int nextPhase = epoch + 1 == phase.epochs() ? phaseIdx + 1 : phaseIdx;
                    int nextEpoch = epoch + 1 == phase.epochs() ? 0 : epoch + 1;
                    lastCkpt = Checkpoint.write(runDir, net, teacher, opt, identity,
                            CheckpointManifest.Position.of(phases, nextPhase, nextEpoch, 0, globalStep),
                            CheckpointManifest.Metrics.of(history), partial);
                    EpochMetrics.writeLog(runDir.resolve(METRICS_FILE), history);
                    if (stopAfterSteps > 0 && globalStep >= stopAfterSteps) {
                        return result(runDir, lastCkpt, history, globalStep, nextPhase >= phases.size(), t0);
                    }
                }
            }
            if (lastCkpt == null) {
                lastCkpt = Checkpoint.readLatest(runDir).dir();
            }
            return result(runDir, lastCkpt, history, globalStep, true, t0);
        } finally {
            opt.close();
            if (teacher != null) {
                teacher.close();
            }
            net.close();
        }
    }

    private record StepOutcome(List<ArchConfig> archs, double lossSum, int correct, int seen) {}

    private StepOutcome runStep(
            Supernet net,
            Supernet teacher,
            Map<String, Parameter> params,
            NesterovSgd opt,
            int phaseIdx,
            Phase phase,
            int epoch,
            int step,
            int[] idx,
            DataSplits data,
            double lr) {
        int res = sampleResolution(space, seed, phaseIdx, epoch, step);
        ImageSet train = data.train();
        int[] labels = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            labels[i] = train.labels()[idx[i]];
        }
        List<ArchConfig> archs = new ArrayList<>();
        double lossSum = 0;
        int correct = 0;
        try (NDManager scope = net.manager().newSubManager()) {
            SplittableRandom augRng = new SplittableRandom(derivedSeed(seed, phaseIdx, epoch, step, -3));
            NDArray x = Batches.images(scope, train, idx, res, data.mean(), data.std(), augment, augRng);
            NDArray soft = null;
            if (teacher != null && phase.kdRatio() > 0) {
                ArchConfig big = space.uniform(space.maxKernel(), space.maxExpand(), space.maxDepth(), res);
                NDArray tl = teacher.forward(scope, x, big, false);
                soft = tl.softmax(1).stopGradient();
            }
            NDArray kd = soft != null && phase.kdRatio() != 1.0 ? scope.create((float) phase.kdRatio()) : null;
            Set<String> used = new TreeSet<>();
            for (int k = 0; k < phase.subnetsPerStep(); k++) {
                ArchConfig arch = sampleArch(space, phase, seed, phaseIdx, epoch, step, k, res);
                archs.add(arch);
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
                                "loss became " + l + " at phase " + phase.name() + ", epoch " + epoch + ", step " + step
                                        + " (subnet " + arch.key() + ", lr " + lr + ")");
                    }
                    lossSum += l;
                    correct += Losses.correct(logits, labels);
                }
            }
            opt.step(scope, params, used, net::isNoDecay, lr);
        }
        return new StepOutcome(archs, lossSum, correct, idx.length * archs.size());
    }

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

    /** The identity of this trainer's run on {@code data}: what a resumed checkpoint must match. */
    private CheckpointManifest.Run identity(DataSplits data) {
        return new CheckpointManifest.Run(space, preset.name(), seed, phases, weightDecay, data.fingerprint(),
                new CheckpointManifest.InputNormalisation(data.mean(), data.std()));
    }

    private TrainingResult result(Path runDir, Path ckpt, List<EpochMetrics> history, long globalStep, boolean finished, long t0) {
        return new TrainingResult(runDir, ckpt, history, globalStep, finished, (System.nanoTime() - t0) / 1e9);
    }

    private ProgressBar bar(int phaseIdx, Phase phase, int epoch, int stepsPerEpoch, int startStep) {
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
     * @param imagesPerSecond training speed
     * @return e.g. {@code  loss 1.91 acc 80.5% 735/s} (images per second)
     */
    static String barMessage(double loss, double accuracy, double imagesPerSecond) {
        return String.format(Locale.ROOT, " loss %.2f acc %.1f%% %.0f/s", loss, 100 * accuracy, imagesPerSecond);
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
