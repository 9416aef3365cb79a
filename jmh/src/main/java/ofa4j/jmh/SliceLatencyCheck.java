package ofa4j.jmh;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.ProfileMeter;

/**
 * Checks the latency promise of a finished run in a fresh JVM: times every delivered slice three
 * times through the device profile's meter ({@link ProfileMeter}, the meter of delivery) and prints
 * the median beside its budget and the profile's prediction, raw and at the profile's machine speed.
 *
 * <p>Usage: {@code java -Dai.djl.offline=true -cp jmh/target/benchmarks.jar ofa4j.jmh.SliceLatencyCheck RUN_DIR [DEVICE]}
 */
public final class SliceLatencyCheck {

    private SliceLatencyCheck() {}

    /**
     * Runs the check.
     *
     * @param args run directory and optional device name (default {@code cpu-ort-1t})
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args[0]);
        String device = args.length > 1 ? args[1] : "cpu-ort-1t";
        DeviceProfile prof = DeviceProfile.find(run.resolve("devices"), device);
        if (!"onnxruntime".equals(prof.engine())) {
            throw new IllegalArgumentException("device " + device + " is timed in " + prof.engine() + "; this check times ONNX files");
        }
        System.out.println("slice | budget ms | predicted ms | median of 3 ms | timings ms | raw ms | machine slowdown | median/budget | |pred-meas|/meas");
        try (ProfileMeter meter = ProfileMeter.of(prof, prof.space())) {
            for (LatencyGapProbe.Model m : LatencyGapProbe.slices(run)) {
                double[] ms = new double[3];
                double[] raw = new double[3];
                double[] slow = new double[3];
                for (int i = 0; i < 3; i++) {
                    ProfileMeter.Timing t = meter.time(null, m.onnx()); // ONNX Runtime times the bytes only
                    ms[i] = t.ms();
                    raw[i] = t.rawMs();
                    slow[i] = t.slowdown();
                }
                double[] sorted = ms.clone();
                Arrays.sort(sorted);
                double median = sorted[1];
                double predicted = prof.predictMs(m.arch());
                double budget = m.name().startsWith("lat-") ? Double.parseDouble(m.name().substring(4, m.name().length() - 2))
                        : Double.NaN;
                System.out.printf(Locale.ROOT, "%s | %s | %.4f | %.4f | %.4f %.4f %.4f | %.4f %.4f %.4f | %.2f %.2f %.2f | %s | %.1f%%%n",
                        m.name(), Double.isNaN(budget) ? "-" : String.format(Locale.ROOT, "%.3f", budget), predicted, median,
                        ms[0], ms[1], ms[2], raw[0], raw[1], raw[2], slow[0], slow[1], slow[2],
                        Double.isNaN(budget) ? "-" : String.format(Locale.ROOT, "%.3f", median / budget),
                        100 * Math.abs(predicted - median) / median);
            }
        }
    }
}
