package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import ofa4j.supernet.Progress;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

/** Every progress bar of ofa4j, with its longest texts, fits 80 columns and keeps a visible bar. */
class ProgressWidthTest {

    /** Renders a bar half-way and finished, returns every rendered line. */
    private static String[] render(String task, long max, String unit, long unitSize, boolean eta, String extra) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
                ProgressBar b = Progress.bar(task, max, unit, unitSize, eta, out)) {
            b.stepTo(max / 2);
            b.setExtraMessage(extra);
            b.refresh();
            b.stepTo(max);
        }
        return bytes.toString(StandardCharsets.UTF_8).split("[\r\n]+");
    }

    private static void assertReadable(String[] lines) {
        int checked = 0;
        for (String l : lines) {
            if (l.isBlank()) {
                continue;
            }
            assertTrue(l.length() <= Progress.WIDTH, l.length() + " columns: " + l);
            int open = l.indexOf('[');
            int close = l.indexOf(']', open);
            assertTrue(open >= 0 && close - open - 1 >= Progress.MIN_BAR, "bar narrower than " + Progress.MIN_BAR + ": " + l);
            checked++;
        }
        assertTrue(checked >= 1, "nothing rendered");
    }

    @Test
    void trainingBarsFitWithTheirFigures() {
        String task = ProgressiveShrinkingTrainer.barTask("expand-2", 12, 12);
        // the longest figures of a run: 3,750 steps per epoch, loss above 1
        assertReadable(render(task, 3750, "", 1, false, ProgressiveShrinkingTrainer.barMessage(2.305, 0.999)));
    }

    @Test
    void anEpochEndsWithOneReadableLine() {
        EpochMetrics m = new EpochMetrics("full", 0, 5, 936, 0.78199, 0.86623, 546.57, 41.5, 3.5e-7, 0.88, 0.854,
                "r20-k7e6", 500, 0.84, 235.06);
        org.junit.jupiter.api.Assertions.assertEquals(
                "phase 1/6 full, epoch 6: loss 0.782, train 86.6%, val max 88.0% min 85.4%, 547 img/s, 235 s",
                m.describe(6));
    }

    @Test
    void tableProfileAndDownloadBarsFit() {
        assertReadable(render("accuracy table", 1500, "", 1, true, " last 100.0%"));
        assertReadable(render("profile cpu-ort-1t-b8", 2 * (1500 + 200), "", 1, true, ""));
        assertReadable(render("download train-images", 26_421_880, "KiB", 1024, true, ""));
    }
}
