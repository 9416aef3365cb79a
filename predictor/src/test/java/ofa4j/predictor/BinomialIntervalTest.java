package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BinomialIntervalTest {

    // Reference values from the closed form, z = 1.959963984540054, p = k / n:
    // centre = (p + z^2 / 2n) / (1 + z^2 / n), half = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    @Test
    void wilsonIntervalOf850Of1000() {
        BinomialInterval ci = BinomialInterval.wilson95(850, 1000);
        assertEquals(0.8265313, ci.lower(), 1e-4);
        assertEquals(0.8707899, ci.upper(), 1e-4);
        assertEquals(2.2129293, ci.halfWidthPoints(), 1e-4);
        assertEquals(1000, ci.images());
        BinomialInterval fromAccuracy = BinomialInterval.wilson95(0.85, 1000);
        assertEquals(ci, fromAccuracy);
    }

    @Test
    void widerThanTwoPointsOnAThousandImagesNotOnTenThousand() {
        assertTrue(BinomialInterval.wilson95(0.85, 1000).widerThan(2));
        BinomialInterval tenThousand = BinomialInterval.wilson95(0.85, 10_000);
        assertEquals(0.8428672, tenThousand.lower(), 1e-4);
        assertEquals(0.8568640, tenThousand.upper(), 1e-4);
        assertFalse(tenThousand.widerThan(2));
    }

    @Test
    void describeIsOneLine() {
        // 1700 / 2000: 83.368-86.498%, half width 1.565 points
        assertEquals("95% interval 83.4-86.5% (+-1.6 points, 2000 images)", BinomialInterval.wilson95(0.85, 2000).describe());
    }

    @Test
    void boundsStayInsideZeroAndOne() {
        BinomialInterval all = BinomialInterval.wilson95(50, 50);
        assertEquals(1.0, all.upper(), 0.0);
        assertTrue(all.lower() > 0.9 && all.lower() < 1, all.describe());
        BinomialInterval none = BinomialInterval.wilson95(0, 50);
        assertEquals(0.0, none.lower(), 0.0);
        assertTrue(none.upper() > 0 && none.upper() < 0.1, none.describe());
    }

    @Test
    void badInputIsRefusedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinomialInterval.wilson95(0.5, 0));
        assertTrue(e.getMessage().contains("found 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BinomialInterval.wilson95(1.2, 100));
        assertTrue(e.getMessage().contains("1.2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BinomialInterval.wilson95(101, 100));
        assertTrue(e.getMessage().contains("found 101"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BinomialInterval.wilson95(Double.NaN, 100));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
