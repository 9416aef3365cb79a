package ofa4j.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchesTest {

    /** A 1x4x4 image with pixel (y, x) = (4y + x + 1) / 16. */
    private static ImageSet ramp() {
        float[] px = new float[16];
        for (int i = 0; i < 16; i++) {
            px[i] = (i + 1) / 16f;
        }
        return new ImageSet("ramp", 1, 4, 4, px, new int[] {3}, 10);
    }

    @Test
    void noAugmentationEqualsPlainBatch() {
        ImageSet s = ramp();
        float[] zero = {0f};
        float[] one = {1f};
        try (NDManager m = NDManager.newBaseManager()) {
            float[] a = Batches.images(m, s, new int[] {0}, 4, zero, one).toFloatArray();
            float[] b = Batches.images(m, s, new int[] {0}, 4, zero, one, Batches.Augment.NONE, new SplittableRandom(1))
                    .toFloatArray();
            assertArrayEquals(a, b);
        }
    }

    @Test
    void augmentationShiftsWithZeroBorderFlipsAndIsSeeded() {
        ImageSet s = ramp();
        float[] zero = {0f};
        float[] one = {1f};
        try (NDManager m = NDManager.newBaseManager()) {
            int[] idx = new int[64];
            float[] a = Batches.images(m, s, idx, 4, zero, one, Batches.Augment.LIGHT, new SplittableRandom(5)).toFloatArray();
            float[] b = Batches.images(m, s, idx, 4, zero, one, Batches.Augment.LIGHT, new SplittableRandom(5)).toFloatArray();
            assertArrayEquals(a, b, "same seed, same batch");
            // Every augmented image is the ramp shifted by (dy, dx) in [-2, 2] and maybe mirrored:
            // replay the draws and check each pixel.
            SplittableRandom r = new SplittableRandom(5);
            int flips = 0;
            int shifted = 0;
            for (int i = 0; i < 64; i++) {
                int dy = r.nextInt(5) - 2;
                int dx = r.nextInt(5) - 2;
                boolean flip = r.nextBoolean();
                flips += flip ? 1 : 0;
                shifted += dy != 0 || dx != 0 ? 1 : 0;
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 4; x++) {
                        int sx = (flip ? 3 - x : x) + dx;
                        int sy = y + dy;
                        float want = sy < 0 || sy > 3 || sx < 0 || sx > 3 ? 0f : (4 * sy + sx + 1) / 16f;
                        assertEquals(want, a[i * 16 + y * 4 + x], 1e-7, "image " + i + " pixel " + y + "," + x);
                    }
                }
            }
            // both kinds of augmentation actually happen
            assertEquals(true, flips > 10 && flips < 54, "flips " + flips);
            assertEquals(true, shifted > 40, "shifted " + shifted);
        }
    }

    @Test
    void negativePaddingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Batches.Augment(-1, false));
    }
}
