package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SamplingScheduleTest {

    private final SearchSpace space = TinyRuns.tinySpace(List.of(20, 24, 28));
    private final List<Phase> phases = Phase.progressiveShrinking(space, List.of(1, 1, 1, 1, 1, 1), 0.05, 0);

    /** A step's draws are the per-k samples at the step's resolution, the same for every schedule object. */
    @Test
    void stepDrawsAreThePerSubnetSamplesAtTheStepsResolution() {
        SamplingSchedule a = new SamplingSchedule(space, phases, 9);
        SamplingSchedule.StepDraws d = a.step(5, 0, 3);
        assertEquals(SamplingSchedule.sampleResolution(space, 9, 5, 0, 3), d.resolution());
        assertEquals(phases.get(5).subnetsPerStep(), d.subnets().size());
        for (int k = 0; k < d.subnets().size(); k++) {
            assertEquals(SamplingSchedule.sampleArch(space, phases.get(5), 9, 5, 0, 3, k, d.resolution()), d.subnets().get(k));
        }
        assertEquals(d, new SamplingSchedule(space, phases, 9).step(5, 0, 3));
        assertNotEquals(d, new SamplingSchedule(space, phases, 10).step(5, 0, 3));
    }

    @Test
    void epochOrderIsASeededPermutationPerEpoch() {
        SamplingSchedule s = new SamplingSchedule(space, phases, 9);
        int[] o = s.epochOrder(1, 0, 50);
        int[] sorted = o.clone();
        Arrays.sort(sorted);
        assertArrayEquals(IntStream.range(0, 50).toArray(), sorted);
        assertArrayEquals(o, new SamplingSchedule(space, phases, 9).epochOrder(1, 0, 50));
        assertNotEquals(Arrays.toString(o), Arrays.toString(s.epochOrder(1, 1, 50)), "another epoch, another order");
        assertEquals(s.augmentation(2, 0, 4).nextLong(), new SamplingSchedule(space, phases, 9).augmentation(2, 0, 4).nextLong());
    }
}
