package ofa4j.cli;

import ofa4j.slicer.RunReport;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Cost accounting of a run: wall and CPU seconds of each stage, with an energy estimate of
 * {@code cpuSeconds x wattsPerCore} (a rough figure: CPU time is what the process used on all
 * cores, and a core's power is a configured constant, default {@value #DEFAULT_WATTS_PER_CORE} W).
 */
public final class CostLedger {

    /** Default power of one busy core, watts (a typical desktop/server core under load). */
    public static final double DEFAULT_WATTS_PER_CORE = 15.0;

    /**
     * Cost of one stage.
     *
     * @param stage stage name
     * @param wallSeconds elapsed time
     * @param cpuSeconds process CPU time used (all threads)
     * @param reused true when the stage's output was reused from an earlier run ({@code --resume})
     */
    public record Entry(String stage, double wallSeconds, double cpuSeconds, boolean reused) {}

    private final double wattsPerCore;
    private final List<Entry> entries = new ArrayList<>();

    /**
     * @param wattsPerCore assumed power of one busy core (W)
     */
    public CostLedger(double wattsPerCore) {
        if (!(wattsPerCore >= 0)) {
            throw new IllegalArgumentException("watts per core must be >= 0, found " + wattsPerCore);
        }
        this.wattsPerCore = wattsPerCore;
    }

    /** @return process CPU time in seconds, all threads */
    public static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /**
     * Runs a stage and records its cost.
     *
     * @param stage stage name
     * @param work the stage
     * @param <T> result type
     * @return the stage's result
     * @throws Exception what the stage throws
     */
    public <T> T time(String stage, Callable<T> work) throws Exception {
        long t0 = System.nanoTime();
        double c0 = processCpuSeconds();
        T out = work.call();
        entries.add(new Entry(stage, (System.nanoTime() - t0) / 1e9, processCpuSeconds() - c0, false));
        return out;
    }

    /**
     * Records a stage whose output was reused.
     *
     * @param stage stage name
     */
    public void reused(String stage) {
        entries.add(new Entry(stage, 0, 0, true));
    }

    /** @return the entries in order */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** @return the ledger as the report's costs: stages, totals, energy in joules and watt-hours */
    public RunReport.Costs toCosts() {
        List<RunReport.Stage> stages = new ArrayList<>();
        double wall = 0;
        double cpu = 0;
        for (Entry e : entries) {
            stages.add(new RunReport.Stage(e.stage(), round(e.wallSeconds()), round(e.cpuSeconds()),
                    round(e.cpuSeconds() * wattsPerCore), e.reused()));
            wall += e.wallSeconds();
            cpu += e.cpuSeconds();
        }
        return new RunReport.Costs(stages, round(wall), round(cpu), wattsPerCore, round(cpu * wattsPerCore),
                round(cpu * wattsPerCore / 3600.0));
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
