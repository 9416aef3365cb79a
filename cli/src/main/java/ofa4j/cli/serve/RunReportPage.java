package ofa4j.cli.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.DeviceProfile;
import ofa4j.slicer.RunReport;
import ofa4j.slicer.SliceJson;
import ofa4j.supernet.train.EpochMetrics;

/**
 * The run report page, {@code report.html}: training curves per phase, predicted against measured
 * accuracy, the latency profile's held-out error, the Pareto figure and the cost of each stage.
 * {@code ofa run} writes it into the run directory as one self-contained file (styles, scripts,
 * the chart library and the data inline: it opens from disk, offline); {@code ofa serve} sends the
 * same page without data, which it then reads from {@code GET /v1/report}.
 */
public final class RunReportPage {

    /** File name in the run directory. */
    public static final String FILE = "report.html";

    /** Format version of {@link Data}. */
    public static final int FORMAT_VERSION = 1;

    private RunReportPage() {}

    /**
     * One epoch of training, as the curves draw it.
     *
     * @param phase phase name
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param globalStep optimizer steps so far
     * @param loss mean training loss
     * @param trainAcc training accuracy
     * @param valAccMax validation accuracy of the largest subnet, when evaluated
     * @param valAccMin validation accuracy of the smallest subnet, when evaluated
     * @param wallS wall time so far, s
     */
    public record TrainingPoint(String phase, int phaseIndex, int epoch, long globalStep, double loss, double trainAcc,
            Double valAccMax, Double valAccMin, double wallS) {}

    /**
     * A measured candidate's accuracy.
     *
     * @param key arch key
     * @param target the target whose search proposed it
     * @param predicted predicted validation accuracy
     * @param measured measured validation accuracy
     */
    public record AccuracyPoint(String key, String target, double predicted, double measured) {}

    /**
     * The accuracy predictor's section.
     *
     * @param searchPredictor the predictor that drove the search
     * @param lines held-out and cross-validated figures, one line each
     * @param points predicted against measured accuracy of every measured candidate
     */
    public record Predictor(String searchPredictor, List<String> lines, List<AccuracyPoint> points) {}

    /**
     * A measured candidate's latency.
     *
     * @param key arch key
     * @param predictedMs predicted by the device profile
     * @param measuredMs measured with the profile's meter
     */
    public record LatencyPoint(String key, double predictedMs, double measuredMs) {}

    /**
     * The latency profile's section.
     *
     * @param device device name
     * @param profiledSubnets subnets the profile's correction was fitted on
     * @param fitMapePercent error of the fitted profile on those subnets, or null
     * @param rawMapePercent error of the look-up table alone, or null
     * @param heldOutMapePercent error on the measured candidates (not fitted on), or null when none
     * @param points predicted against measured latency of the measured candidates
     */
    public record Latency(String device, int profiledSubnets, Double fitMapePercent, Double rawMapePercent,
            Double heldOutMapePercent, List<LatencyPoint> points) {}

    /**
     * Everything the report page shows (serialised once, into the page or as {@code GET /v1/report}).
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param title page title
     * @param created when the run finished
     * @param preset training preset
     * @param dataDescription the data, one line
     * @param seed run seed
     * @param checkpointSha256 SHA-256 of the sliced parameters
     * @param training one point per epoch
     * @param predictor accuracy predictor quality
     * @param latency latency profile error, or null without a profile
     * @param paretoPng the Pareto figure as base64 PNG, or null
     * @param slices the delivered slices
     * @param costs cost per stage
     * @param missing run files that were absent or unreadable, one line each
     */
    public record Data(int formatVersion, String title, String created, String preset, String dataDescription, long seed,
            String checkpointSha256, List<TrainingPoint> training, Predictor predictor, Latency latency, String paretoPng,
            List<RunReport.Slice> slices, RunReport.Costs costs, List<String> missing) {}

    /**
     * Reads a finished run: {@code report.json} (required), {@code supernet/metrics.jsonl}, the
     * slice reports, the device profile and {@code slices/pareto.png} (each optional: an absent
     * one is listed in {@link Data#missing()}).
     *
     * @param runDir directory of {@code ofa run}
     * @return the page's data
     * @throws IOException naming {@code report.json} when it is absent or unreadable
     */
    public static Data read(Path runDir) throws IOException {
        Path reportFile = runDir.resolve("report.json");
        if (!Files.isRegularFile(reportFile)) {
            throw new IOException("run " + runDir + " has no report.json; 'ofa run' writes it at the end of a run");
        }
        RunReport r = RunReport.read(reportFile);
        List<String> missing = new ArrayList<>();
        List<TrainingPoint> training = new ArrayList<>();
        Path metrics = runDir.resolve("supernet").resolve(EpochMetrics.FILE);
        if (Files.isRegularFile(metrics)) {
            for (EpochMetrics m : EpochMetrics.readLog(metrics)) {
                training.add(new TrainingPoint(m.phase(), m.phaseIndex(), m.epoch(), m.globalStep(), m.loss(),
                        m.trainAcc(), m.valAccMax(), m.valAccMin(), m.wallS()));
            }
        } else {
            missing.add("training metrics: " + metrics + " is absent");
        }
        String device = r.device() == null ? null : r.device().name();
        Map<String, AccuracyPoint> acc = new LinkedHashMap<>();
        Map<String, LatencyPoint> lat = new LinkedHashMap<>();
        for (RunReport.Slice s : r.slices()) {
            Path f = runDir.resolve("slices").resolve(s.target() + ".json");
            if (!Files.isRegularFile(f)) {
                missing.add("slice report " + f + " is absent");
                continue;
            }
            for (SliceJson.CandidateRow c : SliceJson.Report.read(f).candidates()) {
                acc.putIfAbsent(c.key(), new AccuracyPoint(c.key(), c.proposedBy(), c.predictedAccuracy(),
                        c.measuredValAccuracy()));
                Double p = device == null ? null : c.predictedLatencyMs().get(device);
                Double m = device == null ? null : c.measuredLatencyMs().get(device);
                if (p != null && m != null && Double.isFinite(p) && Double.isFinite(m) && m > 0) {
                    lat.putIfAbsent(c.key(), new LatencyPoint(c.key(), p, m));
                }
            }
        }
        List<String> lines = new ArrayList<>();
        String searchPredictor = null;
        if (r.predictor() != null) {
            searchPredictor = r.predictor().searchPredictor() + " (" + r.predictor().searchPredictorWhy() + ")";
            lines.addAll(r.predictor().lines());
            if (r.predictor().afterRefinement() != null) {
                for (String l : r.predictor().afterRefinement().lines()) {
                    lines.add("after refinement: " + l);
                }
            }
        }
        Latency latency = null;
        if (device != null) {
            Path profile = runDir.resolve("devices").resolve(device + ".json");
            int subnets = 0;
            Double fit = null;
            Double raw = null;
            if (Files.isRegularFile(profile)) {
                DeviceProfile.Measurement pm = DeviceProfile.load(profile).measurement();
                if (pm != null) {
                    subnets = pm.subnets();
                    fit = finite(pm.fitMapePercent());
                    raw = finite(pm.rawMapePercent());
                }
            } else {
                missing.add("device profile " + profile + " is absent");
            }
            double sum = 0;
            for (LatencyPoint p : lat.values()) {
                sum += Math.abs(p.predictedMs() - p.measuredMs()) / p.measuredMs();
            }
            latency = new Latency(device, subnets, fit, raw, lat.isEmpty() ? null : 100 * sum / lat.size(),
                    List.copyOf(lat.values()));
        }
        Path png = runDir.resolve("slices").resolve("pareto.png");
        String pareto = null;
        if (Files.isRegularFile(png)) {
            pareto = Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        } else {
            missing.add("Pareto figure " + png + " is absent");
        }
        String title = "ofa4j run report: " + runDir.toAbsolutePath().normalize().getFileName() + " (" + r.preset()
                + " preset, " + r.space() + ")";
        return new Data(FORMAT_VERSION, title, r.created(), r.preset(),
                r.data() == null ? null : r.data().description(), r.seed(), r.checkpointSha256(), training,
                new Predictor(searchPredictor, lines, List.copyOf(acc.values())), latency, pareto, r.slices(), r.costs(),
                missing);
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The self-contained page of a run: styles, scripts, the chart library and the data inline.
     *
     * @param data the run's data
     * @return the HTML
     */
    public static String html(Data data) {
        WebAssets w = WebAssets.load();
        String styles = "<style>\n" + w.text(WebAssets.UPLOT_CSS) + "\n" + w.text(WebAssets.APP_CSS) + "\n</style>";
        String scripts = "<script type=\"application/json\" id=\"report-data\">" + scriptSafe(JsonFiles.toLine(data))
                + "</script>\n" + inlineScript(w.text(WebAssets.UPLOT_JS)) + "\n" + inlineScript(w.text("charts.js")) + "\n"
                + inlineScript(w.text(WebAssets.REPORT_JS));
        return fill(w.text("report-template.html"), styles, "", scripts);
    }

    /**
     * Writes {@code report.html} into a run directory (temp file, then rename).
     *
     * @param runDir directory of {@code ofa run}
     * @return the file written
     * @throws IOException if the run cannot be read or the file written
     */
    public static Path write(Path runDir) throws IOException {
        Path out = runDir.resolve(FILE);
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, html(read(runDir)), StandardCharsets.UTF_8);
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return out;
    }

    /** The page as the server sends it: files from {@code /static/}, data from {@code /v1/report}. */
    static String shell(WebAssets w) {
        String styles = "<link rel=\"stylesheet\" href=\"/static/" + WebAssets.UPLOT_CSS + "\">\n"
                + "<link rel=\"stylesheet\" href=\"/static/" + WebAssets.APP_CSS + "\">";
        String scripts = "<script src=\"/static/" + WebAssets.UPLOT_JS + "\"></script>\n"
                + "<script src=\"/static/charts.js\"></script>\n<script src=\"/static/" + WebAssets.REPORT_JS + "\"></script>";
        return fill(w.text("report-template.html"), styles, "<a href=\"/\">Slice a subnet</a>", scripts);
    }

    private static String fill(String template, String styles, String nav, String scripts) {
        return template.replace("<!--STYLES-->", styles).replace("<!--NAV-->", nav).replace("<!--SCRIPTS-->", scripts);
    }

    private static String inlineScript(String js) {
        if (js.toLowerCase(java.util.Locale.ROOT).contains("</script")) {
            throw new IllegalStateException("a bundled script contains '</script' and cannot be inlined");
        }
        return "<script>" + js + "</script>";
    }

    /**
     * JSON made safe inside a {@code <script>} element: {@code <}, {@code >} and {@code &} as
     * Unicode escapes (they only occur inside JSON strings, where the escapes mean the same).
     */
    static String scriptSafe(String json) {
        return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
    }
}
