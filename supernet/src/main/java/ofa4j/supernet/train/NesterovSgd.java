package ofa4j.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import ofa4j.models.AtomicFiles;

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

    private static final int FILE_MAGIC = 0x4f464153; // "OFAS"
    private static final int FILE_VERSION = 1;

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
     * Writes the momentum buffers (name, shape, floats) to {@code file} atomically.
     *
     * @param file the file
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        AtomicFiles.write(
                file,
                os -> {
                    DataOutputStream out = new DataOutputStream(os);
                    out.writeInt(FILE_MAGIC);
                    out.writeInt(FILE_VERSION);
                    out.writeDouble(momentum);
                    out.writeDouble(weightDecay);
                    out.writeInt(buffers.size());
                    for (Map.Entry<String, NDArray> e : buffers.entrySet()) {
                        out.writeUTF(e.getKey());
                        long[] shape = e.getValue().getShape().getShape();
                        out.writeInt(shape.length);
                        for (long d : shape) {
                            out.writeLong(d);
                        }
                        float[] v = e.getValue().toFloatArray();
                        out.writeInt(v.length);
                        for (float f : v) {
                            out.writeFloat(f);
                        }
                    }
                    out.flush();
                });
    }

    /**
     * Replaces the momentum buffers with those in {@code file}.
     *
     * @param file written by {@link #save(Path)}
     * @param params the parameters the buffers belong to (shapes are checked)
     * @throws IOException if the file is unreadable, of another format version, or names an
     *     unknown parameter or a wrong shape
     */
    public void load(Path file, Map<String, Parameter> params) throws IOException {
        reset();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int magic = in.readInt();
            int version = in.readInt();
            if (magic != FILE_MAGIC || version != FILE_VERSION) {
                throw new IOException(
                        "optimizer state " + file + " has magic/version " + Integer.toHexString(magic) + "/" + version
                                + ", expected " + Integer.toHexString(FILE_MAGIC) + "/" + FILE_VERSION);
            }
            in.readDouble();
            in.readDouble();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                long[] shape = new long[rank];
                for (int r = 0; r < rank; r++) {
                    shape[r] = in.readLong();
                }
                int len = in.readInt();
                float[] v = new float[len];
                for (int j = 0; j < len; j++) {
                    v[j] = in.readFloat();
                }
                Parameter p = params.get(name);
                if (p == null) {
                    throw new IOException("optimizer state " + file + " names unknown parameter " + name);
                }
                Shape s = new Shape(shape);
                if (!p.getArray().getShape().equals(s)) {
                    throw new IOException(
                            "optimizer state " + file + ": parameter " + name + " has shape " + p.getArray().getShape()
                                    + ", buffer has " + Arrays.toString(shape));
                }
                buffers.put(name, manager.create(v, s));
            }
        } catch (java.io.EOFException e) {
            throw new IOException("optimizer state " + file + " is truncated", e);
        }
    }

    /** Frees the momentum buffers. */
    @Override
    public void close() {
        buffers.clear();
        manager.close();
    }
}
