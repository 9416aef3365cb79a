package ofa4j.slicer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.Precision;

/**
 * The choice of {@code --precision auto} for one target: the same bounds were sliced once in FP32
 * (FP32 profile, FP32 candidates) and once in INT8 (INT8 profile, INT8 candidates), each meeting
 * its latency bound by measurement; the delivered slice is the one with the higher measured
 * validation accuracy (the test split is reported, never used to choose) among those whose
 * delivered latency (the median of its timings, which may differ from the loop's single timing)
 * is within the bound. A tie goes to INT8, the smaller model. When neither is within its bound,
 * the higher accuracy is chosen and {@code why} says so. Written as {@code <target>}{@value #SUFFIX} in the output directory.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param target the target name
 * @param chosen {@code fp32} or {@code int8}
 * @param onnx the delivered model, relative to the output directory
 * @param why one sentence
 * @param fp32 what the FP32 slice measured
 * @param int8 what the INT8 slice measured
 */
public record AutoChoice(int formatVersion, String target, String chosen, String onnx, String why, Side fp32,
        Side int8) {

    /** Suffix of the file of a target in the output directory: {@code <target>.auto.json}. */
    public static final String SUFFIX = ".auto.json";

    /** Format version. */
    public static final int FORMAT_VERSION = 1;

    /** Checks the version. */
    public AutoChoice {
        JsonFiles.checkVersion("auto choice", formatVersion, FORMAT_VERSION, FORMAT_VERSION);
    }

    /**
     * One precision's slice.
     *
     * @param arch its architecture key
     * @param valAccuracy measured validation accuracy of the delivered model of that precision
     * @param testAccuracy its measured test accuracy
     * @param latencyMs its measured latency with that precision's profile, null when not measured
     * @param onnx its model, relative to the output directory
     * @param report its slice report, relative to the output directory
     * @param overBudget its delivered latency exceeds the target's latency bound on its device
     */
    public record Side(String arch, double valAccuracy, double testAccuracy, Double latencyMs, String onnx,
            String report, boolean overBudget) {
        static Side of(Specialiser.Report r, Path out) {
            Path model = r.precision() == Precision.INT8 ? r.int8OnnxFile() : r.onnxFile();
            return new Side(r.candidate().arch().key(), r.deliveredValAccuracy(), r.deliveredTestAccuracy(),
                    Double.isFinite(r.measuredLatencyMs()) ? r.measuredLatencyMs() : null, rel(out, model),
                    rel(out, r.reportFile()), AutoChoice.overBudget(r));
        }
    }

    /** True when the delivered latency exceeds a latency bound on a device the loop timed it on. */
    static boolean overBudget(Specialiser.Report r) {
        if (!Double.isFinite(r.measuredLatencyMs())) {
            return false;
        }
        java.util.Set<String> timed = r.outcome().delivered().measurement().latencyMs().keySet();
        for (Constraint.LatencyBound b : r.outcome().target().constraint().latencyBounds()) {
            if (timed.contains(b.predictor().deviceName()) && r.measuredLatencyMs() > b.maxMs()) {
                return true;
            }
        }
        return false;
    }

    private static String rel(Path out, Path f) {
        return out.toAbsolutePath().normalize().relativize(f.toAbsolutePath().normalize()).toString();
    }

    /**
     * Chooses between an FP32 and an INT8 slice of the same target.
     *
     * @param fp32 the FP32 slice
     * @param int8 the INT8 slice
     * @param out the output directory the paths are relative to
     * @return the choice
     * @throws IllegalArgumentException when the reports are not of those precisions
     */
    public static AutoChoice of(Specialiser.Report fp32, Specialiser.Report int8, Path out) {
        if (fp32.precision() != Precision.FP32 || int8.precision() != Precision.INT8) {
            throw new IllegalArgumentException("auto needs an fp32 and an int8 slice, found " + fp32.precision().id()
                    + " and " + int8.precision().id());
        }
        Side a = Side.of(fp32, out);
        Side b = Side.of(int8, out);
        Decision d = decide(a.valAccuracy(), a.overBudget(), b.valAccuracy(), b.overBudget(),
                "delivered latency is over its bound", "delivered latencies are over their bounds");
        boolean q8 = d.int8();
        String why = d.why();
        return new AutoChoice(FORMAT_VERSION, fp32.target(), q8 ? "int8" : "fp32", (q8 ? b : a).onnx(), why, a, b);
    }

    /**
     * The rule of {@code auto}, shared by the CLI and the service: a slice over its latency bound
     * loses to one within it; otherwise the higher measured validation accuracy wins, a tie going to
     * the smaller INT8 model.
     *
     * @param int8 true to deliver the INT8 slice
     * @param why the chosen precision and the two accuracies, with the rule that decided
     */
    public record Decision(boolean int8, String why) {}

    /**
     * Applies the rule of {@code auto}.
     *
     * @param fp32Acc the FP32 slice's measured validation accuracy
     * @param fp32Over whether its latency is over the bound
     * @param int8Acc the INT8 slice's measured validation accuracy
     * @param int8Over whether its latency is over the bound
     * @param overOne how one slice over the bound is said ("delivered latency is over its bound")
     * @param overBoth how both over the bound are said ("delivered latencies are over their bounds")
     * @return the decision
     */
    public static Decision decide(double fp32Acc, boolean fp32Over, double int8Acc, boolean int8Over, String overOne,
            String overBoth) {
        boolean q8;
        String rule;
        if (fp32Over != int8Over) {
            q8 = fp32Over;
            rule = ", the " + (q8 ? "fp32" : "int8") + " slice's " + overOne;
        } else {
            q8 = int8Acc >= fp32Acc;
            rule = (int8Acc == fp32Acc ? ", a tie goes to the smaller INT8 model" : "")
                    + (fp32Over ? "; both " + overBoth : "");
        }
        String why = String.format(Locale.ROOT, "%s: measured validation accuracy %.2f%% (%s) vs %.2f%% (%s)%s",
                q8 ? "int8" : "fp32", 100 * (q8 ? int8Acc : fp32Acc), q8 ? "int8" : "fp32",
                100 * (q8 ? fp32Acc : int8Acc), q8 ? "fp32" : "int8", rule);
        return new Decision(q8, why);
    }

    /**
     * Writes the choice as {@code <target>.auto.json} in a directory.
     *
     * @param dir the output directory
     * @return the file written
     * @throws IOException if writing fails
     */
    public Path writeTo(Path dir) throws IOException {
        Path f = dir.resolve(target + SUFFIX);
        write(f);
        return f;
    }

    /** @return one line: chosen precision, model and why */
    public String summary() {
        return target + " -> " + onnx + " (" + why + ")";
    }

    /**
     * Writes the choice atomically.
     *
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    /**
     * Reads a choice.
     *
     * @param file the file
     * @return the choice
     * @throws IOException naming the file when it is unreadable
     */
    public static AutoChoice read(Path file) throws IOException {
        return JsonFiles.read(file, AutoChoice.class);
    }
}
