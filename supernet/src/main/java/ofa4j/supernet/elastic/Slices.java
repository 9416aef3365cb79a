package ofa4j.supernet.elastic;

import ai.djl.ndarray.NDArray;
import ofa4j.models.Tensor;

/** Plain-Java copies of leading boxes and permutations of arrays (extraction and sorting). */
final class Slices {

    private Slices() {}

    static int[] shapeOf(NDArray a) {
        long[] s = a.getShape().getShape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.toIntExact(s[i]);
        }
        return out;
    }

    /** Copies the leading box {@code [0:sizes[0], ...]} of {@code a} (sizes cover every axis). */
    static Tensor lead(NDArray a, int... sizes) {
        return lead(new Tensor(shapeOf(a), a.toFloatArray()), sizes);
    }

    static Tensor lead(Tensor t, int... sizes) {
        int[] shape = t.shape();
        if (sizes.length != shape.length) {
            throw new IllegalArgumentException("need " + shape.length + " sizes, found " + sizes.length);
        }
        int[] strides = strides(shape);
        int n = 1;
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] > shape[i] || sizes[i] < 0) {
                throw new IllegalArgumentException(
                        "slice size " + sizes[i] + " of axis " + i + " exceeds " + shape[i]);
            }
            n *= sizes[i];
        }
        float[] out = new float[n];
        float[] src = t.data();
        int[] idx = new int[sizes.length];
        for (int o = 0; o < n; o++) {
            int off = 0;
            for (int d = 0; d < idx.length; d++) {
                off += idx[d] * strides[d];
            }
            out[o] = src[off];
            for (int d = idx.length - 1; d >= 0; d--) {
                if (++idx[d] < sizes[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return new Tensor(sizes, out);
    }

    static int[] strides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /** Returns data permuted along {@code axis}: {@code out[..., i, ...] = in[..., perm[i], ...]}. */
    static float[] permute(float[] data, int[] shape, int axis, int[] perm) {
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int len = shape[axis];
        if (perm.length != len) {
            throw new IllegalArgumentException("permutation of length " + perm.length + " for axis of " + len);
        }
        float[] out = new float[data.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < len; i++) {
                System.arraycopy(data, (o * len + perm[i]) * inner, out, (o * len + i) * inner, inner);
            }
        }
        return out;
    }

    /** Permutes {@code a} in place along {@code axis}. */
    static void permuteInPlace(NDArray a, int axis, int[] perm) {
        ofa4j.supernet.ops.Fn.assign(a, permute(a.toFloatArray(), shapeOf(a), axis, perm));
    }

    /** Sum of absolute values per index of {@code axis}. */
    static double[] l1PerIndex(NDArray a, int axis, int limit) {
        int[] shape = shapeOf(a);
        float[] d = a.toFloatArray();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int len = shape[axis];
        double[] out = new double[Math.min(limit, len)];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < out.length; i++) {
                int base = (o * len + i) * inner;
                for (int j = 0; j < inner; j++) {
                    out[i] += Math.abs(d[base + j]);
                }
            }
        }
        return out;
    }

    /** Indices sorted by descending value, ties kept in index order (a stable sort). */
    static int[] argsortDescending(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(v[b], v[a]));
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
