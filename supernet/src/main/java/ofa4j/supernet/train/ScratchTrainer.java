package ofa4j.supernet.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.ImageSet;

/**
 * Trains one subnet from scratch, as a standalone network: the control of OFA's central claim
 * (Cai et al., ICLR 2020, figure 1 and table 1: a subnet sliced from the once-for-all network is as
 * accurate as the same architecture trained alone). The subnet's weights start from the supernet's
 * initialisation ({@link Supernet#create}, then {@link Supernet#extract}); it trains with the
 * supernet's own recipe for its first ("full") phase: the same epochs, peak learning rate, cosine
 * schedule with warm-up ({@link Phase#learningRate}), batch size (the last incomplete batch dropped),
 * Nesterov momentum 0.9, weight decay (none on BN and biases), label smoothing 0.1 and light
 * augmentation, at the subnet's resolution; batch norm keeps running statistics as in training.
 *
 * <p>Resumable after every epoch through the epoch loop it shares with {@link FineTuner} ({@link
 * SubnetEpochs}): the subnet, the optimizer state and then {@value #STATE_FILE} naming them are
 * written atomically into the training directory; an interrupted run resumed ends where an
 * uninterrupted one does.
 */
public final class ScratchTrainer {

    /** State file in the training directory. */
    public static final String STATE_FILE = "scratch-state.json";

    /** Format version of the state file. */
    public static final int FORMAT_VERSION = 1;

    private ScratchTrainer() {}

    /**
     * What to train: a resumed run must repeat these exactly.
     *
     * @param archKey the subnet's key
     * @param phase the supernet phase whose recipe is followed
     * @param batchSize images per step
     * @param weightDecay weight decay of weights (not BN, not biases)
     * @param epochs epochs to train (the phase's, or fewer for a quick check)
     * @param seed initialisation, batch order and augmentation
     */
    public record Settings(String archKey, Phase phase, int batchSize, double weightDecay, int epochs, long seed) {}

    /**
     * The state file.
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param settings what is trained
     * @param epochsDone epochs finished
     * @param subnetFile subnet after them, in the same directory
     * @param optimizerFile optimizer state after them
     * @param history every finished epoch
     * @param seconds training wall time of all calls so far, s
     */
    public record State(int formatVersion, Settings settings, int epochsDone, String subnetFile, String optimizerFile,
            List<FineTuner.Epoch> history, double seconds) {
        /** Checks the version. */
        public State {
            JsonFiles.checkVersion(STATE_FILE, formatVersion, FORMAT_VERSION, FORMAT_VERSION);
            history = history == null ? List.of() : List.copyOf(history);
        }
    }

    /**
     * What training produced.
     *
     * @param subnet the trained subnet (running BN statistics from training)
     * @param epochs epochs trained
     * @param steps optimizer steps
     * @param epochLoss mean training loss of each epoch
     * @param seconds training wall time of all calls, s
     * @param resumedFrom epochs already done when this call started
     */
    public record Result(Subnet subnet, int epochs, long steps, List<Double> epochLoss, double seconds,
            int resumedFrom) {}

    /**
     * Trains {@code arch} from scratch, in memory (a temporary training directory, deleted).
     *
     * @param space the search space
     * @param arch the subnet
     * @param train training images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param phase the phase whose recipe to follow (epochs, learning rate, warm-up)
     * @param batchSize images per step
     * @param weightDecay weight decay of weights (not BN, not biases)
     * @param epochs epochs to train (the phase's, or fewer for a quick check)
     * @param seed initialisation, batch order and augmentation
     * @param progress takes one line per epoch, or null
     * @return the trained subnet and its figures
     */
    public static Result train(SearchSpace space, ArchConfig arch, ImageSet train, float[] mean, float[] std,
            Phase phase, int batchSize, double weightDecay, int epochs, long seed, Consumer<String> progress) {
        Path tmp = null;
        try {
            tmp = java.nio.file.Files.createTempDirectory("ofa-scratch");
            return train(space, arch, train, mean, std, phase, batchSize, weightDecay, epochs, seed, tmp, false,
                    progress, epochs);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            if (tmp != null) {
                try (var s = java.nio.file.Files.walk(tmp)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        java.nio.file.Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) {
                    // a temporary directory left behind is harmless
                }
            }
        }
    }

    /**
     * Trains (or resumes training) {@code arch} from scratch in {@code dir}, resumable after every epoch.
     *
     * @param space the search space
     * @param arch the subnet
     * @param train training images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param phase the phase whose recipe to follow (epochs, learning rate, warm-up)
     * @param batchSize images per step
     * @param weightDecay weight decay of weights (not BN, not biases)
     * @param epochs epochs to train (the phase's, or fewer for a quick check)
     * @param seed initialisation, batch order and augmentation
     * @param dir the training directory (created)
     * @param resume continue from the directory's state file
     * @param progress takes one line per epoch, or null
     * @return the trained subnet and its figures
     * @throws IOException if a file cannot be read or written
     * @throws IllegalArgumentException for bad settings, a directory holding another training, or one without {@code resume}
     */
    public static Result train(SearchSpace space, ArchConfig arch, ImageSet train, float[] mean, float[] std,
            Phase phase, int batchSize, double weightDecay, int epochs, long seed, Path dir, boolean resume,
            Consumer<String> progress) throws IOException {
        return train(space, arch, train, mean, std, phase, batchSize, weightDecay, epochs, seed, dir, resume, progress,
                epochs);
    }

    /** As the public {@code train} with a directory, stopping after epoch {@code stopAfter} (an interruption, for tests). */
    static Result train(SearchSpace space, ArchConfig arch, ImageSet train, float[] mean, float[] std, Phase phase,
            int batchSize, double weightDecay, int epochs, long seed, Path dir, boolean resume,
            Consumer<String> progress, int stopAfter) throws IOException {
        space.validate(arch);
        if (epochs < 1 || batchSize < 1 || batchSize > train.size()) {
            throw new IllegalArgumentException("epochs must be >= 1 and the batch in [1, " + train.size()
                    + "], found " + epochs + " and " + batchSize);
        }
        Settings settings = new Settings(arch.key(), phase, batchSize, weightDecay, epochs, seed);
        State state = SubnetEpochs.readState(dir, STATE_FILE, State.class, resume, "a from-scratch training");
        if (state != null && !state.settings().equals(settings)) {
            throw new IllegalArgumentException("the from-scratch training in " + dir + " is " + state.settings()
                    + "; this one is " + settings);
        }
        int done = state == null ? 0 : state.epochsDone();
        double before = state == null ? 0 : state.seconds();
        long t0 = System.nanoTime();
        Subnet init;
        try (Supernet net = Supernet.create(space, seed)) {
            init = net.extract(arch);
        }
        SubnetEpochs.Recipe recipe = new SubnetEpochs.Recipe(epochs, batchSize, true,
                (step, perEpoch, total) -> phase.learningRate(step, perEpoch), 0.1, 0, weightDecay, seed);
        SubnetEpochs.Saved resumed = state == null ? null
                : new SubnetEpochs.Saved(state.epochsDone(), state.subnetFile(), state.optimizerFile(), state.history());
        State[] last = {state};
        Subnet trained = SubnetEpochs.run(init, null, train, mean, std, recipe, dir, resumed, saved -> {
            last[0] = new State(FORMAT_VERSION, settings, saved.epochsDone(), saved.subnetFile(), saved.optimizerFile(),
                    saved.history(), before + (System.nanoTime() - t0) / 1e9);
            JsonFiles.write(dir.resolve(STATE_FILE), last[0]);
        }, stopAfter, null, progress == null ? null : e -> progress.accept(String.format(java.util.Locale.ROOT,
                "epoch %d/%d: loss %.4f, train top-1 %.2f%%, %.1f s", e.epoch(), epochs, e.trainLoss(),
                100 * e.trainAccuracy(), e.seconds())));
        State end = last[0];
        int finished = end == null ? 0 : end.epochsDone();
        return new Result(trained, finished, (long) finished * (train.size() / batchSize),
                end == null ? List.of() : end.history().stream().map(FineTuner.Epoch::trainLoss).toList(),
                end == null ? 0 : end.seconds(), done);
    }
}
