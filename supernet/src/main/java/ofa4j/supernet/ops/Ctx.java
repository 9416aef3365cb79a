package ofa4j.supernet.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The context of one forward pass: the manager that owns every temporary array (and the views of
 * the weights), the mode (training, evaluation or BN recalibration) and the constant arrays the
 * activations need. Constants are arrays of the scope, not boxed scalars, so that they stay alive
 * until after backward (DJL notes, pitfall 1).
 */
public final class Ctx {

    private final NDManager scope;
    private final boolean training;
    private final BnStatistics calibration;
    private final boolean channelsLast;
    private final FakeQuant quant;
    private NDArray sixth;

    private Ctx(NDManager scope, boolean training, BnStatistics calibration, boolean channelsLast) {
        this(scope, training, calibration, channelsLast, null);
    }

    private Ctx(NDManager scope, boolean training, BnStatistics calibration, boolean channelsLast, FakeQuant quant) {
        if (scope == null) {
            throw new IllegalArgumentException("the forward scope manager must not be null");
        }
        this.scope = scope;
        this.training = training;
        this.calibration = calibration;
        this.channelsLast = channelsLast;
        this.quant = quant;
    }

    /**
     * A training or evaluation pass.
     *
     * @param scope owner of all temporaries (close it after backward)
     * @param training true: batch norm uses batch statistics and updates the running statistics
     * @return the context
     */
    public static Ctx of(NDManager scope, boolean training) {
        return new Ctx(scope, training, null, CHANNELS_LAST);
    }

    /**
     * The default memory format of feature maps: channels-last (NHWC; training ran 2.5-4x faster
     * than NCHW here) when {@link MemoryFormatCheck} finds that this process computes it correctly,
     * else contiguous NCHW. libtorch 2.7.1's convolution computed 1x1 convolutions of channels-last
     * inputs wrongly with two intra-op threads for some output widths, so {@link Fn#conv} does them
     * as a matrix product; the check guards that.
     */
    public static final boolean CHANNELS_LAST = MemoryFormatCheck.channelsLastIsCorrect();

    /**
     * A training or evaluation pass with a chosen memory format.
     *
     * @param scope owner of all temporaries
     * @param training BN mode
     * @param channelsLast whether feature maps are laid out NHWC in memory (default {@link #CHANNELS_LAST})
     * @return the context
     */
    public static Ctx of(NDManager scope, boolean training, boolean channelsLast) {
        return new Ctx(scope, training, null, channelsLast);
    }

    /**
     * A BN-recalibration pass: batch norm normalises with the batch statistics and records them in
     * {@code stats}; stored running statistics are left alone.
     *
     * @param scope owner of all temporaries
     * @param stats the accumulator
     * @return the context
     */
    public static Ctx calibration(NDManager scope, BnStatistics stats) {
        return new Ctx(scope, false, stats, CHANNELS_LAST);
    }

    /**
     * A pass for gradients with respect to something other than the weights (architecture gates):
     * batch norm normalises with the batch statistics and records them in {@code stats}, stored
     * running statistics are left alone (as {@link #calibration}), and every intermediate array stays
     * in {@code scope} until it is closed (as in training), so that a backward pass after the forward
     * reads no freed array.
     *
     * @param scope owner of all temporaries (close it after backward)
     * @param stats the accumulator
     * @return the context
     */
    public static Ctx batchStatisticsWithGradients(NDManager scope, BnStatistics stats) {
        return new Ctx(scope, true, stats, CHANNELS_LAST);
    }

    /**
     * The same pass with another owner of temporaries (e.g. a per-block sub-manager).
     *
     * @param sub the new scope
     * @return the context
     */
    public Ctx withScope(NDManager sub) {
        return new Ctx(sub, training, calibration, channelsLast, quant);
    }

    /**
     * A fake-quantized pass (quantization-aware training or its evaluation): weights and the
     * activations the INT8 export quantizes go through {@code quant}, and batch norm stays in
     * inference mode whatever {@code training} says (running statistics, not updated): those are the
     * statistics the export folds into the convs, so the pass computes what the INT8 model does.
     *
     * @param scope owner of all temporaries
     * @param training true: every intermediate array stays in {@code scope} for a backward pass
     * @param quant the fake quantizer
     * @return the context
     */
    public static Ctx quantized(NDManager scope, boolean training, FakeQuant quant) {
        if (quant == null) {
            throw new IllegalArgumentException("a quantized pass needs a fake quantizer, found null");
        }
        return new Ctx(scope, training, null, CHANNELS_LAST, quant);
    }

    /** @return whether batch norm normalises with the batch statistics (training, not fake-quantized) */
    public boolean bnUsesBatchStatistics() {
        return training && quant == null;
    }

    /** @return the fake quantizer of a quantized pass, or null */
    public FakeQuant fakeQuant() {
        return quant;
    }

    /**
     * Fake-quantizes an activation in a quantized pass; any other pass returns it unchanged.
     *
     * @param name the ONNX value name of the tensor in the exported graph
     * @param x the tensor
     * @return the tensor as the INT8 model sees it
     */
    public NDArray quantizeActivation(String name, NDArray x) {
        return quant == null ? x : quant.activation(this, name, x);
    }

    /**
     * Fake-quantizes a conv or linear weight in a quantized pass; any other pass returns it unchanged.
     *
     * @param w the weight
     * @return the weight as the INT8 model sees it
     */
    public NDArray quantizeWeight(NDArray w) {
        return quant == null ? w : quant.weight(this, w);
    }

    /**
     * Rounds a layer's own bias to the export's int32 grid in a quantized pass; any other pass
     * returns it unchanged.
     *
     * @param input ONNX value name of the layer's input
     * @param w the layer's weight (unquantized)
     * @param b the bias
     * @return the bias as the INT8 model holds it
     */
    public NDArray quantizeBias(String input, NDArray w, NDArray b) {
        return quant == null ? b : quant.bias(this, input, w, b);
    }

    /**
     * Gives a conv + batch norm output the export's rounded folded bias in a quantized pass; any
     * other pass returns it unchanged.
     *
     * @param input ONNX value name of the conv's input
     * @param y the batch norm's output
     * @param w the conv's weight (unquantized)
     * @param bn gamma, beta, running mean, running variance
     * @return the output as the INT8 model's conv computes it
     */
    public NDArray quantizeFoldedBias(String input, NDArray y, NDArray w, NDArray[] bn) {
        return quant == null ? y : quant.foldedBias(this, input, y, w, bn, Fn.BN_EPS);
    }

    /** @return the manager of this pass */
    public NDManager scope() {
        return scope;
    }

    /** @return true in training mode */
    public boolean training() {
        return training;
    }

    /** @return whether feature maps are kept channels-last in memory */
    public boolean channelsLast() {
        return channelsLast;
    }

    /** @return the recalibration accumulator, or null outside recalibration */
    public BnStatistics calibration() {
        return calibration;
    }

    /** @return a scalar array 1/6 owned by the scope (for h-swish and h-sigmoid) */
    public NDArray sixth() {
        if (sixth == null) {
            sixth = scope.create(1f / 6f);
        }
        return sixth;
    }
}
