package ofa4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.BinomialInterval;
import ofa4j.predictor.CrossValidation;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.ProfileStage;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.SliceStage;
import ofa4j.slicer.Specialiser;
import ofa4j.supernet.train.TrainingPreset;
import ofa4j.supernet.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa run}: the main job. Trains the supernet, profiles this machine, builds the accuracy
 * predictor, slices for a handful of budgets, exports ONNX, draws the Pareto plot and writes {@code
 * report.json} and {@code summary.md}. With {@code --resume} every finished stage is reused.
 */
@Command(
        name = "run",
        description = "The main job: train -> profile -> predictor -> slice -> export, with report.json, summary.md and pareto.png.",
        footer = {"", "Examples:", "  ofa run                        # quick preset, Fashion-MNIST, runs/quick",
                "  ofa run --preset full --out runs/full --resume",
                "  ofa run --data my_images/ --out runs/pets     # one sub-folder of PNG/JPEG images per class"})
final class RunCommand implements Callable<Integer> {

    /** Folds of the predictor cross-validation reported next to the held-out 20%. */
    static final int CV_FOLDS = 5;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--preset", defaultValue = "quick", description = "quick (about 10 min in all here), full, or smoke (a short try-out) (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--space",
            description = "Search space preset: fmnist, fmnist-hr (more accurate per epoch, 2.7x the MACs), fmnist-s1"
                    + " (fmnist-hr with a stride-1 stem) or ofa-mbv3-w1.0"
                    + " (default: fmnist-s1 for the full preset, fmnist otherwise).")
    String spaceName;

    @Option(names = "--resume", description = "Reuse every finished stage of an earlier run in --out.")
    boolean resume;

    @Option(names = "--samples", description = "Subnets measured for the accuracy predictor's training table (default: smoke 20, quick 120, full 1500).")
    Integer samples;

    @Option(names = "--calibration-images", description = "BN recalibration images per subnet (default: smoke 100, quick 500, full 2000 as OFA).")
    Integer calibrationImages;

    @Option(names = "--profile-subnets", defaultValue = "30", description = "Whole subnets timed for the latency fit (default ${DEFAULT-VALUE}).")
    int profileSubnets;

    @Mixin CandidatesOption candidates;

    @Option(names = "--rounds", defaultValue = "2",
            description = "Closed loop: search-measure-refit rounds per target (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--watts-per-core", defaultValue = "15", description = "Power of a busy core for the energy estimate, W (default ${DEFAULT-VALUE}).")
    double wattsPerCore;

    /**
     * Subnets of the accuracy table when {@code --samples} is not given: smoke 20 (a minute-long
     * try-out), quick 120, full and user presets 1,500.
     *
     * @param preset the preset's name
     * @return the count
     */
    static int defaultSamples(String preset) {
        return switch (preset) {
            case "smoke" -> 20;
            case "quick" -> 120;
            default -> 1500;
        };
    }

    /**
     * BN recalibration images per subnet when {@code --calibration-images} is not given: smoke 100,
     * quick 500, full and user presets OFA's 2,000.
     *
     * @param preset the preset's name
     * @return the count
     */
    static int defaultCalibrationImages(String preset) {
        return switch (preset) {
            case "smoke" -> 100;
            case "quick" -> 500;
            default -> 2000;
        };
    }

    @Override
    public Integer call() throws Exception {
        TrainingPreset p = TrainingPreset.named(preset);
        SearchSpace chosen = SearchSpace.preset(spaceName != null ? spaceName : TrainingPreset.spaceFor(preset));
        int n = samples != null ? samples : defaultSamples(p.name());
        int calib = calibrationImages != null ? calibrationImages : defaultCalibrationImages(p.name());
        if (n < 20) {
            throw new IllegalArgumentException("--samples must be >= 20 (the predictor needs data), found " + n);
        }
        if (calib < 1) {
            throw new IllegalArgumentException("--calibration-images must be >= 1, found " + calib);
        }
        common.applyThreads();
        Path out = common.outDir(p.name());
        if (!resume && Files.isDirectory(out.resolve("supernet"))) {
            throw new IllegalArgumentException("output directory " + out + " already holds a run; use --resume to continue it or another --out");
        }
        Files.createDirectories(out);
        PrintWriter results = spec.commandLine().getOut();
        // -q: the results (summary, files written) and errors only; no stage lines
        PrintWriter w = common.quiet ? new PrintWriter(java.io.Writer.nullWriter()) : results;
        CostLedger ledger = new CostLedger(wattsPerCore);
        long t0 = System.nanoTime();

        w.println("[1/5] training the supernet (" + p.name() + " preset)...");
        TrainingResult trained = ledger.time("train", () ->
                TrainCommand.train(p, chosen, out.resolve("supernet"), resume, dataOptions, common, false, w));

        JsonObject report = new JsonObject();
        try (SupernetRun run = SupernetRun.open(out.resolve("supernet"), dataOptions, common.quiet)) {
            // Every later stage works on the space stored with the supernet: the chosen space adapted
            // to the data's channels and classes.
            SearchSpace space = run.net.space();
            w.println("[2/5] profiling this machine (ONNX Runtime, 1 thread)...");
            Path profileFile = out.resolve("devices").resolve(ProfileStage.localDeviceName(1) + ".json");
            boolean profileReused = resume && Files.isRegularFile(profileFile)
                    && DeviceProfile.load(profileFile).space().equals(space);
            DeviceProfile device = ledger.time("profile", () ->
                    ProfileStage.profile(space, profileFile, 1, profileSubnets, common.seed, common.quiet, resume));

            w.println("[3/5] measuring " + n + " subnets for the accuracy predictor...");
            Path predDir = out.resolve("predictor");
            Files.createDirectories(predDir);
            var table = ledger.time("accuracy_dataset", () ->
                    PredictorStage.accuracyTable(run.net, run.data, predDir.resolve(PredictorStage.ACCURACY_FILE), n, calib, common.seed, common.quiet));
            w.println("[4/5] fitting predictors...");
            try (PredictorStage.Predictors preds = ledger.time("fit_predictors", () ->
                    PredictorStage.fitPredictors(space, predDir, common.seed, resume, CV_FOLDS))) {
                w.println("      " + preds.mlpQuality());
                w.println("      " + preds.ridgeQuality());
                preds.crossValidation().forEach(v -> w.println("      " + v));
                if (preds.crossValidationReused()) {
                    w.println("      (cross-validation reused from " + PredictorStage.QUALITY_FILE + ": same table, folds, seed)");
                }
                AccuracyPredictor search = preds.best();
                String why = preds.choice().why();
                SliceStage.LoopSettings loop = new SliceStage.LoopSettings(candidates.k, rounds, calib,
                        candidates.screenImages(run.data.val().size(), true));
                w.println("[5/5] slicing for 4 budgets: " + search.name() + " predictor (" + why + ") proposes, the top "
                        + candidates.k + " candidates are measured, " + rounds + " round(s); exporting ONNX...");
                List<Fleet.Target> targets = SliceStage.defaultTargets(space, device);
                SliceStage.Slices slices = ledger.time("slice_export", () ->
                        SliceStage.slice(run.net, run.data, search, device, targets, out.resolve("slices"), loop, predDir, common.seed));
                w.println("      " + slices.tableNote() + ": " + slices.rowsAdded() + " rows added");
                PredictorStage.Predictors refined = null;
                if (Files.isRegularFile(predDir.resolve(PredictorStage.MEASURED_FILE))) {
                    w.println("      refitting the predictors on the table and the measured rows...");
                    refined = ledger.time("refit_predictors", () ->
                            PredictorStage.fitPredictors(space, predDir, common.seed, resume, CV_FOLDS, true));
                    refined.crossValidation().forEach(v -> w.println("      after: " + v));
                }

                report.addProperty("format_version", 1);
                report.addProperty("created", Instant.now().toString());
                report.addProperty("preset", p.name());
                report.addProperty("space", space.name());
                report.add("search_space", SpaceJson.toJson(space));
                report.add("data", dataJson(run));
                report.addProperty("seed", common.seed);
                report.addProperty("checkpoint_sha256", run.checkpointSha);
                JsonObject tr = new JsonObject();
                tr.addProperty("steps", trained.globalSteps());
                tr.addProperty("finished", trained.finished());
                if (!trained.metrics().isEmpty()) {
                    tr.add("last_epoch", JsonFiles.GSON.toJsonTree(trained.metrics().get(trained.metrics().size() - 1)));
                }
                report.add("training", tr);
                JsonObject dev = new JsonObject();
                dev.addProperty("name", device.name());
                dev.addProperty("file", profileFile.toString());
                dev.addProperty("reused", profileReused);
                dev.addProperty("predicted_min_ms", device.predictMs(space.min()));
                dev.addProperty("predicted_max_ms", device.predictMs(space.max()));
                report.add("device", dev);
                JsonObject pr = new JsonObject();
                pr.addProperty("rows", preds.rows());
                pr.addProperty("new_rows", table.newRows());
                pr.addProperty("search_predictor", search.name());
                pr.addProperty("search_predictor_why", why);
                pr.addProperty("cross_validation_reused", preds.crossValidationReused());
                pr.add("mlp", PredictorStage.quality(preds.mlpQuality()));
                pr.add("ridge", PredictorStage.quality(preds.ridgeQuality()));
                for (CrossValidation v : preds.crossValidation()) {
                    pr.add(v.predictor() + "_cv", PredictorStage.crossValidation(v));
                }
                if (refined != null) {
                    JsonObject after = new JsonObject();
                    after.addProperty("rows", refined.rows());
                    after.addProperty("rows_added_by_closed_loop", slices.rowsAdded());
                    after.add("mlp", PredictorStage.quality(refined.mlpQuality()));
                    after.add("ridge", PredictorStage.quality(refined.ridgeQuality()));
                    for (CrossValidation v : refined.crossValidation()) {
                        after.add(v.predictor() + "_cv", PredictorStage.crossValidation(v));
                    }
                    pr.add("after_refinement", after);
                    refined.close();
                }
                report.add("predictor", pr);
                JsonObject lp = new JsonObject();
                lp.addProperty("candidates_per_round", candidates.k);
                lp.addProperty("rounds", rounds);
                lp.addProperty("candidates_measured", slices.loop().measured().size());
                lp.addProperty("table", slices.tableNote());
                report.add("closed_loop", lp);
                JsonArray sl = new JsonArray();
                StringBuilder md = new StringBuilder();
                md.append("# ofa4j run: ").append(p.name()).append(" preset\n\n");
                md.append(String.format(Locale.ROOT, "Data: %s; %d train / %d val / %d test images.%n%n",
                        run.source.describe(), run.data.train().size(), run.data.val().size(), run.data.test().size()));
                int trainN = run.data.train().size();
                md.append(String.format(Locale.ROOT, "Training: %s preset, optimizer steps per phase %s.%n%n", p.name(),
                        java.util.Arrays.toString(p.scaledTo(trainN).phaseSteps(trainN))));
                md.append("Slices (closed loop: the top ").append(candidates.k).append(" candidates per round measured, ")
                        .append(rounds).append(" round(s); latency through the profile's meter, median of ")
                        .append(Specialiser.LATENCY_TIMINGS).append(" timings):\n\n");
                md.append("| target | subnet | MACs (M) | params (M) | pred. acc | val acc | test acc | pred. ms | measured ms | measured candidates |\n");
                md.append("|---|---|---|---|---|---|---|---|---|---|\n");
                for (Specialiser.Report r : slices.reports()) {
                    JsonObject j = new JsonObject();
                    j.addProperty("target", r.target());
                    j.addProperty("key", r.candidate().arch().key());
                    j.addProperty("macs", r.candidate().costs().macs());
                    j.addProperty("params", r.candidate().costs().params());
                    j.addProperty("predicted_accuracy", r.candidate().predictedAccuracy());
                    j.addProperty("val_accuracy", r.valAccuracy());
                    j.addProperty("test_accuracy", r.testAccuracy());
                    double predMs = device.predictMs(r.candidate().arch());
                    j.addProperty("predicted_latency_ms", predMs);
                    j.addProperty("measured_latency_ms", r.measuredLatencyMs());
                    j.addProperty("candidates_measured", r.outcome().proposed().size());
                    j.addProperty("delivered_from_round", r.outcome().delivered().round());
                    j.addProperty("outside_table_range", r.outcome().delivered().outsideTableRange());
                    j.addProperty("onnx", r.onnxFile().toString());
                    j.addProperty("report", r.reportFile().toString());
                    sl.add(j);
                    md.append(String.format(Locale.ROOT, "| %s | `%s` | %.3f | %.3f | %.2f%%%s | %.2f%% | %.2f%% | %.3f | %.3f | %d |%n",
                            r.target(), r.candidate().arch().key(), r.candidate().costs().macs() / 1e6,
                            r.candidate().costs().params() / 1e6, 100 * r.candidate().predictedAccuracy(),
                            r.outcome().delivered().outsideTableRange() ? " (!)" : "",
                            100 * r.valAccuracy(), 100 * r.testAccuracy(), predMs, r.measuredLatencyMs(),
                            r.outcome().proposed().size()));
                }
                if (slices.reports().stream().anyMatch(r -> r.outcome().delivered().outsideTableRange())) {
                    md.append("\n(!) predicted outside the range of accuracies in the accuracy table: an extrapolation.\n");
                }
                double bestVal = slices.reports().stream().mapToDouble(Specialiser.Report::valAccuracy).max().orElse(0.5);
                BinomialInterval ci = BinomialInterval.wilson95(bestVal, run.data.val().size());
                md.append(String.format(Locale.ROOT, "%nValidation split: %s at the best slice's accuracy.%s%n", ci.describe(),
                        ci.widerThan(2) ? " WARNING: wider than +-2 points: accuracy differences between slices below"
                                + " that are noise; use more validation images." : ""));
                report.addProperty("val_interval_95", ci.describe());
                report.add("slices", sl);
                report.addProperty("pareto_plot", out.resolve("slices").resolve("pareto.png").toString());
                report.add("costs", ledger.toJson());
                report.addProperty("total_wall_s", (System.nanoTime() - t0) / 1e9);
                md.append(String.format(Locale.ROOT, "%nPredictor (held-out 20%% of %d subnets): %s; %s.%n",
                        preds.rows(), preds.mlpQuality(), preds.ridgeQuality()));
                for (CrossValidation v : preds.crossValidation()) {
                    md.append(String.format(Locale.ROOT, "%nPredictor %s.%n", v));
                }
                if (refined != null) {
                    md.append(String.format(Locale.ROOT, "%nAfter refinement (%d measured rows added, %d in all):%n",
                            slices.rowsAdded(), refined.rows()));
                    for (CrossValidation v : refined.crossValidation()) {
                        md.append(String.format(Locale.ROOT, "%nPredictor %s.%n", v));
                    }
                }
                md.append(String.format(Locale.ROOT, "%nWall time %.1f s, CPU %.1f s, energy estimate %.1f Wh (%.0f W per busy core).%n",
                        (System.nanoTime() - t0) / 1e9, ledger.toJson().get("total_cpu_s").getAsDouble(),
                        ledger.toJson().get("energy_wh").getAsDouble(), wattsPerCore));
                AtomicFiles.writeString(out.resolve("report.json"), new GsonBuilder().setPrettyPrinting().create().toJson(report));
                AtomicFiles.writeString(out.resolve("summary.md"), md.toString());
                w.println();
                results.print(md);
                w.println();
                results.println("wrote " + out.resolve("report.json") + ", " + out.resolve("summary.md") + ", "
                        + out.resolve("slices").resolve("pareto.png") + " and " + slices.reports().size() + " ONNX files");
            }
        }
        return 0;
    }

    /** The data of a run for the report: source, shape, class names and split sizes. */
    private static JsonObject dataJson(SupernetRun run) {
        JsonObject d = new JsonObject();
        d.addProperty("kind", run.source.kind());
        d.addProperty("dir", run.source.dir().toString());
        d.addProperty("channels", run.data.train().channels());
        d.addProperty("image_size", run.data.train().height());
        JsonArray names = new JsonArray();
        run.source.classNames().forEach(names::add);
        d.add("class_names", names);
        d.addProperty("train_images", run.data.train().size());
        d.addProperty("val_images", run.data.val().size());
        d.addProperty("test_images", run.data.test().size());
        return d;
    }
}
