package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ofa4j.predictor.AccuracyTableInfo;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Where the BN recalibration size of slice, serve, compare and finetune comes from. */
class CalibrationOptionTest {

    @CommandLine.Command
    static final class Holder {
        @CommandLine.Mixin CalibrationOption calibration;
    }

    private static CalibrationOption parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.calibration;
    }

    @Test
    void theTableDecidesWhenItRecordsItsCalibrationElseOfasTwoThousandOrTheFlag() {
        AccuracyTableInfo table = AccuracyTableInfo.of(500, 42, 5000);
        assertEquals(2000, parse().images(null)); // before, finetune fell back to 500 here, slice to 2000
        assertEquals(500, parse().images(table));
        assertEquals(300, parse("--calibration-images", "300").images(null));
        assertEquals(500, parse("--calibration-images", "300").images(table));
        for (AccuracyTableInfo t : new AccuracyTableInfo[] {null, table}) {
            assertEquals("--calibration-images must be >= 1, found 0", assertThrows(IllegalArgumentException.class,
                    () -> parse("--calibration-images", "0").images(t)).getMessage());
        }
    }
}
