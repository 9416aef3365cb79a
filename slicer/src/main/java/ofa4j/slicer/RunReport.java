package ofa4j.slicer;

import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;
import ofa4j.models.SpaceJson;
import ofa4j.predictor.QualityReport;
import ofa4j.supernet.train.EpochMetrics;

/**
 * What {@code ofa run} did, end to end: {@code report.json} (this record, through {@link
 * JsonFiles}) and {@code summary.md} (rendered from it by {@link #summary()}). One reader and one
 * writer; the format version is checked on read.
 *
 * @param formatVersion format version
 * @param created ISO-8601 time of writing
 * @param preset training preset
 * @param space search-space name
 * @param searchSpace the search space
 * @param data the data of the run
 * @param seed run seed
 * @param checkpointSha256 SHA-256 of the sliced checkpoint's parameters
 * @param training training totals
 * @param device the latency profile used
 * @param predictor accuracy-predictor quality before and after refinement
 * @param closedLoop closed-loop settings and totals
 * @param valInterval95 Wilson 95% interval of the validation split at the best slice's accuracy
 * @param valIntervalWide whether that interval is wider than +-2 points (differences below that are noise)
 * @param slices the delivered slices
 * @param paretoPlot the plot file
 * @param costs wall time, CPU time and energy per stage
 * @param totalWallS wall time of the run
 */
public record RunReport(int formatVersion, String created, String preset, String space, SpaceJson searchSpace,
        Data data, long seed, String checkpointSha256, Training training, Device device, Predictor predictor,
        ClosedLoopInfo closedLoop, @SerializedName("val_interval_95") String valInterval95, Boolean valIntervalWide,
        List<Slice> slices,
        String paretoPlot, Costs costs, double totalWallS) {

    /** Format version written by this build. */
    public static final int FORMAT_VERSION = 1;

    /** Checks the version and copies the list. */
    public RunReport {
        JsonFiles.checkVersion("run report", formatVersion, 1, FORMAT_VERSION);
        JsonFiles.required(slices, "slices");
        slices = List.copyOf(slices);
    }

    /**
     * The data of a run.
     *
     * @param kind {@code fashion-mnist} or {@code folder}
     * @param dir where it was read
     * @param channels image channels
     * @param imageSize image side in pixels
     * @param classNames class names by label
     * @param trainImages training images
     * @param valImages validation images
     * @param testImages test images
     * @param description one line for people (absent in reports of older builds)
     */
    public record Data(String kind, String dir, int channels, int imageSize, List<String> classNames, int trainImages,
            int valImages, int testImages, String description) {}

    /**
     * Training totals.
     *
     * @param steps optimizer steps done
     * @param finished whether every phase finished
     * @param lastEpoch the last row of {@code metrics.jsonl}
     * @param phaseSteps optimizer steps of each phase (absent in reports of older builds)
     */
    public record Training(long steps, boolean finished, EpochMetrics lastEpoch, List<Long> phaseSteps) {}

    /**
     * The device profile.
     *
     * @param name device name
     * @param file profile file
     * @param reused whether an existing profile was reused
     * @param predictedMinMs predicted latency of the smallest subnet
     * @param predictedMaxMs predicted latency of the largest subnet
     * @param fitMapePercent the profile's fit error on its timed subnets, percent (null if unknown)
     * @param anchorErrorPercent how far the profile predicts its anchor subnet from the anchor's timing,
     *     percent (null in profiles without it)
     * @param profileAttempts whole profiles measured until one was consistent (null in profiles without it)
     */
    public record Device(String name, String file, boolean reused, double predictedMinMs, double predictedMaxMs,
            Double fitMapePercent, Double anchorErrorPercent, Integer profileAttempts) {}

    /**
     * Quality of the accuracy predictors after refinement with the closed loop's measurements.
     *
     * @param rows rows fitted on
     * @param rowsAddedByClosedLoop measured rows added
     * @param mlp held-out quality of the MLP
     * @param ridge held-out quality of the ridge model
     * @param mlpCv cross-validation of the MLP
     * @param ridgeCv cross-validation of the ridge model
     * @param lines the same figures, one line each, for people
     */
    public record Refined(int rows, int rowsAddedByClosedLoop, QualityReport.Figures mlp, QualityReport.Figures ridge,
            QualityReport.CrossValidationFigures mlpCv, QualityReport.CrossValidationFigures ridgeCv,
            List<String> lines) {}

    /**
     * Quality of the accuracy predictors.
     *
     * @param rows rows of the accuracy table
     * @param newRows rows measured by this run
     * @param searchPredictor the predictor that drove the search
     * @param searchPredictorWhy why it was chosen
     * @param crossValidationReused whether cross-validation was reused from {@code quality.json}
     * @param mlp held-out quality of the MLP
     * @param ridge held-out quality of the ridge model
     * @param mlpCv cross-validation of the MLP
     * @param ridgeCv cross-validation of the ridge model
     * @param afterRefinement the same after refinement, when the closed loop measured rows
     * @param lines the figures, one line each, for people
     */
    public record Predictor(int rows, int newRows, String searchPredictor, String searchPredictorWhy,
            boolean crossValidationReused, QualityReport.Figures mlp, QualityReport.Figures ridge,
            QualityReport.CrossValidationFigures mlpCv, QualityReport.CrossValidationFigures ridgeCv,
            Refined afterRefinement, List<String> lines) {}

    /**
     * The closed loop.
     *
     * @param candidatesPerRound K
     * @param rounds search rounds
     * @param candidatesMeasured candidates measured over all targets
     * @param table how the accuracy table was extended
     */
    public record ClosedLoopInfo(int candidatesPerRound, int rounds, int candidatesMeasured, String table) {}

    /**
     * One delivered slice.
     *
     * @param target target name
     * @param key arch key
     * @param macs multiply-accumulates
     * @param params parameters
     * @param predictedAccuracy predicted validation accuracy
     * @param valAccuracy measured validation accuracy
     * @param testAccuracy measured test accuracy
     * @param predictedLatencyMs predicted latency on the run's device
     * @param measuredLatencyMs measured latency, absent when not measured
     * @param candidatesMeasured candidates measured for it
     * @param deliveredFromRound round that proposed it
     * @param outsideTableRange whether its prediction lies outside the accuracy table's range
     * @param onnx the ONNX file
     * @param report its slice report
     * @param predictedAccuracyBasis how {@code predictedAccuracy} was predicted ({@link
     *     ClosedLoop.Prediction#basis}); absent in reports of earlier versions
     * @param searchPredictedAccuracy the prediction the search ranked it by; absent in reports of
     *     earlier versions
     * @param int8ValAccuracy validation accuracy of its INT8 model; absent when none was made
     * @param int8TestAccuracy test accuracy of its INT8 model; absent when none was made
     * @param int8Onnx the INT8 model file; absent when none was made
     * @param precision precision of the delivered model, {@code fp32} or {@code int8} (with {@code
     *     int8} the delivered model is {@code int8Onnx}, its latencies from the INT8 profile, and
     *     {@code valAccuracy}/{@code testAccuracy} stay the FP32 subnet's); absent in reports of
     *     earlier versions, which are FP32
     * @param auto with {@code --precision auto}: both precisions' slices of the target, their measured
     *     accuracy and latency and why one was delivered; absent otherwise
     */
    public record Slice(String target, String key, long macs, long params, double predictedAccuracy,
            double valAccuracy, double testAccuracy, double predictedLatencyMs, Double measuredLatencyMs,
            int candidatesMeasured, int deliveredFromRound, boolean outsideTableRange, String onnx, String report,
            String predictedAccuracyBasis, Double searchPredictedAccuracy, Double int8ValAccuracy,
            Double int8TestAccuracy, String int8Onnx, String precision, AutoChoice auto) {

        /** @return the precision of the delivered model ({@code fp32} for reports without one) */
        public String deliveredPrecision() {
            return precision == null ? "fp32" : precision;
        }
    }

    /**
     * One stage's cost.
     *
     * @param stage stage name
     * @param wallS wall time
     * @param cpuS process CPU time
     * @param energyJ energy estimate
     * @param reused whether its output was reused
     */
    public record Stage(String stage, double wallS, double cpuS, double energyJ, boolean reused) {}

    /**
     * The cost of a run.
     *
     * @param stages per stage
     * @param totalWallS total wall time of the stages
     * @param totalCpuS total CPU time
     * @param wattsPerCore assumed power of a busy core
     * @param energyJ energy estimate in joules
     * @param energyWh the same in watt-hours
     */
    public record Costs(List<Stage> stages, double totalWallS, double totalCpuS, double wattsPerCore, double energyJ,
            double energyWh) {}

    /**
     * Assembles the report of a run from what its stages returned.
     *
     * @param preset training preset name
     * @param searchSpace the space
     * @param data the data record
     * @param seed run seed
     * @param checkpointSha256 SHA-256 of the sliced parameters
     * @param trained what training returned
     * @param phaseSteps optimizer steps of each phase
     * @param device the device profile
     * @param deviceFile its file
     * @param deviceReused whether it was reused
     * @param preds the fitted predictors
     * @param newRows rows measured for the accuracy table by this run
     * @param refined the predictors refitted after the closed loop, or null
     * @param slices what slicing returned
     * @param loop the closed loop's settings
     * @param costs the cost ledger
     * @param totalWallS wall time of the run
     * @return the report
     */
    public static RunReport of(String preset, ofa4j.models.SearchSpace searchSpace, Data data, long seed,
            String checkpointSha256, ofa4j.supernet.train.TrainingResult trained, List<Long> phaseSteps,
            ofa4j.predictor.DeviceProfile device, Path deviceFile, boolean deviceReused,
            ofa4j.predictor.PredictorStage.Predictors preds, int newRows,
            ofa4j.predictor.PredictorStage.Predictors refined, SliceStage.Slices slices, SliceStage.LoopSettings loop,
            Costs costs, double totalWallS) {
        return of(preset, searchSpace, data, seed, checkpointSha256, trained, phaseSteps, device, deviceFile, deviceReused,
                preds, newRows, refined, slices, loop, costs, totalWallS, null);
    }

    /**
     * The other precision's half of a {@code --precision auto} run.
     *
     * @param slices the INT8 slices of the same targets, in the same order
     * @param device their (INT8) device profile
     * @param choices the choice of each target, in the same order
     */
    public record AutoHalf(SliceStage.Slices slices, ofa4j.predictor.DeviceProfile device, List<AutoChoice> choices) {}

    /**
     * Assembles the report of a run; with {@code auto}, each target's row is the slice its choice
     * delivered (the INT8 one's figures from the INT8 profile) and records both candidates.
     *
     * @param preset training preset name
     * @param searchSpace the space
     * @param data the data record
     * @param seed run seed
     * @param checkpointSha256 SHA-256 of the sliced parameters
     * @param trained what training returned
     * @param phaseSteps optimizer steps of each phase
     * @param device the device profile
     * @param deviceFile its file
     * @param deviceReused whether it was reused
     * @param preds the fitted predictors
     * @param newRows rows measured for the accuracy table by this run
     * @param refined the predictors refitted after the closed loop, or null
     * @param slices what slicing returned
     * @param loop the closed loop's settings
     * @param costs the cost ledger
     * @param totalWallS wall time of the run
     * @param auto the INT8 half of a {@code --precision auto} run, or null
     * @return the report
     */
    public static RunReport of(String preset, ofa4j.models.SearchSpace searchSpace, Data data, long seed,
            String checkpointSha256, ofa4j.supernet.train.TrainingResult trained, List<Long> phaseSteps,
            ofa4j.predictor.DeviceProfile device, Path deviceFile, boolean deviceReused,
            ofa4j.predictor.PredictorStage.Predictors preds, int newRows,
            ofa4j.predictor.PredictorStage.Predictors refined, SliceStage.Slices slices, SliceStage.LoopSettings loop,
            Costs costs, double totalWallS, AutoHalf auto) {
        var m = trained.metrics();
        Training training = new Training(trained.globalSteps(), trained.finished(),
                m.isEmpty() ? null : m.get(m.size() - 1), phaseSteps);
        var pm = device.measurement();
        Device dev = new Device(device.name(), deviceFile.toString(), deviceReused,
                device.predictMs(searchSpace.min()), device.predictMs(searchSpace.max()),
                pm == null || !Double.isFinite(pm.fitMapePercent()) ? null : pm.fitMapePercent(),
                pm == null ? null : pm.anchorErrorPercent(), pm == null ? null : pm.attempts());
        Refined after = null;
        if (refined != null) {
            after = new Refined(refined.rows(), slices.rowsAdded(), QualityReport.Figures.of(refined.mlpQuality()),
                    QualityReport.Figures.of(refined.ridgeQuality()), cv(refined, "mlp"), cv(refined, "ridge"),
                    refined.crossValidation().stream().map(Object::toString).toList());
        }
        List<String> lines = new java.util.ArrayList<>();
        lines.add(preds.mlpQuality().toString());
        lines.add(preds.ridgeQuality().toString());
        preds.crossValidation().forEach(v -> lines.add(v.toString()));
        Predictor predictor = new Predictor(preds.rows(), newRows, preds.best().name(), preds.choice().why(),
                preds.crossValidationReused(), QualityReport.Figures.of(preds.mlpQuality()), QualityReport.Figures.of(preds.ridgeQuality()), cv(preds, "mlp"),
                cv(preds, "ridge"), after, lines);
        ClosedLoopInfo cl = new ClosedLoopInfo(loop.k(), loop.rounds(), slices.measured().size(),
                slices.tableNote());
        List<Slice> sl = new java.util.ArrayList<>();
        for (int i = 0; i < slices.reports().size(); i++) {
            AutoChoice choice = auto == null ? null : auto.choices().get(i);
            boolean int8Half = choice != null && "int8".equals(choice.chosen());
            Specialiser.Report r = int8Half ? auto.slices().reports().get(i) : slices.reports().get(i);
            ofa4j.predictor.DeviceProfile dev8 = int8Half ? auto.device() : device;
            sl.add(new Slice(r.target(), r.candidate().arch().key(), r.candidate().costs().macs(),
                    r.candidate().costs().params(), r.candidate().predictedAccuracy(), r.valAccuracy(),
                    r.testAccuracy(), dev8.predictMs(r.candidate().arch()),
                    Double.isNaN(r.measuredLatencyMs()) ? null : r.measuredLatencyMs(), r.outcome().proposed().size(),
                    r.outcome().delivered().round(), r.outcome().prediction().outsideTableRange(),
                    r.onnxFile().toString(), r.reportFile().toString(), r.outcome().prediction().basis(),
                    r.outcome().delivered().candidate().predictedAccuracy(),
                    r.int8OnnxFile() == null ? null : r.int8ValAccuracy(),
                    r.int8OnnxFile() == null ? null : r.int8TestAccuracy(),
                    r.int8OnnxFile() == null ? null : r.int8OnnxFile().toString(), r.precision().id(), choice));
        }
        double bestVal = slices.reports().stream().mapToDouble(Specialiser.Report::valAccuracy).max().orElse(0.5);
        var ci = ofa4j.predictor.BinomialInterval.wilson95(bestVal, data.valImages());
        Path plot = slices.reports().isEmpty() ? null : slices.reports().get(0).reportFile().resolveSibling("pareto.png");
        return new RunReport(FORMAT_VERSION, java.time.Instant.now().toString(), preset, searchSpace.name(),
                SpaceJson.of(searchSpace), data, seed, checkpointSha256, training, dev, predictor, cl, ci.describe(),
                ci.widerThan(2), sl, plot == null ? null : plot.toString(), costs, totalWallS);
    }

    private static QualityReport.CrossValidationFigures cv(ofa4j.predictor.PredictorStage.Predictors p, String kind) {
        return p.crossValidation().stream().filter(v -> v.predictor().equals(kind)).findFirst()
                .map(QualityReport.CrossValidationFigures::of).orElse(null);
    }

    /**
     * @param file a report
     * @return its content
     * @throws IOException naming the file when it is not a run report this build reads
     */
    public static RunReport read(Path file) throws IOException {
        return JsonFiles.read(file, RunReport.class);
    }

    /**
     * Writes {@code report.json} and {@code summary.md} into a directory, each atomically.
     *
     * @param dir the run's output directory
     * @throws IOException if writing fails
     */
    public void write(Path dir) throws IOException {
        JsonFiles.write(dir.resolve("report.json"), this);
        AtomicFiles.writeString(dir.resolve("summary.md"), summary());
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** @return the Markdown summary of this report */
    public String summary() {
        StringBuilder md = new StringBuilder();
        md.append("# ofa4j run: ").append(preset).append(" preset\n\n");
        md.append(String.format(Locale.ROOT, "Data: %s; %d train / %d val / %d test images.%n%n",
                data.description() == null ? data.kind() + " " + data.dir() : data.description(), data.trainImages(),
                data.valImages(), data.testImages()));
        if (training.phaseSteps() != null) {
            md.append(String.format(Locale.ROOT, "Training: %s preset, optimizer steps per phase %s.%n%n", preset,
                    training.phaseSteps()));
        }
        if (device != null && device.anchorErrorPercent() != null && device.fitMapePercent() != null) {
            md.append(String.format(Locale.ROOT,
                    "Latency profile %s%s: fit error %.1f%%, anchor subnet predicted %.1f%% off its timing, %d"
                            + " attempt(s).%n%n",
                    device.name(), device.reused() ? " (reused)" : "", device.fitMapePercent(),
                    device.anchorErrorPercent(), device.profileAttempts()));
        }
        md.append("Slices (closed loop: the top ").append(closedLoop.candidatesPerRound())
                .append(" candidates per round measured, ").append(closedLoop.rounds())
                .append(" round(s); latency through the profile's meter, median of ")
                .append(Specialiser.LATENCY_TIMINGS).append(" timings):\n\n");
        md.append("| target | subnet | precision | MACs (M) | params (M) | pred. acc | val acc | test acc | pred. ms"
                + " | measured ms | measured candidates |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Slice s : slices) {
            md.append(String.format(Locale.ROOT,
                    "| %s | `%s` | %s | %.3f | %.3f | %.2f%%%s | %.2f%% | %.2f%% | %.3f | %s | %d |%n", s.target(), s.key(),
                    s.deliveredPrecision() + (s.auto() == null ? "" : " (auto)"),
                    s.macs() / 1e6, s.params() / 1e6, 100 * s.predictedAccuracy(), s.outsideTableRange() ? " (!)" : "",
                    100 * s.valAccuracy(), 100 * s.testAccuracy(), s.predictedLatencyMs(),
                    s.measuredLatencyMs() == null ? "-" : String.format(Locale.ROOT, "%.3f", s.measuredLatencyMs()),
                    s.candidatesMeasured()));
        }
        if (slices.stream().anyMatch(s -> s.int8TestAccuracy() != null)) {
            md.append("\nINT8 (post-training, QDQ, accuracy in ONNX Runtime), test accuracy FP32 -> INT8: ");
            List<String> parts = new java.util.ArrayList<>();
            for (Slice s : slices) {
                if (s.int8TestAccuracy() != null) {
                    parts.add(String.format(Locale.ROOT, "%s %.2f%% -> %.2f%%", s.target(), 100 * s.testAccuracy(),
                            100 * s.int8TestAccuracy()));
                }
            }
            md.append(String.join(", ", parts)).append(".\n");
        }
        if (slices.stream().anyMatch(s -> "int8".equals(s.precision()))) {
            md.append("\nint8 rows: the delivered model is the INT8 one (pred. and measured ms from the INT8 profile);"
                    + " val and test acc are its FP32 subnet's, the INT8 ones below.\n");
        }
        if (slices.stream().anyMatch(s -> s.auto() != null)) {
            md.append("\n--precision auto (both precisions sliced under the same budget, each with its own profile;"
                    + " the higher measured validation accuracy within the budget delivered):\n\n");
            md.append("| target | chosen | fp32 subnet | fp32 val / test | fp32 ms | int8 subnet | int8 val / test | int8 ms |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            for (Slice s : slices) {
                AutoChoice a = s.auto();
                if (a != null) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | `%s` | %.2f%% / %.2f%% | %s | `%s` | %.2f%% / %.2f%% | %s |%n",
                            s.target(), a.chosen(), a.fp32().arch(), 100 * a.fp32().valAccuracy(),
                            100 * a.fp32().testAccuracy(), ms(a.fp32().latencyMs()), a.int8().arch(),
                            100 * a.int8().valAccuracy(), 100 * a.int8().testAccuracy(), ms(a.int8().latencyMs())));
                }
            }
        }
        if (slices.stream().anyMatch(s -> ClosedLoop.Prediction.OUT_OF_SAMPLE.equals(s.predictedAccuracyBasis()))) {
            md.append("\npred. acc: the refined predictor's prediction with the slice's own measurement left out"
                    + " (the search's prediction is in each slice's report).\n");
        }
        if (slices.stream().anyMatch(Slice::outsideTableRange)) {
            md.append("\n(!) predicted outside the range of accuracies in the accuracy table: an extrapolation.\n");
        }
        md.append(String.format(Locale.ROOT, "%nValidation split: %s at the best slice's accuracy.%s%n", valInterval95,
                Boolean.TRUE.equals(valIntervalWide) ? " WARNING: wider than +-2 points: accuracy differences between"
                        + " slices below that are noise; use more validation images." : ""));
        if (predictor.lines() != null) {
            md.append(String.format(Locale.ROOT, "%nPredictor (held-out 20%% of %d subnets): %s.%n", predictor.rows(),
                    String.join("; ", predictor.lines().subList(0, Math.min(2, predictor.lines().size())))));
            for (String l : predictor.lines().subList(Math.min(2, predictor.lines().size()), predictor.lines().size())) {
                md.append(String.format(Locale.ROOT, "%nPredictor %s.%n", l));
            }
        }
        Refined r = predictor.afterRefinement();
        if (r != null && r.lines() != null) {
            md.append(String.format(Locale.ROOT, "%nAfter refinement (%d measured rows added, %d in all):%n",
                    r.rowsAddedByClosedLoop(), r.rows()));
            for (String l : r.lines()) {
                md.append(String.format(Locale.ROOT, "%nPredictor %s.%n", l));
            }
        }
        md.append(String.format(Locale.ROOT,
                "%nWall time %.1f s, CPU %.1f s, energy estimate %.1f Wh (%.0f W per busy core).%n", totalWallS,
                costs.totalCpuS(), costs.energyWh(), costs.wattsPerCore()));
        return md.toString();
    }
}
