package ofa4j.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataSplitsTest {

    /** Image i has every pixel = i / n and label i % 10, so images identify themselves. */
    static ImageSet numbered(int n) {
        float[] px = new float[n * 16];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < 16; p++) {
                px[i * 16 + p] = (float) i / n;
            }
            y[i] = i % 10;
        }
        return new ImageSet("toy/train", 1, 4, 4, px, y, 10);
    }

    /**
     * The permutation behind every validation split and epoch order stays the same for a seed:
     * values computed by the hand-written Fisher-Yates this class had before it used {@code Shuffle}.
     */
    @Test
    void permutationOfASeedIsPinned() {
        assertArrayEquals(new int[] {4, 14, 17, 1, 7, 12, 8, 18, 13, 5, 3, 0, 2, 10, 16, 19, 15, 9, 6, 11},
                DataSplits.permutation(20, new java.util.SplittableRandom(42)));
        int[] p = DataSplits.permutation(60000, new java.util.SplittableRandom(DataSplits.DEFAULT_SPLIT_SEED));
        assertArrayEquals(new int[] {25178, 550, 1855, 14490, 21726, 50459, 21759, 14044}, java.util.Arrays.copyOf(p, 8));
        assertEquals(34000, p[59999]);
    }

    @Test
    void validationIsCarvedDisjointAndReproducible() {
        ImageSet full = numbered(1000);
        DataSplits a = DataSplits.carve(full, numbered(50), 100, 7, 0, 0, 0);
        DataSplits b = DataSplits.carve(full, numbered(50), 100, 7, 0, 0, 0);
        assertEquals(900, a.train().size());
        assertEquals(100, a.val().size());
        Set<Float> train = new HashSet<>();
        for (int i = 0; i < a.train().size(); i++) {
            train.add(a.train().pixels()[i * 16]);
        }
        for (int i = 0; i < a.val().size(); i++) {
            assertTrue(!train.contains(a.val().pixels()[i * 16]), "validation image also in train");
        }
        assertArrayEquals(a.val().pixels(), b.val().pixels());
        assertEquals(a.fingerprint(), b.fingerprint());
        DataSplits c = DataSplits.carve(full, numbered(50), 100, 8, 0, 0, 0);
        assertNotEquals(a.fingerprint(), c.fingerprint());
        // statistics come from the train split only
        float[] m = a.train().channelMean();
        assertArrayEquals(m, a.mean());
        assertArrayEquals(a.train().channelStd(m), a.std());
    }

    @Test
    void subsetsKeepTheSameSplit() {
        ImageSet full = numbered(1000);
        DataSplits all = DataSplits.carve(full, numbered(50), 100, 7, 0, 0, 0);
        DataSplits small = DataSplits.carve(full, numbered(50), 100, 7, 200, 30, 20);
        assertEquals(200, small.train().size());
        assertEquals(30, small.val().size());
        assertEquals(20, small.test().size());
        for (int i = 0; i < 30; i++) {
            assertEquals(all.val().pixels()[i * 16], small.val().pixels()[i * 16]);
        }
    }

    @Test
    void oneSetSplitsIntoThreeDisjointParts() {
        DataSplits d = DataSplits.carveAll(numbered(200), 30, 20, 3);
        assertEquals(150, d.train().size());
        assertEquals(30, d.val().size());
        assertEquals(20, d.test().size());
        Set<Float> seen = new HashSet<>();
        for (ImageSet s : new ImageSet[] {d.train(), d.val(), d.test()}) {
            for (int i = 0; i < s.size(); i++) {
                assertTrue(seen.add(s.pixels()[i * 16]), "image in two splits");
            }
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DataSplits.carveAll(numbered(50), 30, 20, 3));
        assertTrue(e.getMessage().contains("of 50 images"), e.getMessage());
    }

    @Test
    void badSizesAreNamed() {
        ImageSet full = numbered(100);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DataSplits.carve(full, numbered(5), 100, 1, 0, 0, 0));
        assertTrue(e.getMessage().contains("[1, 99]") && e.getMessage().contains("100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataSplits.carve(full, numbered(5), 10, 1, -1, 0, 0));
    }
}
