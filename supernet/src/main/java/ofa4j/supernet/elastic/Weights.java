package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The named arrays of a supernet: trainable {@link Parameter}s and non-trainable buffers (BN
 * running statistics), all owned by one manager, with the initial values drawn from one seeded
 * generator in registration order (so a seed gives the same weights on every engine).
 */
public final class Weights {

    private final NDManager manager;
    private final SplittableRandom rng;
    private final Map<String, Parameter> trainable = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    /**
     * @param manager owner of every array
     * @param seed initialisation seed
     */
    public Weights(NDManager manager, long seed) {
        this.manager = manager;
        this.rng = new SplittableRandom(seed);
    }

    /** @return the owner of every array */
    public NDManager manager() {
        return manager;
    }

    /** @return trainable parameters by name, in registration order (unmodifiable) */
    public Map<String, Parameter> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    /** @return non-trainable buffers (running statistics) by name (unmodifiable) */
    public Map<String, NDArray> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    /**
     * Registers a trainable parameter.
     *
     * @param name unique name
     * @param type DJL parameter type
     * @param shape shape
     * @param values initial values, row-major
     * @return the parameter (gradient required)
     */
    public Parameter param(String name, Parameter.Type type, Shape shape, float[] values) {
        checkNew(name);
        NDArray a = manager.create(values, shape);
        Parameter p = Parameter.builder().setName(name).setType(type).optArray(a).optRequiresGrad(true).build();
        p.initialize(manager, DataType.FLOAT32);
        trainable.put(name, p);
        return p;
    }

    /**
     * Registers a non-trainable buffer.
     *
     * @param name unique name
     * @param shape shape
     * @param values initial values
     * @return the array
     */
    public NDArray buffer(String name, Shape shape, float[] values) {
        checkNew(name);
        NDArray a = manager.create(values, shape);
        a.setName(name);
        buffers.put(name, a);
        return a;
    }

    private void checkNew(String name) {
        if (trainable.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalStateException("weight '" + name + "' registered twice");
        }
    }

    /**
     * OFA's "he_fout" initialisation of a conv weight: normal with std sqrt(2 / (k * k * out)).
     *
     * @param shape [out, in/groups, k, k]
     * @return values
     */
    public float[] heFout(Shape shape) {
        double n = shape.get(0) * shape.get(2) * shape.get(3);
        return normal(shape.size(), Math.sqrt(2.0 / n));
    }

    /**
     * PyTorch's / OFA's linear initialisation: uniform in +-1/sqrt(in).
     *
     * @param shape [out, in]
     * @return values
     */
    public float[] linearInit(Shape shape) {
        double b = 1.0 / Math.sqrt(shape.get(1));
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble(-b, b));
        }
        return v;
    }

    private float[] normal(long n, double std) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return v;
    }

    /**
     * @param n length
     * @param value the value
     * @return {@code n} copies of value
     */
    public static float[] filled(long n, float value) {
        float[] v = new float[(int) n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    /**
     * @param k size
     * @return the k x k identity, row-major
     */
    public static float[] identity(int k) {
        float[] v = new float[k * k];
        for (int i = 0; i < k; i++) {
            v[i * k + i] = 1f;
        }
        return v;
    }
}
