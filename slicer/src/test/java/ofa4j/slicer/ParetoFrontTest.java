package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class ParetoFrontTest {

    private static Candidate point(long macs, double acc) {
        return new Candidate(SearchSpace.fmnist().min(), acc, new ArchCosts(macs, 0, 0, Map.of()));
    }

    @Test
    void frontKeepsOnlyNonDominatedPointsSortedByCost() {
        Candidate a = point(1_000_000, 0.5);
        Candidate b = point(2_000_000, 0.7);
        Candidate c = point(2_000_000, 0.6); // dominated by b
        Candidate d = point(3_000_000, 0.65); // dominated by b
        Candidate e = point(4_000_000, 0.9);
        List<Candidate> f = ParetoFront.of(List.of(e, d, c, b, a), CostAxis.macs());
        assertEquals(List.of(a, b, e), f);
        assertTrue(ParetoFront.dominates(b, c, CostAxis.macs()));
        assertFalse(ParetoFront.dominates(a, b, CostAxis.macs()));
        assertFalse(ParetoFront.dominates(a, a, CostAxis.macs()));
    }

    @Test
    void hypervolumeMatchesHandComputation() {
        // staircase: [1,2) x 0.5, [2,4) x 0.7, [4,5) x 0.9 above refAcc 0 with refCost 5 (M MACs)
        List<Candidate> pts = List.of(point(1_000_000, 0.5), point(2_000_000, 0.7), point(4_000_000, 0.9));
        assertEquals(1 * 0.5 + 2 * 0.7 + 1 * 0.9, ParetoFront.hypervolume(pts, CostAxis.macs(), 5, 0), 1e-12);
        // points beyond the reference cost add nothing
        assertEquals(1 * 0.5 + 2 * 0.7, ParetoFront.hypervolume(pts, CostAxis.macs(), 4, 0), 1e-12);
        assertEquals(0.0, ParetoFront.hypervolume(pts, CostAxis.macs(), 5, 1.0), 1e-12);
    }
}
