package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When {@code ofa finetune} runs quantization-aware fine-tuning. */
class FinetuneCommandTest {

    private static FinetuneCommand.Accuracies loses(double points) {
        return new FinetuneCommand.Accuracies(0.88, 0.87, 0.88 - points / 100, 0.86);
    }

    /** Index of the largest of {@code classes} values in row {@code row}. */
    static int argmax(float[] v, int row, int classes) {
        int best = 0;
        for (int k = 1; k < classes; k++) {
            if (v[row * classes + k] > v[row * classes + best]) {
                best = k;
            }
        }
        return best;
    }

    @Test
    void autoRunsQatOnlyWhenInt8LosesMoreThanOnePointOfValidationAccuracy() {
        assertTrue(FinetuneCommand.QatMode.AUTO.runs(loses(1.5)));
        assertFalse(FinetuneCommand.QatMode.AUTO.runs(loses(0.5)));
        assertFalse(FinetuneCommand.QatMode.AUTO.runs(loses(-0.2))); // INT8 better than FP32
        assertTrue(FinetuneCommand.QatMode.ON.runs(loses(0)));
        assertFalse(FinetuneCommand.QatMode.OFF.runs(loses(5)));
        assertEquals(FinetuneCommand.QatMode.AUTO, FinetuneCommand.QatMode.parse("auto"));
        assertEquals("--qat must be one of auto, on, off; found 'ON'",
                assertThrows(IllegalArgumentException.class, () -> FinetuneCommand.QatMode.parse("ON")).getMessage());
    }
}
