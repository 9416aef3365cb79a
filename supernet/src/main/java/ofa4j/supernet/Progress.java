package ofa4j.supernet;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one way ofa4j draws a progress bar (the progressbar library): ASCII, and every line at most
 * {@link #WIDTH} columns, so that a bar stays readable in an 80-column terminal and in logs. Callers
 * keep their task names and extra messages short (see {@link #MIN_BAR}).
 */
public final class Progress {

    /** Columns of a rendered line. */
    public static final int WIDTH = 80;

    /** Least width of the bar itself that the longest texts of our callers leave. */
    public static final int MIN_BAR = 10;

    private Progress() {}

    /**
     * Builds a bar.
     *
     * @param task a short task name (at most about 20 characters)
     * @param max the number of steps, -1 when unknown
     * @param unit the unit after the counts ("" for none), e.g. {@code KiB}
     * @param unitSize the steps per unit (1, or 1024 for KiB)
     * @param eta true to show elapsed time and ETA, false for elapsed time only
     * @param out where to draw, null for standard error
     * @return the bar (close it)
     */
    public static ProgressBar bar(String task, long max, String unit, long unitSize, boolean eta, PrintStream out) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(unit, unitSize)
                .setConsumer(new ConsoleProgressBarConsumer(out != null ? out : System.err, WIDTH));
        if (!eta) {
            b.hideEta();
        }
        return b.build();
    }
}
