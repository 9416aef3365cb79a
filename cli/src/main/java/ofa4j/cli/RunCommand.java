package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.ProfileStage;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.RunReport;
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
                "  ofa run --data my_images/ --out runs/pets     # one sub-folder of PNG/JPEG images per class",
                "  ofa run --preset full --spark local[2]        # the accuracy table and the fleet as Spark jobs"})
final class RunCommand implements Callable<Integer> {

    /** Folds of the predictor cross-validation reported next to the held-out 20%. */
    static final int CV_FOLDS = 5;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Mixin SparkOptions spark;

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

    @Option(names = "--int8", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also write each delivered slice as a post-training INT8 model (<target>.int8.onnx), its"
                    + " validation and test accuracy measured in ONNX Runtime next to the FP32 ones; --no-int8 skips"
                    + " it (default: on).")
    boolean int8 = true;

    @Mixin Int8Option int8Options;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "Precision of the delivered slices: fp32 (default), int8 (this machine is also profiled for"
                    + " INT8 models, devices/cpu-ort-1t-int8.json, and the slices are searched, measured and delivered as"
                    + " INT8 models under budgets from that profile) or auto (the FP32 slices as with fp32, the same"
                    + " budgets sliced again in INT8 into slices/int8, and slices/<target>.auto.json naming the one"
                    + " with the higher measured validation accuracy).")
    String precision;

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
        spark.check();
        boolean auto = "auto".equals(precision);
        ofa4j.predictor.Precision prec;
        try {
            prec = auto ? ofa4j.predictor.Precision.FP32 : ofa4j.predictor.Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision must be one of fp32, int8, auto; found '" + precision + "'");
        }
        if (prec == ofa4j.predictor.Precision.INT8 && !int8) {
            throw new IllegalArgumentException("--no-int8 contradicts --precision int8");
        }
        boolean wantInt8Profile = auto || prec == ofa4j.predictor.Precision.INT8;
        ofa4j.slicer.Specialiser.Int8Settings int8Settings = int8 ? int8Options.settings() : null;
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

        try (SupernetRun run = SupernetRun.open(out.resolve("supernet"), dataOptions, common.quiet)) {
            // Every later stage works on the space stored with the supernet: the chosen space adapted
            // to the data's channels and classes.
            SearchSpace space = run.net.space();
            w.println("[2/5] profiling this machine (ONNX Runtime, 1 thread)...");
            Path profileFile = out.resolve("devices").resolve(ProfileStage.localDeviceName(1) + ".json");
            boolean profileReused = resume && Files.isRegularFile(profileFile)
                    && DeviceProfile.load(profileFile).space().equals(space);
            DeviceProfile fp32Device = ledger.time("profile", () ->
                    ProfileStage.profile(space, profileFile, 1, profileSubnets, common.seed, common.quiet, resume));
            DeviceProfile int8Device = null;
            Path int8ProfileFile = out.resolve("devices").resolve(
                    ProfileStage.localDeviceName("onnxruntime", ofa4j.predictor.Precision.INT8, 1, 1) + ".json");
            if (wantInt8Profile) {
                w.println("      and for INT8 models...");
                int8Device = ledger.time("profile_int8", () -> ProfileStage.profile(space, int8ProfileFile, "onnxruntime",
                        ofa4j.predictor.Precision.INT8, 1, 1, profileSubnets, common.seed, common.quiet, resume));
            }
            DeviceProfile device = prec == ofa4j.predictor.Precision.INT8 ? int8Device : fp32Device;

            w.println("[3/5] measuring " + n + " subnets for the accuracy predictor...");
            Path predDir = out.resolve("predictor");
            Files.createDirectories(predDir);
            var table = ledger.time("accuracy_dataset", () ->
                    spark.accuracyTable(run, predDir.resolve(PredictorStage.ACCURACY_FILE), n, calib, common, w));
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
                SliceStage.LoopSettings loop32 = new SliceStage.LoopSettings(candidates.k, rounds, calib,
                        candidates.screenImages(run.data.val().size(), true), int8Settings);
                SliceStage.LoopSettings loop8 = new SliceStage.LoopSettings(loop32.k(), loop32.rounds(),
                        loop32.calibrationImages(), loop32.screenImages(), int8Options.settings(),
                        ofa4j.predictor.Precision.INT8);
                SliceStage.LoopSettings loop = prec == ofa4j.predictor.Precision.INT8 ? loop8 : loop32;
                w.println("[5/5] slicing for 4 budgets: " + search.name() + " predictor (" + why + ") proposes, the top "
                        + candidates.k + " candidates are measured, " + rounds + " round(s); exporting ONNX...");
                List<Fleet.Target> targets = SliceStage.defaultTargets(space, device);
                SliceStage.Slices slices = ledger.time("slice_export", () ->
                        spark.fleet(run, search, device, targets, out.resolve("slices"), loop, predDir, "evolution", null,
                                ofa4j.slicer.EvolutionSearch.ofaDefaults(), common, w));
                w.println("      " + slices.tableNote() + ": " + slices.rowsAdded() + " rows added");
                List<ofa4j.slicer.AutoChoice> choices = new java.util.ArrayList<>();
                RunReport.AutoHalf autoHalf = null;
                if (auto) {
                    w.println("      --precision auto: the same budgets in INT8 (slices/int8)...");
                    DeviceProfile d8 = int8Device;
                    List<Fleet.Target> targets8 = SliceStage.sameBudgets(targets, fp32Device, d8);
                    SliceStage.Slices s8 = ledger.time("slice_export_int8", () -> spark.fleet(run, search, d8, targets8,
                            out.resolve("slices").resolve("int8"), loop8, predDir, "evolution", null,
                            ofa4j.slicer.EvolutionSearch.ofaDefaults(), common, w));
                    w.println("      " + s8.tableNote() + ": " + s8.rowsAdded() + " rows added");
                    for (int i = 0; i < slices.reports().size(); i++) {
                        ofa4j.slicer.AutoChoice c = ofa4j.slicer.AutoChoice.of(slices.reports().get(i), s8.reports().get(i),
                                out.resolve("slices"));
                        c.writeTo(out.resolve("slices"));
                        choices.add(c);
                    }
                    autoHalf = new RunReport.AutoHalf(s8, d8, choices);
                }
                PredictorStage.Predictors refined = null;
                if (Files.isRegularFile(predDir.resolve(PredictorStage.MEASURED_FILE))) {
                    w.println("      refitting the predictors on the table and the measured rows...");
                    refined = ledger.time("refit_predictors", () ->
                            PredictorStage.fitPredictors(space, predDir, common.seed, resume, CV_FOLDS, true));
                    refined.crossValidation().forEach(v -> w.println("      after: " + v));
                }

                int trainN = run.data.train().size();
                List<Long> phaseSteps = java.util.Arrays.stream(p.scaledTo(trainN).phaseSteps(trainN)).mapToLong(x -> x).boxed().toList();
                RunReport.Data data = new RunReport.Data(run.source.kind(), run.source.dir().toString(),
                        run.data.train().channels(), run.data.train().height(), run.source.classNames(), trainN,
                        run.data.val().size(), run.data.test().size(), run.source.describe());
                RunReport report = RunReport.of(p.name(), space, data, common.seed, run.checkpointSha, trained,
                        phaseSteps, device, prec == ofa4j.predictor.Precision.INT8 ? int8ProfileFile : profileFile,
                        profileReused, preds, table.newRows(), refined, slices, loop,
                        ledger.toCosts(), (System.nanoTime() - t0) / 1e9, autoHalf);
                if (refined != null) {
                    refined.close();
                }
                report.write(out);
                Path page = ofa4j.cli.serve.RunReportPage.write(out);
                String md = report.summary();
                w.println();
                results.print(md);
                for (ofa4j.slicer.AutoChoice c : choices) {
                    results.println("auto: " + c.summary());
                }
                w.println();
                results.println("wrote " + out.resolve("report.json") + ", " + page + ", " + out.resolve("summary.md") + ", "
                        + out.resolve("slices").resolve("pareto.png") + " and " + slices.reports().size() + " ONNX files");
            }
        }
        return 0;
    }

}
