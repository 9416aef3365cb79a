package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class PhaseTest {

    private final SearchSpace space = SearchSpace.fmnist();

    @Test
    void progressiveShrinkingOpensTheRightChoicesInOrder() {
        List<Phase> ps = Phase.progressiveShrinking(space, List.of(1, 2, 3, 4, 5, 6), 0.1, 0.1);
        assertEquals(List.of("full", "kernel", "depth-1", "depth-2", "expand-1", "expand-2"),
                ps.stream().map(Phase::name).toList());
        assertEquals(List.of(7), ps.get(0).kernels());
        assertEquals(List.of(6), ps.get(0).expands());
        assertEquals(List.of(4), ps.get(0).depths());
        assertEquals(List.of(3, 5, 7), ps.get(1).kernels());
        assertEquals(List.of(6), ps.get(1).expands());
        assertEquals(List.of(4), ps.get(1).depths());
        assertEquals(List.of(3, 4), ps.get(2).depths());
        assertEquals(List.of(2, 3, 4), ps.get(3).depths());
        assertEquals(List.of(6), ps.get(3).expands());
        assertEquals(List.of(4, 6), ps.get(4).expands());
        assertEquals(List.of(2, 3, 4), ps.get(4).depths());
        assertEquals(List.of(3, 4, 6), ps.get(5).expands());
        assertEquals(List.of(1, 1, 2, 2, 4, 4), ps.stream().map(Phase::subnetsPerStep).toList());
        assertEquals(List.of(false, false, false, false, true, true), ps.stream().map(Phase::sortBefore).toList());
        assertEquals(0.0, ps.get(0).kdRatio());
        for (int i = 1; i < 6; i++) {
            assertEquals(1.0, ps.get(i).kdRatio());
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6), ps.stream().map(Phase::epochs).toList());
    }

    @Test
    void sampledSubnetsStayInsideTheirPhase() {
        List<Phase> ps = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.1, 0);
        for (int p = 0; p < ps.size(); p++) {
            Phase ph = ps.get(p);
            Set<Integer> ks = new HashSet<>();
            Set<Integer> es = new HashSet<>();
            Set<Integer> ds = new HashSet<>();
            for (int step = 0; step < 60; step++) {
                int res = SamplingSchedule.sampleResolution(space, 3, p, 0, step);
                assertTrue(space.resolutions().contains(res));
                for (int k = 0; k < ph.subnetsPerStep(); k++) {
                    ArchConfig a = SamplingSchedule.sampleArch(space, ph, 3, p, 0, step, k, res);
                    assertEquals(res, a.resolution());
                    for (BlockChoice b : a.activeBlocks(space)) {
                        ks.add(b.kernel());
                        es.add(b.expand());
                    }
                    ds.addAll(a.depths());
                }
            }
            // every open choice is drawn and nothing else
            assertEquals(new HashSet<>(ph.kernels()), ks, ph.name());
            assertEquals(new HashSet<>(ph.expands()), es, ph.name());
            assertEquals(new HashSet<>(ph.depths()), ds, ph.name());
        }
    }

    @Test
    void samplingIsAFunctionOfThePosition() {
        Phase ph = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.1, 0).get(5);
        ArchConfig a = SamplingSchedule.sampleArch(space, ph, 11, 5, 2, 7, 1, 24);
        ArchConfig b = SamplingSchedule.sampleArch(space, ph, 11, 5, 2, 7, 1, 24);
        assertEquals(a, b);
        Set<String> keys = new HashSet<>();
        for (int k = 0; k < 4; k++) {
            keys.add(SamplingSchedule.sampleArch(space, ph, 11, 5, 2, 7, k, 24).key());
        }
        assertEquals(4, keys.size(), "the k subnets of a step differ");
    }

    /**
     * The sandwich rule replaces draw 0 by the phase's smallest subnet and draw 1 (3+ subnets per
     * step) by its largest; the other draws are exactly OFA's, and 1-subnet phases are unchanged.
     */
    @Test
    void sandwichRuleTrainsTheExtremesAndKeepsTheOtherDraws() {
        List<Phase> ps = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.1, 0);
        Phase expand2 = ps.get(5);
        Phase sw = expand2.withSandwich(true);
        assertTrue(sw.sandwich() && !expand2.sandwich());
        assertFalse(sw.equals(expand2), "the sampling rule is part of the phase (resume compares phases)");
        for (int step = 0; step < 20; step++) {
            int res = space.resolutions().get(step % 3);
            assertEquals(space.uniform(3, 3, 2, res), SamplingSchedule.sampleArch(space, sw, 5, 5, 0, step, 0, res));
            assertEquals(space.uniform(7, 6, 4, res), SamplingSchedule.sampleArch(space, sw, 5, 5, 0, step, 1, res));
            for (int k = 2; k < 4; k++) {
                assertEquals(SamplingSchedule.sampleArch(space, expand2, 5, 5, 0, step, k, res),
                        SamplingSchedule.sampleArch(space, sw, 5, 5, 0, step, k, res));
            }
            // depth-2: 2 subnets per step -> the smallest (k3, e6 still fixed, d2) and one uniform draw
            Phase d2 = ps.get(3).withSandwich(true);
            assertEquals(space.uniform(3, 6, 2, res), SamplingSchedule.sampleArch(space, d2, 5, 3, 0, step, 0, res));
            assertEquals(SamplingSchedule.sampleArch(space, ps.get(3), 5, 3, 0, step, 1, res),
                    SamplingSchedule.sampleArch(space, d2, 5, 3, 0, step, 1, res));
            // kernel: 1 subnet per step -> unchanged
            assertEquals(SamplingSchedule.sampleArch(space, ps.get(1), 5, 1, 0, step, 0, res),
                    SamplingSchedule.sampleArch(space, ps.get(1).withSandwich(true), 5, 1, 0, step, 0, res));
        }
    }

    @Test
    void presetSandwichPhasesAreAppliedByNameAndUnknownNamesRefused() {
        TrainingPreset f = TrainingPreset.full();
        TrainingPreset sw = new TrainingPreset("sw", 0, 0, 128, f.phaseEpochs(), f.phaseSubnets(), 0.1, 0.1, 100, 100,
                List.of("expand-1", "expand-2"));
        assertEquals(List.of(false, false, false, false, true, true),
                sw.schedule(space).stream().map(Phase::sandwich).toList());
        assertEquals(List.of(false, false, false, false, false, false),
                TrainingPreset.quick().schedule(space).stream().map(Phase::sandwich).toList(),
                "quick: OFA's uniform sampling");
        assertEquals(List.of(true, true, true, true, true, true),
                f.schedule(space).stream().map(Phase::sandwich).toList(), "full: the sandwich rule everywhere");
        assertEquals(SearchSpace.FMNIST_S1, TrainingPreset.spaceFor(" Full "));
        assertEquals(SearchSpace.FMNIST, TrainingPreset.spaceFor("quick"));
        assertEquals(SearchSpace.FMNIST, TrainingPreset.spaceFor("my-preset"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingPreset("sw", 0, 0, 128, f.phaseEpochs(), f.phaseSubnets(), 0.1, 0.1, 100, 100,
                        List.of("expand-3")));
        assertTrue(e.getMessage().contains("'expand-3'") && e.getMessage().contains("expand-2"), e.getMessage());
    }

    @Test
    void cosineScheduleWithWarmup() {
        Phase p = new Phase("x", 10, 0.5, 1, List.of(3), List.of(3), List.of(2), false, 1, 0);
        int spe = 10; // 100 steps, 10 warm-up
        assertEquals(0.05, p.learningRate(0, spe), 1e-12);
        assertEquals(0.5, p.learningRate(9, spe), 1e-12);
        assertEquals(0.5, p.learningRate(10, spe), 1e-12);
        assertEquals(0.25, p.learningRate(10 + 45, spe), 1e-12);
        assertTrue(p.learningRate(99, spe) < 0.001);
        Phase q = new Phase("y", 2, 0.1, 1, List.of(3), List.of(3), List.of(2), false, 0, 0);
        assertEquals(0.1, q.learningRate(0, 5), 1e-12);
    }

    @Test
    void presetsBuildTheirSchedules() {
        List<Phase> quick = TrainingPreset.named("quick").schedule(space);
        assertEquals(List.of(1, 1, 1, 1, 1, 1), quick.stream().map(Phase::subnetsPerStep).toList());
        assertEquals(List.of(6, 1, 1, 1, 1, 1), quick.stream().map(Phase::epochs).toList());
        assertEquals(20_000, TrainingPreset.quick().trainImages());
        List<Phase> full = TrainingPreset.named(" FULL ").schedule(space);
        assertEquals(Phase.OFA_SUBNETS_PER_STEP, full.stream().map(Phase::subnetsPerStep).toList());
        assertEquals(0, TrainingPreset.full().trainImages(), "full uses the whole train split");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingPreset("x", 0, 0, 0, List.of(1, 1, 1, 1, 1, 1), Phase.OFA_SUBNETS_PER_STEP, 0.1, 0, 0, 0));
        assertTrue(e.getMessage().contains("found 0"), e.getMessage());
        assertEquals(TrainingPreset.OFA_WEIGHT_DECAY, TrainingPreset.quick().weightDecay(), 0.0);
        assertEquals(TrainingPreset.FULL_WEIGHT_DECAY, TrainingPreset.full().weightDecay(), 0.0);
        IllegalArgumentException wd = assertThrows(IllegalArgumentException.class, () -> new TrainingPreset("x", 0, 0, 8,
                List.of(1, 1, 1, 1, 1, 1), Phase.OFA_SUBNETS_PER_STEP, 0.1, 0, 0, 0, List.of(), -1e-4));
        assertTrue(wd.getMessage().contains("weight decay") && wd.getMessage().contains("found -1.0E-4"), wd.getMessage());
    }

    @Test
    void badPhasesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Phase("p", 0, 0.1, 1, List.of(3), List.of(3), List.of(2), false, 0, 0));
        assertTrue(e.getMessage().contains("epochs of phase p") && e.getMessage().contains("found 0"));
        Phase bad = new Phase("wide", 1, 0.1, 1, List.of(9), List.of(3), List.of(2), false, 0, 0);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> bad.validate(space));
        assertTrue(e2.getMessage().contains("kernel 9 of phase wide") && e2.getMessage().contains("[3, 5, 7]"),
                e2.getMessage());
        assertFalse(Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.1, 0).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Phase.progressiveShrinking(space, List.of(1, 1), 0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> TrainingPreset.named("huge"));
    }
}
