package ofa4j.supernet.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.supernet.ops.Ctx;
import org.junit.jupiter.api.Test;

class ElasticDepthwiseConvTest {

    /** OFA's get_active_filter written out in plain Java: centre crop, flatten, times M^T, repeat. */
    static float[] reference(float[] w, int c, int[] chain, float[][] mats, int kernel) {
        int src = chain[chain.length - 1];
        float[] cur = new float[c * src * src];
        int maxK = src;
        for (int ch = 0; ch < c; ch++) {
            System.arraycopy(w, ch * maxK * maxK, cur, ch * src * src, src * src);
        }
        for (int i = chain.length - 2; i >= 0 && src > kernel; i--) {
            int dst = chain[i];
            int off = (src - dst) / 2;
            float[] next = new float[c * dst * dst];
            for (int ch = 0; ch < c; ch++) {
                float[] crop = new float[dst * dst];
                for (int y = 0; y < dst; y++) {
                    for (int x = 0; x < dst; x++) {
                        crop[y * dst + x] = cur[ch * src * src + (y + off) * src + x + off];
                    }
                }
                for (int o = 0; o < dst * dst; o++) {
                    double s = 0;
                    for (int j = 0; j < dst * dst; j++) {
                        s += crop[j] * mats[i][o * dst * dst + j];
                    }
                    next[ch * dst * dst + o] = (float) s;
                }
            }
            cur = next;
            src = dst;
        }
        return cur;
    }

    @Test
    void activeFilterChainsTheTransformsLikeOfa() {
        try (NDManager m = NDManager.newBaseManager()) {
            Weights w = new Weights(m, 1);
            ElasticDepthwiseConv dw = new ElasticDepthwiseConv(w, "b.dw", 6, List.of(3, 5, 7));
            SplittableRandom rng = new SplittableRandom(2);
            float[][] mats = new float[2][];
            int[] sizes = {9, 25};
            String[] names = {"b.dw.ktrans.5to3", "b.dw.ktrans.7to5"};
            for (int i = 0; i < 2; i++) {
                mats[i] = new float[sizes[i] * sizes[i]];
                for (int j = 0; j < mats[i].length; j++) {
                    mats[i][j] = (float) rng.nextGaussian();
                }
                w.trainable().get(names[i]).getArray().set(mats[i]);
            }
            float[] master = dw.weight().getArray().toFloatArray();
            int[] chain = {3, 5, 7};
            for (int k : chain) {
                try (NDManager scope = m.newSubManager()) {
                    NDArray f = dw.activeFilter(Ctx.of(scope, false), 4, k);
                    assertEquals(new ai.djl.ndarray.types.Shape(4, 1, k, k), f.getShape());
                    float[] want = reference(master, 4, chain, mats, k);
                    float[] got = f.toFloatArray();
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), "kernel " + k + " element " + i);
                    }
                }
            }
            assertEquals(List.of("b.dw.weight", "b.dw.ktrans.7to5", "b.dw.ktrans.5to3"), dw.usedNames(3));
            assertEquals(List.of("b.dw.weight", "b.dw.ktrans.7to5"), dw.usedNames(5));
            assertEquals(List.of("b.dw.weight"), dw.usedNames(7));
        }
    }
}
