package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingPresetScalingTest {

    // quick: epochs 6,1,1,1,1,1, batch 128, designed for 20,000 images: 20000 / 128 = 156 whole
    // batches per epoch (the trainer drops the partial one), so at least 936, 156, 156, 156, 156, 156
    // steps per phase.

    @Test
    void quickOnItsOwnImageCountIsUnchanged() {
        TrainingPreset q = TrainingPreset.quick();
        assertEquals(20_000, q.designImages());
        assertArrayEquals(new int[] {936, 156, 156, 156, 156, 156}, q.minPhaseSteps());
        assertSame(q, q.scaledTo(20_000));
        assertArrayEquals(new int[] {936, 156, 156, 156, 156, 156}, q.phaseSteps(20_000));
    }

    @Test
    void quickOnASmallFolderGetsTheStepsItWasDesignedFor() {
        // 1,439 images: 1439 / 128 = 11 steps per epoch; full phase ceil(936 / 11) = ceil(85.09) = 86
        // epochs (946 steps), the others ceil(156 / 11) = ceil(14.18) = 15 epochs (165 steps).
        TrainingPreset q = TrainingPreset.quick();
        TrainingPreset s = q.scaledTo(1_439);
        assertEquals(List.of(86, 15, 15, 15, 15, 15), s.phaseEpochs());
        assertArrayEquals(new int[] {946, 165, 165, 165, 165, 165}, s.phaseSteps(1_439));
        assertEquals("quick", s.name(), "the name is kept: later stages look the preset up by it");
        assertEquals(q.trainImages(), s.trainImages());
        assertEquals(q.batchSize(), s.batchSize());
        assertEquals(q.phaseSubnets(), s.phaseSubnets());
        assertEquals(q.weightDecay(), s.weightDecay(), 0.0);
        // unscaled, the same folder gets 66, 11, 11, 11, 11, 11 steps
        assertArrayEquals(new int[] {66, 11, 11, 11, 11, 11}, q.phaseSteps(1_439));
        // derived from the data alone: a resumed run on the same data gets the same schedule
        assertEquals(s, TrainingPreset.quick().scaledTo(1_439));
        assertEquals(1_439, s.designImages(), "the copy is designed for the data it was scaled to");
        assertSame(s, s.scaledTo(1_439), "scaling twice changes nothing");
    }

    @Test
    void moreImagesThanDesignedNeverCutEpochs() {
        // 100,000 / 128 = 781 steps per epoch: ceil(936 / 781) = 2 < 6 and 1 <= 1, so the stated epochs stay
        TrainingPreset q = TrainingPreset.quick();
        assertSame(q, q.scaledTo(100_000));
        assertArrayEquals(new int[] {4686, 781, 781, 781, 781, 781}, q.phaseSteps(100_000));
    }

    @Test
    void fullIsDesignedForFashionMnistsTrainSplit() {
        TrainingPreset f = TrainingPreset.full();
        assertEquals(55_000, TrainingPreset.FASHION_MNIST_TRAIN_IMAGES);
        assertEquals(55_000, f.designImages());
        assertSame(f, f.scaledTo(55_000));
        // 55,000 / 128 = 429 steps per epoch; on 1,439 images (11 per epoch) epochs 10,2,1,2,1,3 need
        // ceil(4290 / 11) = 390, ceil(858 / 11) = 78, ceil(429 / 11) = 39, 78, 39, ceil(1287 / 11) = 117
        assertEquals(List.of(390, 78, 39, 78, 39, 117), f.scaledTo(1_439).phaseEpochs());
    }

    @Test
    void tooFewImagesAreRefusedNamingTheValue() {
        TrainingPreset q = TrainingPreset.quick();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.scaledTo(0));
        assertTrue(e.getMessage().contains("found 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.phaseSteps(-3));
        assertTrue(e.getMessage().contains("found -3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.scaledTo(100));
        assertTrue(e.getMessage().contains("100 images") && e.getMessage().contains("batch of 128"), e.getMessage());
    }
}
