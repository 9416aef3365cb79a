package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArchEncodingTest {

    @Test
    void lengthIsDocumented() {
        assertEquals(16 * 6 + 3, new ArchEncoding(SearchSpace.fmnist()).length());
        assertEquals(20 * 6 + 25, new ArchEncoding(SearchSpace.ofaMbv3W10()).length());
    }

    @Test
    void encodesOneHotsAndZerosForSkippedBlocks() {
        SearchSpace s = SearchSpace.fmnist();
        List<BlockChoice> blocks = new ArrayList<>(s.uniform(3, 3, 2, 24).blocks());
        blocks.set(0, new BlockChoice(7, 4)); // stage 0 slot 0
        blocks.set(4, new BlockChoice(5, 6)); // stage 1 slot 0
        ArchConfig a = new ArchConfig(blocks, List.of(2, 3, 2, 4), 24);
        float[] v = new ArchEncoding(s).encode(a);
        float[] expected = new float[99];
        // slot layout: [k3 k5 k7 e3 e4 e6]
        setBlock(expected, 0, 2, 1); // k7 e4
        setBlock(expected, 1, 0, 0);
        setBlock(expected, 4, 1, 2); // k5 e6
        setBlock(expected, 5, 0, 0);
        setBlock(expected, 6, 0, 0); // stage 1 has depth 3
        setBlock(expected, 8, 0, 0);
        setBlock(expected, 9, 0, 0);
        for (int j = 12; j < 16; j++) {
            setBlock(expected, j, 0, 0); // stage 3 depth 4
        }
        expected[96 + 1] = 1; // resolution 24 is the 2nd of [20, 24, 28]
        assertArrayEquals(expected, v);
    }

    private static void setBlock(float[] v, int slot, int kIndex, int eIndex) {
        v[slot * 6 + kIndex] = 1;
        v[slot * 6 + 3 + eIndex] = 1;
    }

    @Test
    void everyEncodingHasOneHotPerActiveSlot() {
        SearchSpace s = SearchSpace.ofaMbv3W10();
        ArchEncoding enc = new ArchEncoding(s);
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 500; i++) {
            ArchConfig a = s.sample(rng);
            float[] v = enc.encode(a);
            float sum = 0;
            for (float x : v) {
                sum += x;
            }
            int active = a.depths().stream().mapToInt(Integer::intValue).sum();
            assertEquals(2 * active + 1, sum, 0);
        }
    }
}
