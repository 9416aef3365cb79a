package ofa4j.models;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order: the plain-Java form in which weights leave the
 * supernet ({@link Subnet}) and reach the exporter.
 *
 * @param shape dimensions
 * @param data values, {@code product(shape)} of them
 */
public record Tensor(int[] shape, float[] data) {

    /** Checks that the data length matches the shape. */
    public Tensor {
        shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor dimensions must be >= 0, found " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (data == null || data.length != n) {
            throw new IllegalArgumentException(
                    "tensor of shape "
                            + Arrays.toString(shape)
                            + " needs "
                            + n
                            + " values, found "
                            + (data == null ? "none" : data.length));
        }
    }

    /** @return number of elements */
    public int size() {
        return data.length;
    }

    /** @return a copy of the shape */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * @param i axis
     * @return size of axis {@code i}
     */
    public int dim(int i) {
        return shape[i];
    }

    /** @return number of axes */
    public int rank() {
        return shape.length;
    }

    /**
     * @param other another tensor
     * @return the largest absolute element difference; infinity if shapes differ
     */
    public double maxAbsDiff(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < data.length; i++) {
            m = Math.max(m, Math.abs((double) data[i] - other.data[i]));
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
