package ofa4j.predictor;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/**
 * Times ONNX models in ONNX Runtime on this machine: one session per model (all graph
 * optimisations, sequential execution, {@code threads} intra-op threads, default 1), a random
 * input of the model's input shape with the batch dimension set, {@code warmup} untimed runs, then
 * the median of {@code repeats} timed runs.
 */
public final class OrtLatencyMeter extends MeterSettings {

    /** Default warm-up runs. */
    public static final int DEFAULT_WARMUP = 30;

    /** Default timed runs. */
    public static final int DEFAULT_REPEATS = 200;

    /** Runs of one small model before profiling (JIT warm-up of the ORT Java call path). */
    public static final int PROCESS_WARMUP_RUNS = 30_000;

    /** Cap on the process warm-up, seconds. */
    public static final double PROCESS_WARMUP_SECONDS = 3.0;

    private final OnnxModelSource models;
    private final OrtEnvironment env;

    /**
     * Creates a meter.
     *
     * @param space the space of the subnets timed
     * @param models builds the ONNX models
     * @param threads intra-op threads (1 recommended for small models on a shared machine)
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @param seed seed of random weights and inputs
     */
    public OrtLatencyMeter(
            SearchSpace space, OnnxModelSource models, int threads, int batch, int warmup, int repeats, long seed) {
        super("ONNX Runtime", space, threads, batch, warmup, repeats, seed);
        this.models = models;
        this.env = OrtEnvironment.getEnvironment();
    }

    /**
     * A meter timing the ofa4j exporter's models with the default warm-up and repeats.
     *
     * @param space the space
     * @param threads intra-op threads (default choice: 1)
     * @param batch batch size (single-layer models have batch 1)
     * @return the meter
     */
    public static OrtLatencyMeter withExporter(SearchSpace space, int threads, int batch) {
        return new OrtLatencyMeter(space, new ExporterModels(), threads, batch, DEFAULT_WARMUP, DEFAULT_REPEATS, 1);
    }

    /**
     * The conventional device name of this machine's ONNX Runtime profile, e.g. {@code cpu-ort-1t}.
     *
     * @param threads intra-op threads
     * @return the name
     */
    public static String defaultDeviceName(int threads) {
        return "cpu-ort-" + threads + "t";
    }

    /** {@inheritDoc} */
    @Override
    public String engine() {
        return "onnxruntime";
    }

    /** {@inheritDoc} The precision of the model source's models. */
    @Override
    public Precision precision() {
        return models.precision();
    }

    /** {@inheritDoc} */
    @Override
    public double layerMs(LayerSpec layer) {
        return medianMs(models.layerModel(layer, seed));
    }

    /** {@inheritDoc} */
    @Override
    public double subnetMs(ArchConfig arch) {
        return medianMs(models.subnetModel(RandomWeights.subnet(space, arch, seed)));
    }

    /** {@inheritDoc} */
    @Override
    public double modelMs(ofa4j.models.Subnet subnet, byte[] onnx) {
        return medianMs(onnx);
    }

    /**
     * Runs one layer model {@link #PROCESS_WARMUP_RUNS} times (at most {@link
     * #PROCESS_WARMUP_SECONDS} s) so that the JVM has compiled the ONNX Runtime call path before
     * anything is timed.
     *
     * @param layer a representative layer
     */
    @Override
    public void warmUpProcess(LayerSpec layer) {
        byte[] m = models.layerModel(layer, seed);
        long deadline = System.nanoTime() + (long) (PROCESS_WARMUP_SECONDS * 1e9);
        try (OrtSession.SessionOptions opts = sessionOptions(threads());
                OrtSession session = env.createSession(m, opts)) {
            try (Feed f = new Feed(session)) {
                Map<String, OnnxTensor> feed = f.feed;
                for (int i = 0; i < PROCESS_WARMUP_RUNS && System.nanoTime() < deadline; i++) {
                    session.run(feed).close(); // untimed
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not run a warm-up model: " + e.getMessage(), e);
        }
        for (int i = 0; i < 5; i++) {
            medianMs(m);
        }
    }

    /**
     * Times one serialised model.
     *
     * @param onnx the model
     * @return median latency of one run, ms
     */
    public double medianMs(byte[] onnx) {
        try (OrtSession.SessionOptions opts = sessionOptions(threads());
                OrtSession session = env.createSession(onnx, opts);
                Feed f = new Feed(session)) {
            for (int i = 0; i < warmup(); i++) {
                session.run(f.feed).close(); // untimed
            }
            long[] t = new long[repeats()];
            timeRuns(session, f, t, 0, t.length);
            return medianMs(t, t.length);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not time a model: " + e.getMessage(), e);
        }
    }

    /**
     * Times a model against a reference model in interleaved rounds: both are warmed up, then each
     * round times {@code repeats / rounds} runs of one and of the other (alternating which goes
     * first), and the result is the median over rounds of model / reference. Both see the same
     * moments of the machine, so a slow episode or a spike of a few seconds cancels in the ratio,
     * which it does not when they are timed a whole model run apart (docs/experiments.md).
     *
     * @param model the model to time
     * @param reference the reference (anchor) model
     * @param rounds interleaved rounds (>= 1)
     * @return {@code {median model ms, median reference ms, median ratio}}
     */
    public double[] pairedMs(byte[] model, byte[] reference, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("paired timing needs >= 1 round, found " + rounds);
        }
        int per = Math.max(1, repeats() / rounds);
        try (OrtSession.SessionOptions opts = sessionOptions(threads());
                OrtSession a = env.createSession(model, opts);
                OrtSession b = env.createSession(reference, opts);
                Feed fa = new Feed(a);
                Feed fb = new Feed(b)) {
            for (int i = 0; i < warmup(); i++) {
                a.run(fa.feed).close(); // untimed
                b.run(fb.feed).close();
            }
            long[] ta = new long[per * rounds];
            long[] tb = new long[per * rounds];
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                boolean modelFirst = r % 2 == 0;
                timeRuns(modelFirst ? a : b, modelFirst ? fa : fb, modelFirst ? ta : tb, r * per, per);
                timeRuns(modelFirst ? b : a, modelFirst ? fb : fa, modelFirst ? tb : ta, r * per, per);
                ratios[r] = medianMs(java.util.Arrays.copyOfRange(ta, r * per, (r + 1) * per), per)
                        / medianMs(java.util.Arrays.copyOfRange(tb, r * per, (r + 1) * per), per);
            }
            java.util.Arrays.sort(ratios);
            double ratio = rounds % 2 == 1 ? ratios[rounds / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
            return new double[] {medianMs(ta, ta.length), medianMs(tb, tb.length), ratio};
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not time a model: " + e.getMessage(), e);
        }
    }

    private static void timeRuns(OrtSession session, Feed f, long[] out, int from, int n) throws OrtException {
        for (int i = from; i < from + n; i++) {
            long s = System.nanoTime();
            OrtSession.Result r = session.run(f.feed);
            out[i] = System.nanoTime() - s;
            r.close();
        }
    }

    /**
     * A seeded random input of a session's shape, closed with the session: float values in [-1, 1),
     * or random bytes for a uint8 input (an INT8 layer model reads the quantized output of the
     * layer before it).
     */
    private final class Feed implements AutoCloseable {
        final OnnxTensor x;
        final Map<String, OnnxTensor> feed;

        Feed(OrtSession session) throws OrtException {
            Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
            long[] shape = inputShape(in.getValue(), batchSize());
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            if (in.getValue().getInfo() instanceof TensorInfo ti && ti.type == ai.onnxruntime.OnnxJavaType.UINT8) {
                byte[] b = new byte[n];
                new java.util.SplittableRandom(seed).nextBytes(b);
                x = OnnxTensor.createTensor(env, java.nio.ByteBuffer.wrap(b), shape, ai.onnxruntime.OnnxJavaType.UINT8);
            } else {
                x = OnnxTensor.createTensor(env, FloatBuffer.wrap(randomInput(n, seed)), shape);
            }
            feed = Map.of(in.getKey(), x);
        }

        @Override
        public void close() {
            x.close();
        }
    }

    /**
     * Session options used for timing: all optimisations, sequential, {@code threads} intra-op
     * threads, one inter-op thread.
     *
     * @param threads intra-op threads
     * @return new options (close them)
     * @throws OrtException on failure
     */
    public static OrtSession.SessionOptions sessionOptions(int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return o;
    }

    /**
     * The input shape of a model input with dynamic dimensions (batch) set to {@code batch}.
     *
     * @param info the input's info
     * @param batch batch size
     * @return the concrete shape
     */
    public static long[] inputShape(NodeInfo info, int batch) {
        if (!(info.getInfo() instanceof TensorInfo ti)) {
            throw new IllegalArgumentException("model input " + info.getName() + " is not a tensor");
        }
        long[] shape = ti.getShape().clone();
        if (shape.length > 0 && shape[0] >= 0 && shape[0] != batch) {
            throw new IllegalArgumentException(
                    "model input " + info.getName() + " has a fixed batch of " + shape[0] + ", cannot time batch "
                            + batch);
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                shape[i] = batch;
            }
        }
        return shape;
    }

    /**
     * Reads the input shape of a serialised model.
     *
     * @param onnx the model
     * @param batch the batch size to put in dynamic dimensions
     * @return the input shape
     */
    public static long[] inputShape(byte[] onnx, int batch) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = sessionOptions(1); OrtSession s = env.createSession(onnx, o)) {
            return inputShape(s.getInputInfo().values().iterator().next(), batch);
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /** Nothing to release: the ONNX Runtime environment is process-wide. */
    @Override
    public void close() {}
}
