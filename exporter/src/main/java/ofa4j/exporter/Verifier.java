package ofa4j.exporter;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs an ONNX model in ONNX Runtime (CPU) to check an export: outputs for a float NCHW batch,
 * comparison against a reference within a tolerance, and median latency. One instance owns one
 * {@link OrtSession}; close it (try-with-resources). Every {@link OnnxTensor} and result is closed
 * before a method returns. The process-wide {@link OrtEnvironment} is shared and never closed.
 */
public final class Verifier implements AutoCloseable {

    /** Default intra-op threads: 1, so that timings are stable on a shared machine. */
    public static final int DEFAULT_THREADS = 1;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;
    private final int threads;

    private Verifier(OrtEnvironment env, OrtSession session, int threads) throws OrtException {
        this.env = env;
        this.session = session;
        this.threads = threads;
        this.inputName = session.getInputNames().iterator().next();
        NodeInfo info = session.getInputInfo().get(inputName);
        this.inputShape = ((TensorInfo) info.getInfo()).getShape();
    }

    /**
     * Loads a model from bytes with {@link #DEFAULT_THREADS} intra-op thread.
     *
     * @param model ONNX bytes
     * @return the verifier
     * @throws IllegalArgumentException if ONNX Runtime refuses the model (its message included)
     */
    public static Verifier open(byte[] model) {
        return open(model, DEFAULT_THREADS);
    }

    /**
     * Loads a model from bytes.
     *
     * @param model ONNX bytes
     * @param intraOpThreads ONNX Runtime intra-op threads, >= 1
     * @return the verifier
     * @throws IllegalArgumentException if the thread count is not positive or ONNX Runtime refuses
     *     the model (its message included)
     */
    public static Verifier open(byte[] model, int intraOpThreads) {
        if (model == null || model.length == 0) {
            throw new IllegalArgumentException("model bytes must not be empty");
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, found " + intraOpThreads);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(intraOpThreads);
            opts.setInterOpNumThreads(1);
            OrtSession s = env.createSession(model, opts);
            try {
                return new Verifier(env, s, intraOpThreads);
            } catch (OrtException | RuntimeException e) {
                s.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    /**
     * Loads a model file with {@link #DEFAULT_THREADS} intra-op thread.
     *
     * @param file an ONNX file
     * @return the verifier
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if ONNX Runtime refuses it
     */
    public static Verifier open(Path file) throws IOException {
        return open(file, DEFAULT_THREADS);
    }

    /**
     * Loads a model file.
     *
     * @param file an ONNX file
     * @param intraOpThreads ONNX Runtime intra-op threads, >= 1
     * @return the verifier
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if ONNX Runtime refuses it
     */
    public static Verifier open(Path file, int intraOpThreads) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return open(bytes, intraOpThreads);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** @return the model's (first) input name */
    public String inputName() {
        return inputName;
    }

    /** @return the model's input shape, -1 for symbolic dimensions such as the batch */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** @return intra-op threads of this session */
    public int threads() {
        return threads;
    }

    /**
     * The first output of a run.
     *
     * @param shape output shape
     * @param data output values, row-major
     */
    public record Output(long[] shape, float[] data) {
        /**
         * Copies the arrays.
         *
         * @param shape output shape
         * @param data output values, row-major
         */
        public Output {
            shape = shape.clone();
            data = data.clone();
        }

        /** @return a copy of the output shape */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** @return a copy of the output values */
        @Override
        public float[] data() {
            return data.clone();
        }
    }

    /**
     * Runs the model once.
     *
     * @param input values in row-major order (NCHW for images)
     * @param shape the input shape; must match the model's input except where it is symbolic
     * @return the first output
     * @throws IllegalArgumentException if the shape does not fit the model or the data
     */
    public Output run(float[] input, long... shape) {
        checkShape(input, shape);
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result r = session.run(Collections.singletonMap(inputName, t))) {
            OnnxValue v = r.get(0);
            if (!(v instanceof OnnxTensor out)) {
                throw new IllegalStateException("first output is not a tensor but " + v.getType());
            }
            FloatBuffer fb = out.getFloatBuffer();
            float[] data = new float[fb.remaining()];
            fb.get(data);
            return new Output(out.getInfo().getShape(), data);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to run on input " + Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs the model once and returns every float output by name, in the model's output order: used
     * to read intermediate values of a model whose graph lists them as outputs (INT8 calibration).
     *
     * @param input values in row-major order (NCHW for images)
     * @param shape the input shape; must match the model's input except where it is symbolic
     * @return output name to its values, row-major
     * @throws IllegalArgumentException if the shape does not fit the model or the data
     * @throws IllegalStateException if ONNX Runtime fails or an output is not a float tensor
     */
    public Map<String, float[]> runAll(float[] input, long... shape) {
        checkShape(input, shape);
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result r = session.run(Collections.singletonMap(inputName, t))) {
            for (Map.Entry<String, OnnxValue> e : r) {
                if (!(e.getValue() instanceof OnnxTensor o) || o.getInfo().type != ai.onnxruntime.OnnxJavaType.FLOAT) {
                    throw new IllegalStateException("output '" + e.getKey() + "' is not a float tensor but "
                            + e.getValue().getInfo());
                }
                FloatBuffer fb = o.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                out.put(e.getKey(), data);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to run on input " + Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
        return out;
    }

    private void checkShape(float[] input, long[] shape) {
        if (input == null || shape == null) {
            throw new IllegalArgumentException("input and shape must not be null");
        }
        if (shape.length != inputShape.length) {
            throw new IllegalArgumentException(
                    "input '" + inputName + "' must have rank " + inputShape.length + " " + Arrays.toString(inputShape)
                            + ", found shape " + Arrays.toString(shape));
        }
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 1 || (inputShape[i] >= 0 && inputShape[i] != shape[i])) {
                throw new IllegalArgumentException(
                        "input '" + inputName + "' must have shape " + Arrays.toString(inputShape)
                                + " (-1 = any), found " + Arrays.toString(shape));
            }
            n *= shape[i];
        }
        if (n != input.length) {
            throw new IllegalArgumentException(
                    "input of shape " + Arrays.toString(shape) + " needs " + n + " values, found " + input.length);
        }
    }

    /**
     * The result of comparing a model's output with a reference.
     *
     * @param maxAbsDiff largest |ORT - reference| (infinite if sizes differ or a value is not finite)
     * @param worstIndex index of the largest difference, -1 if sizes differ
     * @param actual ORT's value there
     * @param expected the reference value there
     * @param count number of values compared
     * @param tolerance the absolute tolerance
     * @param passed {@code maxAbsDiff <= tolerance}
     */
    public record Comparison(
            double maxAbsDiff, int worstIndex, float actual, float expected, int count, double tolerance, boolean passed) {

        /** @return a one-line report, e.g. {@code PASS: max |ORT - reference| = 2.1e-06 <= 1.0e-04 ...} */
        public String report() {
            if (worstIndex < 0) {
                return "FAIL: ORT produced a different number of values than the reference (" + count + ")";
            }
            return String.format(
                    Locale.ROOT,
                    "%s: max |ORT - reference| = %.3e %s %.1e over %d values (worst at index %d: ORT %.6f, reference %.6f)",
                    passed ? "PASS" : "FAIL",
                    maxAbsDiff,
                    passed ? "<=" : ">",
                    tolerance,
                    count,
                    worstIndex,
                    actual,
                    expected);
        }
    }

    /**
     * Runs the model and compares its first output with a reference.
     *
     * @param input the input values
     * @param shape the input shape
     * @param reference expected output values, row-major
     * @param tolerance absolute tolerance, >= 0
     * @return the comparison (never throws on a mismatch)
     */
    public Comparison compare(float[] input, long[] shape, float[] reference, double tolerance) {
        if (!(tolerance >= 0)) {
            throw new IllegalArgumentException("tolerance must be >= 0, found " + tolerance);
        }
        float[] out = run(input, shape).data;
        return compareArrays(out, reference, tolerance);
    }

    static Comparison compareArrays(float[] out, float[] reference, double tolerance) {
        if (out.length != reference.length) {
            return new Comparison(Double.POSITIVE_INFINITY, -1, Float.NaN, Float.NaN, out.length, tolerance, false);
        }
        double max = -1;
        int worst = 0;
        for (int i = 0; i < out.length; i++) {
            double d = Math.abs((double) out[i] - reference[i]);
            if (Double.isNaN(d)) {
                d = Double.POSITIVE_INFINITY;
            }
            if (d > max) {
                max = d;
                worst = i;
            }
        }
        if (out.length == 0) {
            return new Comparison(0, 0, Float.NaN, Float.NaN, 0, tolerance, true);
        }
        return new Comparison(max, worst, out[worst], reference[worst], out.length, tolerance, max <= tolerance);
    }

    /**
     * Times the model: runs {@code warmup} untimed then {@code repeats} timed inferences on one
     * seeded random batch and returns the median wall time of {@code session.run}.
     *
     * @param batch batch size for symbolic batch dimensions (a fixed dimension must equal it)
     * @param warmup untimed runs, >= 0
     * @param repeats timed runs, >= 1
     * @return median latency in milliseconds
     */
    public double medianLatencyMs(int batch, int warmup, int repeats) {
        if (batch < 1 || warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException(
                    "need batch >= 1, warmup >= 0, repeats >= 1; found " + batch + ", " + warmup + ", " + repeats);
        }
        long[] shape = inputShape.clone();
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                shape[i] = i == 0 ? batch : 1;
            } else if (i == 0 && shape[i] != batch) {
                throw new IllegalArgumentException(
                        "model input '" + inputName + "' has a fixed batch of " + shape[i] + ", cannot time batch " + batch);
            }
            n *= shape[i];
        }
        float[] x = new float[Math.toIntExact(n)];
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        double[] times = new double[repeats];
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
            Map<String, OnnxTensor> feed = Collections.singletonMap(inputName, t);
            for (int i = 0; i < warmup + repeats; i++) {
                long t0 = System.nanoTime();
                OrtSession.Result r = session.run(feed);
                long t1 = System.nanoTime();
                r.close();
                if (i >= warmup) {
                    times[i - warmup] = (t1 - t0) / 1e6;
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed while timing: " + e.getMessage(), e);
        }
        Arrays.sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;
    }

    /**
     * Loads a model and compares its output with a reference, with one intra-op thread.
     *
     * @param model ONNX bytes
     * @param input input values
     * @param shape input shape
     * @param reference expected output
     * @param tolerance absolute tolerance
     * @return the comparison
     */
    public static Comparison compare(byte[] model, float[] input, long[] shape, float[] reference, double tolerance) {
        try (Verifier v = open(model)) {
            return v.compare(input, shape, reference, tolerance);
        }
    }

    /**
     * Loads a model and returns its median latency with {@link #DEFAULT_THREADS} intra-op thread.
     *
     * @param model ONNX bytes
     * @param batch batch size
     * @param warmup untimed runs
     * @param repeats timed runs
     * @return median latency in milliseconds
     */
    public static double medianLatencyMs(byte[] model, int batch, int warmup, int repeats) {
        try (Verifier v = open(model)) {
            return v.medianLatencyMs(batch, warmup, repeats);
        }
    }

    /** Closes the session. */
    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX Runtime session failed: " + e.getMessage(), e);
        }
    }
}
