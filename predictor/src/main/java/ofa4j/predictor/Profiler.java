package ofa4j.predictor;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;

/**
 * Profiles a device for a search space (OFA's latency look-up table, Cai et al. 2020, section
 * 3.3): times every layer variant of {@link LayerVariants#enumerate(SearchSpace)} alone, then
 * {@code subnets} sampled whole subnets end to end, and fits the end-to-end correction ({@link
 * OverheadFit}). The result is a {@link DeviceProfile}.
 */
public final class Profiler {

    /** Default number of whole subnets timed for the correction. */
    public static final int DEFAULT_SUBNETS = 40;

    private Profiler() {}

    /**
     * Profiles the device behind {@code meter}.
     *
     * @param space the space
     * @param meter times layers and subnets (not closed here)
     * @param deviceName name of the profile, e.g. {@code cpu-ort-1t}
     * @param subnets whole subnets timed for the fit (>= 3)
     * @param seed seed of the subnet sample
     * @param quiet no progress bar when true
     * @param progressOut where to draw the bar, null for the console
     * @return the profile, its measurement block filled (profiling time, fit errors, host)
     */
    public static DeviceProfile profile(
            SearchSpace space, LatencyMeter meter, String deviceName, int subnets, long seed, boolean quiet,
            PrintStream progressOut) {
        if (subnets < 3) {
            throw new IllegalArgumentException("profiling needs >= 3 subnets for the overhead fit, found " + subnets);
        }
        long t0 = System.nanoTime();
        Map<String, LayerSpec> variants = LayerVariants.enumerate(space);
        List<ArchConfig> archs = AccuracyDatasetBuilder.sampleDistinct(space, subnets, seed);
        Map<String, Double> lut = new LinkedHashMap<>();
        ProgressBar bar = quiet ? null : bar("profile " + deviceName, variants.size() + subnets, progressOut);
        double[] sums = new double[subnets];
        double[] measured = new double[subnets];
        try {
            for (Map.Entry<String, LayerSpec> e : variants.entrySet()) {
                lut.put(e.getKey(), meter.layerMs(e.getValue()));
                if (bar != null) {
                    bar.step();
                }
            }
            DeviceProfile raw = new DeviceProfile(
                    deviceName, meter.engine(), meter.threads(), meter.batchSize(), space, null, lut, 0, 1);
            for (int i = 0; i < subnets; i++) {
                sums[i] = raw.lutSumMs(archs.get(i));
                measured[i] = meter.subnetMs(archs.get(i));
                if (bar != null) {
                    bar.step();
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        OverheadFit fit = OverheadFit.fit(sums, measured);
        String[] host = DeviceProfile.hostInfo();
        DeviceProfile.Measurement m = new DeviceProfile.Measurement(
                host[0], host[1], host[2], Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), meter.warmup(),
                meter.repeats(), variants.size(), subnets, (System.nanoTime() - t0) / 1e9, fit.fitMapePercent(),
                fit.rawMapePercent());
        return new DeviceProfile(
                deviceName, meter.engine(), meter.threads(), meter.batchSize(), space, m, lut, fit.interceptMs(),
                fit.scale());
    }

    static ProgressBar bar(String task, long max, PrintStream out) {
        ProgressBarBuilder pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).showSpeed();
        if (out != null) {
            pb.setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out));
        }
        return pb.build();
    }
}
