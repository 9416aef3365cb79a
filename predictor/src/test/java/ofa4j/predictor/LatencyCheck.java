package ofa4j.predictor;

import java.util.List;
import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;

/** Checks a measured profile against end-to-end timings of 30 other random subnets (shared by the engine tests). */
final class LatencyCheck {

    private LatencyCheck() {}

    /**
     * Times 30 random subnets not used for the profile's fit, prints the profile's figures and
     * returns the mean absolute percentage error of its predictions.
     *
     * @param p the profile
     * @param meter the meter that measured it
     * @param space the space
     * @param label printed first
     * @return held-out MAPE, percent
     */
    static double heldOutMape(DeviceProfile p, LatencyMeter meter, SearchSpace space, String label) {
        List<ArchConfig> test = AccuracyDatasetBuilder.sampleDistinct(space, 30, 12345);
        double ape = 0;
        double rawApe = 0;
        for (ArchConfig a : test) {
            double m = meter.subnetMs(a);
            ape += Math.abs(p.predictMs(a) - m) / m;
            rawApe += Math.abs(p.lutSumMs(a) - m) / m;
        }
        double mape = 100 * ape / test.size();
        System.out.printf(Locale.ROOT,
                "%s: %d variants, profile %.1f s, fit %.4f + %.3f x sum (fit MAPE %.2f%%); max %.3f ms, min %.3f ms;"
                        + " held-out MAPE %.2f%% (raw LUT sum %.2f%%)%n",
                label, p.lutMs().size(), p.measurement().profileSeconds(), p.interceptMs(), p.scale(),
                p.measurement().fitMapePercent(), p.predictMs(space.max()), p.predictMs(space.min()), mape,
                100 * rawApe / test.size());
        return mape;
    }
}
