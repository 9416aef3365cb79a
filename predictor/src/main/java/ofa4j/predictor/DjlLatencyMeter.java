package ofa4j.predictor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Method;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.fixed.FixedLayer;
import ofa4j.supernet.fixed.FixedNetwork;

/**
 * Times layers and subnets in DJL's PyTorch engine on this machine, the way a Java service that
 * keeps the model in DJL runs it: static networks ({@link FixedNetwork}, {@link FixedLayer}) with
 * random weights, evaluation mode, channels-last feature maps, {@code threads} libtorch intra-op
 * threads, {@code warmup} untimed runs, then the median of {@code repeats} timed runs. Every run's
 * arrays live in a manager closed right after it, so memory stays flat over a whole profile.
 *
 * <p>libtorch's thread count is process-wide: the meter sets it when created and restores the
 * previous value when closed.
 */
public final class DjlLatencyMeter extends MeterSettings {

    /** Default warm-up runs (libtorch's first calls of a shape allocate and pick kernels). */
    public static final int DEFAULT_WARMUP = 10;

    /** Default timed runs. */
    public static final int DEFAULT_REPEATS = 50;

    /** Cap on the process warm-up, seconds. */
    public static final double PROCESS_WARMUP_SECONDS = 3.0;

    private final int previousThreads;

    /**
     * Creates a meter and sets libtorch's intra-op threads.
     *
     * @param space the space of the subnets timed
     * @param threads libtorch intra-op threads
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @param seed seed of random weights and inputs
     * @throws IllegalArgumentException on a non-positive count
     * @throws IllegalStateException if the default engine is not PyTorch
     */
    public DjlLatencyMeter(SearchSpace space, int threads, int batch, int warmup, int repeats, long seed) {
        super("PyTorch", space, threads, batch, warmup, repeats, seed);
        String engine = Engine.getInstance().getEngineName();
        if (!"PyTorch".equals(engine)) {
            throw new IllegalStateException("the PyTorch meter needs DJL's PyTorch engine, the default engine is " + engine);
        }
        this.previousThreads = (Integer) jni("getNumThreads");
        jni("setNumThreads", threads);
    }

    /**
     * The conventional device name of this machine's PyTorch profile, e.g. {@code cpu-pt-1t}, or
     * {@code cpu-pt-2t-b8} for batch 8.
     *
     * @param threads intra-op threads
     * @param batch batch size
     * @return the name
     */
    public static String defaultDeviceName(int threads, int batch) {
        return "cpu-pt-" + threads + "t" + (batch == 1 ? "" : "-b" + batch);
    }

    /** {@inheritDoc} */
    @Override
    public String engine() {
        return "pytorch";
    }

    /** {@inheritDoc} */
    @Override
    public double layerMs(LayerSpec layer) {
        return timeLayer(layer, warmup(), repeats(), Long.MAX_VALUE);
    }

    /** {@inheritDoc} */
    @Override
    public double subnetMs(ArchConfig arch) {
        return timeNetwork(RandomWeights.subnet(space, arch, seed), batchSize(), warmup(), repeats(), seed);
    }

    /** {@inheritDoc} */
    @Override
    public double modelMs(Subnet subnet, byte[] onnx) {
        return timeNetwork(subnet, batchSize(), warmup(), repeats(), seed);
    }


    private static double timeNetwork(Subnet subnet, int batch, int warmup, int repeats, long seed) {
        try (FixedNetwork net = new FixedNetwork(subnet); NDManager m = NDManager.newBaseManager()) {
            int r = subnet.arch().resolution();
            NDArray x = randomInput(m, new Shape(batch, subnet.space().inChannels(), r, r), seed);
            return median(warmup, repeats, Long.MAX_VALUE, () -> {
                try (NDManager run = m.newSubManager()) {
                    net.forward(run, x).toFloatArray(); // copies the logits out, as a caller would
                }
            });
        }
    }

    /**
     * Times {@code layer} repeatedly for at most {@link #PROCESS_WARMUP_SECONDS} s so that the
     * JVM and libtorch are warm before the table is timed.
     *
     * @param layer a representative layer
     */
    @Override
    public void warmUpProcess(LayerSpec layer) {
        long deadline = System.nanoTime() + (long) (PROCESS_WARMUP_SECONDS * 1e9);
        timeLayer(layer, 0, 100_000, deadline);
    }

    private double timeLayer(LayerSpec layer, int warm, int runs, long deadline) {
        Map<String, Tensor> w = RandomWeights.layer(layer, seed);
        try (FixedLayer l = new FixedLayer(layer, w); NDManager m = NDManager.newBaseManager()) {
            NDArray x = l.prepare(m, randomInput(m, l.inputShape(batchSize()), seed));
            return median(warm, runs, deadline, () -> {
                try (NDManager run = m.newSubManager()) {
                    l.forward(run, x);
                }
            });
        }
    }

    private static NDArray randomInput(NDManager m, Shape shape, long seed) {
        return m.create(randomInput(Math.toIntExact(shape.size()), seed), shape);
    }

    /** Median of timed runs, ms; stops early (keeping >= 1 run) once {@code deadline} passes. */
    private static double median(int warm, int runs, long deadline, Runnable pass) {
        for (int i = 0; i < warm; i++) {
            pass.run();
        }
        long[] t = new long[runs];
        int n = 0;
        while (n < runs && (n == 0 || System.nanoTime() < deadline)) {
            long s = System.nanoTime();
            pass.run();
            t[n++] = System.nanoTime() - s;
        }
        return medianMs(t, n);
    }

    /** Restores libtorch's previous thread count. */
    @Override
    public void close() {
        jni("setNumThreads", previousThreads);
    }

    // libtorch's thread count through reflection: the engine stays a runtime-only dependency
    // (STYLE.md 1), as in the supernet tests.
    private static Object jni(String method, int... arg) {
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.JniUtils");
            if (arg.length == 0) {
                return c.getMethod(method).invoke(null);
            }
            Method m = c.getMethod(method, int.class);
            return m.invoke(null, arg[0]);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call libtorch's " + method + ": " + e, e);
        }
    }
}
