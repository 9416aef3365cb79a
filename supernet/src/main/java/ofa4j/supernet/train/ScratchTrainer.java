package ofa4j.supernet.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Shuffle;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;

/**
 * Trains one subnet from scratch, as a standalone network: the control of OFA's central claim
 * (Cai et al., ICLR 2020, figure 1 and table 1: a subnet sliced from the once-for-all network is as
 * accurate as the same architecture trained alone). The subnet's weights start from the supernet's
 * initialisation ({@link Supernet#create}, then {@link Supernet#extract}); it trains with the
 * supernet's own recipe for its first ("full") phase: the same epochs, peak learning rate, cosine
 * schedule with warm-up ({@link Phase#learningRate}), batch size, Nesterov momentum 0.9, weight decay
 * (none on BN and biases), label smoothing 0.1 and light augmentation, at the subnet's resolution;
 * batch norm keeps running statistics as in training. Every step's arrays live in a manager closed
 * at the end of the step.
 */
public final class ScratchTrainer {

    private ScratchTrainer() {}

    /**
     * What training produced.
     *
     * @param subnet the trained subnet (running BN statistics from training)
     * @param epochs epochs trained
     * @param steps optimizer steps
     * @param epochLoss mean training loss of each epoch
     * @param seconds wall time, s
     */
    public record Result(Subnet subnet, int epochs, long steps, List<Double> epochLoss, double seconds) {}

    /**
     * Trains {@code arch} from scratch.
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
        space.validate(arch);
        if (epochs < 1 || batchSize < 1 || batchSize > train.size()) {
            throw new IllegalArgumentException("epochs must be >= 1 and the batch in [1, " + train.size()
                    + "], found " + epochs + " and " + batchSize);
        }
        long t0 = System.nanoTime();
        Subnet init;
        try (Supernet net = Supernet.create(space, seed)) {
            init = net.extract(arch);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int stepsPerEpoch = train.size() / batchSize;
        List<Double> losses = new ArrayList<>();
        long steps = 0;
        try (FixedNetwork fixed = new FixedNetwork(init);
                NDManager optManager = NDManager.newBaseManager();
                NesterovSgd sgd = new NesterovSgd(optManager, 0.9, weightDecay)) {
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : fixed.arrays().entrySet()) {
                String n = e.getKey();
                if (n.endsWith(".mean") || n.endsWith(".var")) {
                    continue;
                }
                Parameter p = Parameter.builder().setName(n).setType(Parameter.Type.WEIGHT).build();
                p.setArray(e.getValue());
                e.getValue().setRequiresGradient(true);
                params.put(n, p);
            }
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] order = Shuffle.permutation(train.size(), rng);
                double sum = 0;
                for (int s = 0; s < stepsPerEpoch; s++) {
                    int[] idx = java.util.Arrays.copyOfRange(order, s * batchSize, (s + 1) * batchSize);
                    int[] labels = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) {
                        labels[i] = train.labels()[idx[i]];
                    }
                    double lr = phase.learningRate((long) epoch * stepsPerEpoch + s, stepsPerEpoch);
                    try (NDManager scope = optManager.newSubManager()) {
                        NDArray x = Batches.images(scope, train, idx, arch.resolution(), mean, std,
                                Batches.Augment.LIGHT, rng.split());
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = fixed.forward(scope, x, true);
                            NDArray loss = Losses.smoothedCrossEntropy(scope, logits, labels, 0.1);
                            sum += loss.getFloat();
                            gc.backward(loss);
                        }
                        sgd.step(scope, params, params.keySet(),
                                n -> n.endsWith(".gamma") || n.endsWith(".beta") || n.endsWith(".bias"), lr);
                    }
                    steps++;
                }
                losses.add(sum / Math.max(1, stepsPerEpoch));
                if (progress != null) {
                    progress.accept(String.format(java.util.Locale.ROOT, "epoch %d/%d: loss %.4f", epoch + 1, epochs,
                            losses.get(losses.size() - 1)));
                }
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : init.tensors().entrySet()) {
                NDArray a = fixed.arrays().get(e.getKey());
                out.put(e.getKey(), new Tensor(e.getValue().shape(), a.toFloatArray()));
            }
            Subnet trained = new Subnet(space, arch, out, init.bnEps(), init.metadata());
            return new Result(trained, epochs, steps, losses, (System.nanoTime() - t0) / 1e9);
        }
    }
}
