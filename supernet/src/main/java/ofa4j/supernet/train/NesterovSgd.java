package ofa4j.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import ofa4j.models.JsonFiles;
import ofa4j.models.Tensor;
import ofa4j.models.TensorFiles;

/**
 * Stochastic gradient descent with Nesterov momentum and decoupled-from-BN weight decay, written
 * by hand (not DJL's {@code Trainer}) so that a step updates only the parameters the step's subnets
 * used (DJL.md pitfall 5). Per parameter {@code w} with gradient {@code g}, as PyTorch's {@code
 * SGD(nesterov=True, dampening=0)}:
 *
 * <pre>
 *   g = g + weightDecay * w          (skipped for BN and bias parameters)
 *   b = momentum * b + g             (b starts at 0)
 *   w = w - lr * (g + momentum * b)
 *   grad(w) = 0
 * </pre>
 *
 * Momentum buffers live in this optimizer's own manager; every temporary of an update lives in the
 * caller's step manager. Scalars are NDArrays, never boxed numbers (DJL.md pitfall 1).
 */
public final class NesterovSgd implements AutoCloseable {

    /** Magic of the optimizer state file. */
    private static final byte[] FILE_MAGIC = "OFA4JOPT".getBytes(StandardCharsets.US_ASCII);
    /** Format version written; version 1 was the big-endian stream of {@link #readVersion1}. */
    private static final int FILE_VERSION = 2;
    /** First 4 bytes of a version-1 file ("OFAS" as a big-endian int). */
    private static final int VERSION1_MAGIC = 0x4f464153;
    /** Key of the buffer index in the header. */
    private static final String INDEX_KEY = "buffers";

    private final NDManager manager;
    private final double momentum;
    private final double weightDecay;
    private final Map<String, NDArray> buffers = new TreeMap<>();

    /**
     * Creates an optimizer with empty momentum buffers.
     *
     * @param parent manager the buffers' manager is a child of (the supernet's)
     * @param momentum momentum (OFA: 0.9)
     * @param weightDecay L2 weight decay on weights (OFA: 3e-5)
     */
    public NesterovSgd(NDManager parent, double momentum, double weightDecay) {
        if (momentum < 0 || momentum >= 1) {
            throw new IllegalArgumentException("momentum must be in [0, 1), found " + momentum);
        }
        if (weightDecay < 0) {
            throw new IllegalArgumentException("weight decay must be >= 0, found " + weightDecay);
        }
        this.manager = parent.newSubManager();
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    /** @return the momentum */
    public double momentum() {
        return momentum;
    }

    /** @return the weight decay */
    public double weightDecay() {
        return weightDecay;
    }

    /** @return number of momentum buffers (parameters updated at least once since the last reset) */
    public int bufferCount() {
        return buffers.size();
    }

    /**
     * Applies one update to the parameters {@code names} and zeroes their gradients. Parameters
     * whose array has no gradient are skipped.
     *
     * @param scope step manager owning every temporary
     * @param params all trainable parameters by name
     * @param names the parameters to update (the union of those the step used)
     * @param noDecay tells which parameters get no weight decay
     * @param lr learning rate of this step
     */
    public void step(
            NDManager scope,
            Map<String, Parameter> params,
            Collection<String> names,
            java.util.function.Predicate<String> noDecay,
            double lr) {
        NDArray lrA = scope.create((float) lr);
        NDArray momA = scope.create((float) momentum);
        NDArray wdA = scope.create((float) weightDecay);
        for (String name : names) {
            Parameter p = params.get(name);
            if (p == null) {
                throw new IllegalArgumentException("unknown parameter " + name);
            }
            NDArray w = p.getArray();
            if (!w.hasGradient()) {
                continue;
            }
            NDArray grad = w.getGradient();
            grad.attach(scope); // the wrapper dies with the step; the gradient tensor stays
            NDArray g = weightDecay > 0 && !noDecay.test(name) ? wdA.mul(w).addi(grad) : grad;
            NDArray buf = buffers.get(name);
            if (buf == null) {
                buf = manager.zeros(w.getShape(), DataType.FLOAT32);
                buffers.put(name, buf);
            }
            buf.muli(momA).addi(g);
            NDArray update = momA.mul(buf).addi(g).muli(lrA);
            w.subi(update);
            grad.subi(grad);
        }
    }

    /** Drops all momentum buffers (OFA starts each phase with a fresh optimizer). */
    public void reset() {
        buffers.values().forEach(NDArray::close);
        buffers.clear();
    }

    /**
     * Writes the momentum buffers atomically as a {@link TensorFiles} file: magic {@code OFA4JOPT},
     * format version 2, a header with the momentum and weight decay and, under {@code buffers}, each
     * buffer's parameter name and shape.
     *
     * @param file the file
     * @throws IOException if writing fails (the previous file stays)
     */
    public void save(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : buffers.entrySet()) {
            long[] shape = e.getValue().getShape().getShape();
            tensors.put(e.getKey(), new Tensor(Arrays.stream(shape).mapToInt(Math::toIntExact).toArray(),
                    e.getValue().toFloatArray()));
        }
        JsonObject header = JsonFiles.GSON.toJsonTree(new FileHeader(momentum, weightDecay)).getAsJsonObject();
        TensorFiles.write(file, FILE_MAGIC, FILE_VERSION, header, INDEX_KEY, tensors);
    }

    /**
     * The header of an optimizer file besides its buffer index (for people: {@link #load} uses the
     * optimizer's own settings, which a resumed run checks against the checkpoint manifest).
     *
     * @param momentum the momentum
     * @param weightDecay the weight decay
     */
    private record FileHeader(double momentum, double weightDecay) {}

    /**
     * Replaces the momentum buffers with those in {@code file}, written by {@link #save(Path)} or in
     * the first format (version 1: big-endian {@code DataOutputStream}, magic {@code 0x4f464153}).
     *
     * @param file the file
     * @param params the parameters the buffers belong to (shapes are checked)
     * @throws IOException if the file is unreadable, corrupt, of another format version, or names an
     *     unknown parameter or a wrong shape; the buffers are then left empty
     */
    public void load(Path file, Map<String, Parameter> params) throws IOException {
        reset();
        Map<String, Tensor> read = readState(file);
        for (Map.Entry<String, Tensor> e : read.entrySet()) {
            String name = e.getKey();
            Parameter p = params.get(name);
            if (p == null) {
                throw new IOException("optimizer state " + file + " names unknown parameter " + name);
            }
            long[] shape = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
            if (!Arrays.equals(p.getArray().getShape().getShape(), shape)) {
                throw new IOException(
                        "optimizer state " + file + ": parameter " + name + " has shape " + p.getArray().getShape()
                                + ", buffer has " + Arrays.toString(shape));
            }
        }
        read.forEach((name, t) -> buffers.put(name, manager.create(t.data(), new Shape(
                Arrays.stream(t.shape()).asLongStream().toArray()))));
    }

    /**
     * Reads and verifies an optimizer state file of either format without parameters to check it
     * against.
     *
     * @param file the file
     * @return the momentum buffers by parameter name
     * @throws IOException naming the file and what is wrong
     */
    public static Map<String, Tensor> readState(Path file) throws IOException {
        return TensorFiles.hasMagic(file, FILE_MAGIC)
                ? TensorFiles.read(file, FILE_MAGIC, "ofa4j optimizer state file", FILE_VERSION, FILE_VERSION, INDEX_KEY)
                        .tensors()
                : readVersion1(file);
    }

    /** Reads the first format: magic, version, momentum, decay, count, then per buffer name, shape, floats. */
    private static Map<String, Tensor> readVersion1(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int magic = in.readInt();
            int version = in.readInt();
            if (magic != VERSION1_MAGIC || version != 1) {
                throw new IOException("optimizer state " + file + " is neither an ofa4j optimizer state file (magic "
                        + new String(FILE_MAGIC, StandardCharsets.US_ASCII) + ") nor of the first format (magic/version "
                        + Integer.toHexString(VERSION1_MAGIC) + "/1); found " + Integer.toHexString(magic) + "/" + version);
            }
            in.readDouble(); // momentum
            in.readDouble(); // weight decay
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                if (rank < 0 || rank > 8) {
                    throw new IOException("optimizer state " + file + ": buffer " + name + " has rank " + rank);
                }
                int[] shape = new int[rank];
                for (int r = 0; r < rank; r++) {
                    shape[r] = Math.toIntExact(in.readLong());
                }
                int len = in.readInt();
                if (len < 0 || len > Files.size(file)) {
                    throw new IOException("optimizer state " + file + ": buffer " + name + " has " + len + " values");
                }
                float[] v = new float[len];
                for (int j = 0; j < len; j++) {
                    v[j] = in.readFloat();
                }
                out.put(name, new Tensor(shape, v));
            }
        } catch (java.io.EOFException e) {
            throw new IOException("optimizer state " + file + " is truncated", e);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException("optimizer state " + file + " is invalid: " + e.getMessage(), e);
        }
        return out;
    }

    /** Frees the momentum buffers. */
    @Override
    public void close() {
        buffers.clear();
        manager.close();
    }
}
