package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LruCacheTest {

    /** Weighs an entry by its value: with the map overhead, value v costs v + 80 bytes. */
    private static LruCache<String, Integer> cache(int entries, long bytes) {
        return new LruCache<>("test", entries, bytes, (k, v) -> v);
    }

    @Test
    void countLimitEvictsTheLeastRecentlyUsed() {
        LruCache<String, Integer> c = cache(2, 1_000_000);
        c.put("a", 1);
        c.put("b", 2);
        assertEquals(1, c.get("a")); // a is now more recent than b
        c.put("c", 3);
        assertNull(c.get("b"));
        assertEquals(1, c.get("a"));
        assertEquals(3, c.get("c"));
        assertEquals(new LruCache.Stats("test", 2, 2, 1 + 3 + 2 * LruCache.ENTRY_OVERHEAD, 1_000_000, 1), c.stats());
    }

    @Test
    void byteLimitEvictsUntilItHoldsAndRefusesAnEntryLargerThanTheLimit() {
        LruCache<String, Integer> c = cache(100, 1000);
        c.put("a", 400 - 80);
        c.put("b", 400 - 80);
        c.put("c", 400 - 80); // 1200 bytes: a goes
        assertNull(c.get("a"));
        assertEquals(800, c.stats().bytes());
        c.put("huge", 2000);
        assertNull(c.get("huge"));
        assertEquals(2, c.size());
        c.put("b", 100 - 80); // replacing an entry re-weighs it
        assertEquals(500, c.stats().bytes());
        assertEquals(320, c.remove("c"));
        assertEquals(100, c.stats().bytes());
        assertTrue(c.stats().bytes() <= c.stats().maxBytes());
    }

    @Test
    void limitsBelowOneAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache(0, 10));
        assertTrue(e.getMessage().contains("entry limit of the test cache") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cache(1, 0));
        assertTrue(e.getMessage().contains("byte limit"), e.getMessage());
    }

    @Test
    void cachingPredictorKeepsAtMostItsLimit() {
        CachingAccuracyPredictor p = new CachingAccuracyPredictor(
                new TestPredictors.SmoothAccuracy(ofa4j.models.SearchSpace.fmnist(), 3), 5, 1_000_000);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        java.util.List<ofa4j.models.ArchConfig> archs = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            archs.add(ofa4j.models.SearchSpace.fmnist().sample(rng));
        }
        double[] first = p.predict(archs);
        assertEquals(5, p.stats().entries());
        assertEquals(5, p.stats().maxEntries());
        // evicted predictions are computed again, to the same values
        assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(p.predict(archs)));
        assertEquals(5, p.size());
    }
}
