package ofa4j.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import ofa4j.models.Shuffle;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;
import ofa4j.supernet.ops.FakeQuant;

/**
 * The epoch loop of a standalone subnet's training, resumable after every epoch; shared by {@link
 * FineTuner} (distillation from a teacher, cosine from the peak) and {@link ScratchTrainer} (no
 * teacher, the supernet phase's warm-up and cosine). The subnet's weights train as a static network
 * ({@link FixedNetwork}, BN in training mode) with label-smoothed cross-entropy, plus {@code kdRatio}
 * x soft-target cross-entropy against the teacher when there is one, and Nesterov SGD (momentum 0.9,
 * no weight decay on BN parameters and biases), light augmentation.
 *
 * <p>Every random draw is derived from (seed, epoch) for the batch order and (seed, global step) for
 * the augmentation, so the epoch count is the whole random state. After every epoch the subnet
 * ({@code subnet-e<N>.bin}), the optimizer's momentum ({@code optimizer-e<N>.bin}) and then the
 * caller's state file naming them ({@link StateWriter}, written atomically by the caller through
 * {@code JsonFiles.write}) are saved; the previous epoch's files are deleted only after that, so a
 * kill at any point leaves one complete epoch to resume from.
 */
final class SubnetEpochs {

    private SubnetEpochs() {}

    /** Learning rate of one step. */
    @FunctionalInterface
    interface LearningRate {
        /**
         * The learning rate of a step.
         *
         * @param step global step (0-based, over all epochs)
         * @param stepsPerEpoch steps of one epoch
         * @param totalSteps steps of all epochs
         * @return the learning rate
         */
        double at(long step, int stepsPerEpoch, long totalSteps);
    }

    /**
     * One training's recipe.
     *
     * @param epochs epochs in all
     * @param batchSize images per step
     * @param dropLast true to drop the last incomplete batch of an epoch (the supernet's trainer
     *     does), false to train on it
     * @param lr the schedule
     * @param labelSmoothing label smoothing of the cross-entropy
     * @param kdRatio weight of the distillation loss (0 without teacher)
     * @param weightDecay L2 weight decay on conv and linear weights
     * @param seed seed of the batch order and augmentation
     */
    record Recipe(int epochs, int batchSize, boolean dropLast, LearningRate lr, double labelSmoothing,
            double kdRatio, double weightDecay, long seed) {}

    /**
     * Where a training stands after an epoch: what the caller's state file names.
     *
     * @param epochsDone epochs finished
     * @param subnetFile the subnet after them, in the training directory
     * @param optimizerFile the optimizer state after them
     * @param history every finished epoch
     */
    record Saved(int epochsDone, String subnetFile, String optimizerFile, List<FineTuner.Epoch> history) {
        Saved {
            history = List.copyOf(history);
        }
    }

    /** Writes the caller's state file (atomically) naming an epoch's files. */
    @FunctionalInterface
    interface StateWriter {
        /**
         * Records a finished epoch.
         *
         * @param saved the epoch's files and the history
         * @throws IOException if the file cannot be written
         */
        void write(Saved saved) throws IOException;
    }

    /**
     * Trains from {@code start} (the initial subnet, or the subnet {@code resumed} names) up to epoch
     * {@code min(recipe.epochs, stopAfter)}.
     *
     * @param start the subnet to train when not resuming
     * @param teacher the frozen teacher (evaluation mode), or null
     * @param train the training images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param r the recipe
     * @param dir the training directory
     * @param resumed the state to resume, or null to start
     * @param writer records each finished epoch
     * @param stopAfter last epoch to run (an interruption, for tests), or {@code recipe.epochs}
     * @param quantizer null for float training; else, at the start of every epoch, the fake
     *     quantization of the current weights (quantization-aware training: the forward runs through
     *     it, BN with its running statistics, frozen)
     * @param onEpoch takes each finished epoch, or null
     * @return the trained subnet (the resumed one when nothing was left to do)
     * @throws IOException if a file cannot be read or written
     */
    static Subnet run(Subnet start, Subnet teacher, ImageSet train, float[] mean, float[] std, Recipe r, Path dir,
            Saved resumed, StateWriter writer, int stopAfter, java.util.function.Function<Subnet, FakeQuant> quantizer,
            Consumer<FineTuner.Epoch> onEpoch) throws IOException {
        Files.createDirectories(dir);
        Subnet current = resumed == null ? start : Subnet.load(dir.resolve(resumed.subnetFile()));
        int done = resumed == null ? 0 : resumed.epochsDone();
        if (done >= r.epochs()) {
            return current;
        }
        int res = start.arch().resolution();
        if (teacher != null && teacher.arch().resolution() != res) {
            throw new IllegalArgumentException("the teacher must run at the subnet's resolution " + res + ", found "
                    + teacher.arch().resolution());
        }
        List<FineTuner.Epoch> history = new ArrayList<>(resumed == null ? List.of() : resumed.history());
        int stepsPerEpoch = r.dropLast() ? train.size() / r.batchSize()
                : (train.size() + r.batchSize() - 1) / r.batchSize();
        long totalSteps = (long) stepsPerEpoch * r.epochs();
        Saved state = resumed;
        try (FixedNetwork net = new FixedNetwork(current);
                FixedNetwork teacherNet = teacher == null ? null : new FixedNetwork(teacher);
                NDManager optManager = NDManager.newBaseManager();
                NesterovSgd opt = new NesterovSgd(optManager, 0.9, r.weightDecay())) {
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : net.arrays().entrySet()) {
                if (isStatistic(e.getKey())) {
                    continue;
                }
                Parameter p = Parameter.builder().setName(e.getKey()).setType(Parameter.Type.OTHER).build();
                p.setArray(e.getValue());
                e.getValue().setRequiresGradient(true);
                params.put(e.getKey(), p);
            }
            if (resumed != null) {
                opt.load(dir.resolve(resumed.optimizerFile()), params);
            }
            for (int epoch = done + 1; epoch <= Math.min(r.epochs(), stopAfter); epoch++) {
                long t0 = System.nanoTime();
                FakeQuant fq = quantizer == null ? null : quantizer.apply(current);
                int[] order = Shuffle.permutation(train.size(), new SplittableRandom(r.seed() * 1_000_003L + epoch));
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                for (int step = 0; step < stepsPerEpoch; step++) {
                    int[] idx = java.util.Arrays.copyOfRange(order, step * r.batchSize(),
                            Math.min(train.size(), (step + 1) * r.batchSize()));
                    long global = (long) (epoch - 1) * stepsPerEpoch + step;
                    double lr = r.lr().at(global, stepsPerEpoch, totalSteps);
                    int[] labels = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) {
                        labels[i] = train.labels()[idx[i]];
                    }
                    try (NDManager scope = optManager.newSubManager()) {
                        NDArray x = Batches.images(scope, train, idx, res, mean, std, Batches.Augment.LIGHT,
                                new SplittableRandom(r.seed() * 7_919L + global));
                        NDArray soft = teacherNet != null && r.kdRatio() > 0
                                ? teacherNet.forward(scope, x, false).softmax(1).stopGradient() : null;
                        try (GradientCollector gc = scope.getEngine().newGradientCollector()) {
                            NDArray logits = fq == null ? net.forward(scope, x, true) : net.forward(scope, x, true, fq);
                            if (fq != null && step == 0 && !fq.unvisited().isEmpty()) {
                                throw new IllegalStateException("the fake-quantized forward of " + start.arch().key()
                                        + " never reached the INT8 export's activations " + fq.unvisited()
                                        + ": the network's value names and the exporter's disagree");
                            }
                            NDArray loss = Losses.smoothedCrossEntropy(scope, logits, labels, r.labelSmoothing());
                            if (soft != null) {
                                NDArray kd = Losses.softCrossEntropy(soft, logits);
                                loss = loss.add(r.kdRatio() == 1.0 ? kd : kd.mul(scope.create((float) r.kdRatio())));
                            }
                            gc.backward(loss);
                            float l = loss.getFloat();
                            if (!Float.isFinite(l)) {
                                throw new IllegalStateException("training loss became " + l + " at epoch " + epoch
                                        + ", step " + step + " (lr " + lr + ")");
                            }
                            lossSum += l;
                            correct += Losses.correct(logits, labels);
                            seen += idx.length;
                        }
                        opt.step(scope, params, params.keySet(), SubnetEpochs::isNoDecay, lr);
                    }
                }
                FineTuner.Epoch e = new FineTuner.Epoch(epoch, lossSum / stepsPerEpoch, (double) correct / seen,
                        (System.nanoTime() - t0) / 1e9);
                history.add(e);
                current = snapshot(net, current);
                String subFile = "subnet-e" + epoch + ".bin";
                String optFile = "optimizer-e" + epoch + ".bin";
                current.save(dir.resolve(subFile));
                opt.save(dir.resolve(optFile));
                Saved old = state;
                state = new Saved(epoch, subFile, optFile, history);
                writer.write(state);
                if (old != null) { // the files of the previous epoch are no longer named by the state
                    Files.deleteIfExists(dir.resolve(old.subnetFile()));
                    Files.deleteIfExists(dir.resolve(old.optimizerFile()));
                }
                if (onEpoch != null) {
                    onEpoch.accept(e);
                }
            }
        }
        return current;
    }

    /**
     * Reads a training directory's state file.
     *
     * @param dir the training directory
     * @param file the state file's name
     * @param type its record
     * @param resume whether the caller resumes
     * @param what what the directory holds, for the message ("a fine-tune")
     * @param <S> the record
     * @return the state, or null when the directory holds none
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException when there is a state but no {@code resume}
     */
    static <S> S readState(Path dir, String file, Class<S> type, boolean resume, String what) throws IOException {
        Path stateFile = dir.resolve(file);
        if (!Files.isRegularFile(stateFile)) {
            return null;
        }
        if (!resume) {
            throw new IllegalArgumentException("directory " + dir + " already holds " + what + "; use --resume to"
                    + " continue it or another --out");
        }
        return ofa4j.models.JsonFiles.read(stateFile, type);
    }

    /** BN running statistics are buffers, not trained. */
    static boolean isStatistic(String name) {
        return name.endsWith(".mean") || name.endsWith(".var");
    }

    /** No weight decay on BN parameters and biases (as the supernet's trainer). */
    static boolean isNoDecay(String name) {
        return name.contains(".bn.") || name.endsWith(".bias");
    }

    /** The network's current weights and statistics as a subnet. */
    private static Subnet snapshot(FixedNetwork net, Subnet like) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : net.arrays().entrySet()) {
            int[] shape = java.util.Arrays.stream(e.getValue().getShape().getShape()).mapToInt(Math::toIntExact).toArray();
            t.put(e.getKey(), new Tensor(shape, e.getValue().toFloatArray()));
        }
        return new Subnet(like.space(), like.arch(), t, like.bnEps(), like.metadata());
    }
}
