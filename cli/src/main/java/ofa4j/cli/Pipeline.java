package ofa4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.CostModel;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.slicer.CachingAccuracyPredictor;
import ofa4j.slicer.ClosedLoop;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.EvolutionSearch;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.Nsga2Search;
import ofa4j.slicer.SearchResult;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import java.util.Locale;
import ofa4j.models.AtomicFiles;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.DjlLatencyMeter;
import ofa4j.predictor.LatencyMeter;
import ofa4j.predictor.ExporterModels;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.OrtLatencyMeter;
import ofa4j.predictor.PredictorQuality;
import ofa4j.predictor.Profiler;
import ofa4j.predictor.RidgeAccuracyPredictor;
import ofa4j.predictor.CrossValidation;
import ofa4j.predictor.SupernetScorer;

/**
 * The stages after training, shared by {@code ofa run} and the single-stage commands. Each stage
 * writes its output atomically and, when asked to reuse, returns an existing valid output instead
 * of recomputing it.
 */
final class Pipeline {

    /** File name of the accuracy table under the predictor directory. */
    static final String ACCURACY_FILE = "accuracy.jsonl";

    /** File name of the MLP predictor. */
    static final String MLP_FILE = "mlp.predictor";

    /** File name of the ridge predictor. */
    static final String RIDGE_FILE = "ridge.predictor";

    /** File name of the quality report. */
    static final String QUALITY_FILE = "quality.json";

    /**
     * Rows the closed loop measured (same format as the table, validation split): kept apart from
     * the sampled table so that the table, its predictors and their cross-validation stay what
     * stage 3 and 4 made (and are reused on resume); refinement fits on both.
     */
    static final String MEASURED_FILE = "measured.jsonl";

    /** Prefix of the predictor files and quality report refitted on table + measured rows. */
    static final String REFINED_PREFIX = "refined-";

    /** Name of the profile of this machine: ONNX Runtime with {@code t} intra-op threads, batch 1. */
    static String localDeviceName(int threads) {
        return localDeviceName("onnxruntime", threads, 1);
    }

    /**
     * Name of a profile of this machine, e.g. {@code cpu-ort-1t}, {@code cpu-pt-2t-b8}.
     *
     * @param engine onnxruntime or pytorch
     * @param threads intra-op threads
     * @param batch batch size
     * @return the name
     */
    static String localDeviceName(String engine, int threads, int batch) {
        return "pytorch".equals(engine)
                ? DjlLatencyMeter.defaultDeviceName(threads, batch)
                : OrtLatencyMeter.defaultDeviceName(threads) + (batch == 1 ? "" : "-b" + batch);
    }

    private Pipeline() {}

    /**
     * Profiles this machine in ONNX Runtime (layer table + end-to-end fit), or reuses the file.
     *
     * @param space the space
     * @param file the profile file
     * @param threads intra-op threads
     * @param subnets whole subnets timed for the fit
     * @param seed seed
     * @param quiet no progress bar
     * @param reuse return an existing profile when the file is valid
     * @return the profile
     * @throws IOException if writing fails
     */
    static DeviceProfile profile(SearchSpace space, Path file, int threads, int subnets, long seed, boolean quiet,
            boolean reuse) throws IOException {
        return profile(space, file, "onnxruntime", threads, 1, subnets, seed, quiet, reuse);
    }

    /**
     * Profiles this machine in the given engine (layer table + end-to-end fit), or reuses the file.
     *
     * @param space the space
     * @param file the profile file
     * @param engine onnxruntime or pytorch
     * @param threads intra-op threads
     * @param batch batch size
     * @param subnets whole subnets timed for the fit
     * @param seed seed
     * @param quiet no progress bar
     * @param reuse return an existing profile when the file is valid and of the same space
     * @return the profile
     * @throws IOException if writing fails
     */
    static DeviceProfile profile(SearchSpace space, Path file, String engine, int threads, int batch, int subnets,
            long seed, boolean quiet, boolean reuse) throws IOException {
        if (reuse && Files.isRegularFile(file)) {
            DeviceProfile old = DeviceProfile.load(file);
            if (old.space().equals(space)) {
                return old;
            } // a profile of another space (other input channels or classes) is measured again
        }
        DeviceProfile p;
        try (LatencyMeter meter = "pytorch".equals(engine)
                ? new DjlLatencyMeter(space, threads, batch, DjlLatencyMeter.DEFAULT_WARMUP,
                        DjlLatencyMeter.DEFAULT_REPEATS, seed)
                : new OrtLatencyMeter(space, new ExporterModels(), threads, batch, OrtLatencyMeter.DEFAULT_WARMUP,
                        OrtLatencyMeter.DEFAULT_REPEATS, seed)) {
            p = Profiler.profile(space, meter, localDeviceName(engine, threads, batch), subnets, seed, quiet, null);
        }
        p.save(file);
        return p;
    }

    /**
     * Builds (or completes, resuming by arch key) the accuracy table of a trained run.
     *
     * @param run the run
     * @param file the table
     * @param samples subnets in total
     * @param calibrationImages BN recalibration images per subnet
     * @param seed seed
     * @param quiet no progress bar
     * @return the result
     * @throws IOException if writing fails
     */
    static AccuracyDatasetBuilder.Result accuracyTable(SupernetRun run, Path file, int samples, int calibrationImages,
            long seed, boolean quiet) throws IOException {
        SupernetScorer scorer = new SupernetScorer(run.net, run.data.train(), run.data.val(), run.data.mean(),
                run.data.std(), calibrationImages, SupernetScorer.DEFAULT_EVAL_BATCH);
        AccuracyTableInfo info = AccuracyTableInfo.of(calibrationImages, seed, run.data.val().size());
        AccuracyTableInfo old = AccuracyTableInfo.read(file.getParent());
        if (old != null && Files.isRegularFile(file) && !old.equals(info)) {
            throw new IllegalArgumentException("accuracy table " + file + " was measured with " + old.calibrationImages()
                    + " calibration images (seed " + old.calibrationSeed() + ", " + old.valImages()
                    + " validation images); this call asks for " + calibrationImages + " (seed " + info.calibrationSeed()
                    + ", " + info.valImages() + "): use the same settings or another directory");
        }
        info.save(file.getParent());
        return AccuracyDatasetBuilder.builder()
                .setSpace(run.net.space())
                .setScorer(scorer)
                .setFile(file)
                .optSamples(samples)
                .optSeed(seed)
                .optQuiet(quiet)
                .build()
                .build();
    }

    /**
     * The two fitted predictors, their held-out quality and the {@code quality.json} written for them.
     */
    record Predictors(MlpAccuracyPredictor mlp, RidgeAccuracyPredictor ridge, PredictorQuality mlpQuality,
            PredictorQuality ridgeQuality, int rows, List<CrossValidation> crossValidation, JsonObject quality,
            boolean crossValidationReused) implements AutoCloseable {
        @Override
        public void close() {
            mlp.close();
        }

        /**
         * The predictor to search with, by the same rule and from the same figures as {@code
         * --predictor best} reads from {@code quality.json} ({@link #choose}).
         *
         * @return the MLP or the ridge model
         */
        AccuracyPredictor best() {
            return choice().pick().equals("ridge") ? ridge : mlp;
        }

        /** @return which predictor ranks better and why ({@link #choose} on {@link #quality}) */
        Choice choice() {
            return choose(quality);
        }
    }

    /**
     * Which predictor ranks better, and why.
     *
     * @param pick {@code mlp} or {@code ridge}
     * @param why one line for the user
     */
    record Choice(String pick, String why) {}

    /**
     * The one rule that picks the predictor to search with: the higher mean Kendall τ of the
     * cross-validation when {@code quality} has one, else the higher τ on the held-out 20%; the MLP
     * on ties or when the ridge figure is missing.
     *
     * @param quality the content of {@code quality.json}
     * @return the choice
     * @throws RuntimeException (Gson's) if the figures are missing or not numbers
     */
    static Choice choose(JsonObject quality) {
        double mt;
        double rt;
        String basis;
        if (quality.has("cross_validation")) {
            JsonObject cv = quality.getAsJsonObject("cross_validation");
            mt = cv.getAsJsonObject("mlp").get("kendall_tau_mean").getAsDouble();
            rt = cv.getAsJsonObject("ridge").get("kendall_tau_mean").getAsDouble();
            basis = "cross-validation";
        } else {
            mt = quality.getAsJsonObject("mlp").get("kendall_tau").getAsDouble();
            rt = quality.getAsJsonObject("ridge").get("kendall_tau").getAsDouble();
            basis = "held-out";
        }
        boolean ridge = Double.isFinite(rt) && (!Double.isFinite(mt) || rt > mt);
        return new Choice(ridge ? "ridge" : "mlp", fmt("%s Kendall tau mlp %.3f, ridge %.3f", basis, mt, rt));
    }

    /** Values of the {@code --predictor} option of the commands that search. */
    static final List<String> PREDICTOR_CHOICES = List.of("best", "mlp", "ridge");

    /**
     * An accuracy predictor loaded from a run, with the reason it was chosen.
     *
     * @param predictor the predictor
     * @param space its search space
     * @param why one line for the user
     */
    record LoadedPredictor(AccuracyPredictor predictor, SearchSpace space, String why) implements AutoCloseable {
        @Override
        public void close() {
            if (predictor instanceof MlpAccuracyPredictor m) {
                m.close();
            }
        }
    }

    /**
     * Loads the accuracy predictor a search uses from a run's predictor directory.
     *
     * @param dir the run's {@code predictor/} directory
     * @param which {@code mlp}, {@code ridge}, or {@code best}: the one with the higher Kendall τ in
     *     {@code quality.json} (cross-validation mean when present, else held-out), MLP when there
     *     is no quality file
     * @return the predictor
     * @throws IOException if the file is missing or corrupt (naming it)
     * @throws IllegalArgumentException naming the bad {@code which} and the values allowed
     */
    static LoadedPredictor loadPredictor(Path dir, String which) throws IOException {
        if (!PREDICTOR_CHOICES.contains(which)) {
            throw new IllegalArgumentException("--predictor must be one of " + PREDICTOR_CHOICES + ", found '" + which + "'");
        }
        String pick = which;
        String why = "chosen with --predictor";
        if (which.equals("best")) {
            pick = "mlp";
            why = "no " + QUALITY_FILE + " to compare the predictors";
            Path qf = dir.resolve(QUALITY_FILE);
            if (Files.isRegularFile(qf)) {
                try {
                    Choice c = choose(com.google.gson.JsonParser.parseString(Files.readString(qf)).getAsJsonObject());
                    pick = c.pick();
                    why = c.why();
                } catch (RuntimeException e) {
                    throw new IOException("predictor quality file " + qf + " is corrupt: " + e.getMessage(), e);
                }
            }
        }
        if (pick.equals("ridge")) {
            RidgeAccuracyPredictor r = RidgeAccuracyPredictor.load(dir.resolve(RIDGE_FILE));
            return new LoadedPredictor(r, r.space(), why);
        }
        Path mf = dir.resolve(MLP_FILE);
        if (!Files.isRegularFile(mf)) {
            throw new IOException("run has no accuracy predictor " + mf + "; run 'ofa predictor fit' first");
        }
        MlpAccuracyPredictor m = MlpAccuracyPredictor.load(mf);
        return new LoadedPredictor(m, m.space(), why);
    }

    /**
     * Fits the MLP and ridge predictors on 80% of the table (seeded split) and reports their quality
     * on the other 20%; the predictors written are those fitted on the 80%, so the reported quality
     * is the quality of the files.
     *
     * @param space the space
     * @param dir predictor directory (holds the table, writes the predictors and quality.json)
     * @param seed seed of the split and of the MLP
     * @param reuse load existing predictor files instead of fitting
     * @param cvFolds folds of the cross-validation also reported (0 = none; skipped when the table
     *     has fewer than 2 rows per fold)
     * @return the predictors
     * @throws IOException if reading or writing fails
     */
    static Predictors fitPredictors(SearchSpace space, Path dir, long seed, boolean reuse, int cvFolds) throws IOException {
        return fitPredictors(space, dir, seed, reuse, cvFolds, false);
    }

    /**
     * {@link #fitPredictors(SearchSpace, Path, long, boolean, int)} on the table, or, when {@code
     * refined}, on the table plus the closed loop's measured rows, written to {@link
     * #REFINED_PREFIX}-named files.
     *
     * @param space the space
     * @param dir predictor directory
     * @param seed seed
     * @param reuse load existing predictor files instead of fitting
     * @param cvFolds cross-validation folds (0 = none)
     * @param refined fit on table + measured rows
     * @return the predictors
     * @throws IOException if reading or writing fails
     */
    static Predictors fitPredictors(SearchSpace space, Path dir, long seed, boolean reuse, int cvFolds, boolean refined)
            throws IOException {
        List<AccuracySample> rows = refined ? tableAndMeasured(space, dir)
                : AccuracyDataset.load(dir.resolve(ACCURACY_FILE), space, 10);
        String pre = refined ? REFINED_PREFIX : "";
        List<List<AccuracySample>> split = PredictorQuality.split(rows, 0.2, seed);
        List<AccuracySample> fit = split.get(0);
        List<AccuracySample> held = split.get(1);
        MlpAccuracyPredictor mlp;
        RidgeAccuracyPredictor ridge;
        Path mlpFile = dir.resolve(pre + MLP_FILE);
        Path ridgeFile = dir.resolve(pre + RIDGE_FILE);
        if (reuse && Files.isRegularFile(mlpFile) && Files.isRegularFile(ridgeFile)) {
            mlp = MlpAccuracyPredictor.load(mlpFile);
            ridge = RidgeAccuracyPredictor.load(ridgeFile);
        } else {
            mlp = MlpAccuracyPredictor.train(space, fit, MlpAccuracyPredictor.Config.defaults(seed));
            ridge = RidgeAccuracyPredictor.fit(space, fit, seed);
            mlp.save(mlpFile);
            ridge.save(ridgeFile);
        }
        PredictorQuality qm = PredictorQuality.evaluate(mlp, held);
        PredictorQuality qr = PredictorQuality.evaluate(ridge, held);
        JsonObject q = new JsonObject();
        q.addProperty("rows", rows.size());
        q.addProperty("fit_rows", fit.size());
        q.addProperty("held_out_rows", held.size());
        q.add("mlp", quality(qm));
        q.add("ridge", quality(qr));
        List<CrossValidation> cv = List.of();
        boolean cvReused = false;
        if (cvFolds >= 2 && rows.size() >= 2 * cvFolds) {
            MlpAccuracyPredictor.Config mlpConfig = MlpAccuracyPredictor.Config.defaults(seed);
            JsonObject key = new JsonObject();
            key.addProperty("folds", cvFolds);
            key.addProperty("seed", seed);
            key.addProperty("table_sha256", ofa4j.models.Subnet.sha256Hex(dir.resolve(ACCURACY_FILE)));
            if (refined) {
                key.addProperty("measured_sha256", ofa4j.models.Subnet.sha256Hex(dir.resolve(MEASURED_FILE)));
            }
            key.addProperty("mlp_config", mlpConfig.toString());
            cv = reuse ? reusableCrossValidation(dir.resolve(pre + QUALITY_FILE), key) : List.of();
            cvReused = !cv.isEmpty();
            if (!cvReused) {
                cv = CrossValidation.run(space, rows, cvFolds, mlpConfig, seed);
            }
            JsonObject c = key.deepCopy();
            for (CrossValidation v : cv) {
                c.add(v.predictor(), crossValidation(v));
            }
            q.add("cross_validation", c);
        }
        AtomicFiles.writeString(dir.resolve(pre + QUALITY_FILE), new GsonBuilder().setPrettyPrinting().create().toJson(q));
        return new Predictors(mlp, ridge, qm, qr, rows.size(), cv, q, cvReused);
    }

    /**
     * The sampled table and the closed loop's measured rows (keys of the table win).
     *
     * @param space the space
     * @param dir predictor directory
     * @return the rows
     * @throws IOException if a file is corrupt
     */
    static List<AccuracySample> tableAndMeasured(SearchSpace space, Path dir) throws IOException {
        List<AccuracySample> rows = new ArrayList<>(AccuracyDataset.load(dir.resolve(ACCURACY_FILE), space, 10));
        java.util.Set<String> keys = new java.util.HashSet<>();
        rows.forEach(r -> keys.add(r.key()));
        for (AccuracySample m : AccuracyDataset.read(dir.resolve(MEASURED_FILE), space)) {
            if (keys.add(m.key())) {
                rows.add(m);
            }
        }
        return rows;
    }

    /**
     * The cross-validation stored in an existing {@code quality.json}, if it was computed from the
     * same table (SHA-256), folds, seed and MLP settings as {@code key} holds; 5 MLP fits are not
     * worth repeating on every {@code ofa run --resume}.
     *
     * @param qualityFile the existing file (may be absent)
     * @param key the figures that must match
     * @return the stored cross-validation of the MLP and the ridge model, or an empty list when
     *     there is none to reuse (absent, unreadable, older format or computed from other inputs)
     */
    static List<CrossValidation> reusableCrossValidation(Path qualityFile, JsonObject key) {
        try {
            JsonObject c = com.google.gson.JsonParser.parseString(Files.readString(qualityFile))
                    .getAsJsonObject().getAsJsonObject("cross_validation");
            for (String k : key.keySet()) {
                if (c == null || !key.get(k).equals(c.get(k))) {
                    return List.of();
                }
            }
            int folds = key.get("folds").getAsInt();
            List<CrossValidation> out = new ArrayList<>();
            for (String name : List.of("mlp", "ridge")) {
                List<PredictorQuality> perFold = new ArrayList<>();
                for (var e : c.getAsJsonObject(name).getAsJsonArray("per_fold")) {
                    JsonObject f = e.getAsJsonObject();
                    perFold.add(new PredictorQuality(name, f.get("n").getAsInt(), f.get("rmse_pt").getAsDouble(),
                            f.get("mae_pt").getAsDouble(), f.get("kendall_tau").getAsDouble(),
                            f.get("spearman_rho").getAsDouble()));
                }
                if (perFold.size() != folds) {
                    return List.of();
                }
                out.add(new CrossValidation(name, folds, perFold));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    static JsonObject quality(PredictorQuality q) {
        JsonObject o = new JsonObject();
        o.addProperty("rmse_pt", q.rmsePoints());
        o.addProperty("kendall_tau", q.kendallTau());
        o.addProperty("spearman_rho", q.spearmanRho());
        return o;
    }

    static JsonObject crossValidation(CrossValidation v) {
        JsonObject o = new JsonObject();
        o.addProperty("kendall_tau_mean", v.tauMean());
        o.addProperty("kendall_tau_sd", v.tauSd());
        o.addProperty("kendall_tau_min", v.tauMin());
        o.addProperty("spearman_rho_mean", v.rhoMean());
        o.addProperty("rmse_pt_mean", v.rmseMean());
        o.addProperty("rmse_pt_sd", v.rmseSd());
        com.google.gson.JsonArray folds = new com.google.gson.JsonArray();
        for (PredictorQuality f : v.perFold()) {
            JsonObject fo = quality(f);
            fo.addProperty("n", f.n());
            fo.addProperty("mae_pt", f.maePoints());
            folds.add(fo);
        }
        o.add("per_fold", folds);
        return o;
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }

    /**
     * The default fleet for a device: latency budgets at 25%, 50% and 75% of the way from the
     * smallest to the largest subnet's predicted latency, and a MACs budget at half the max subnet's.
     *
     * @param space the space
     * @param device the device profile
     * @return the targets
     */
    static List<Fleet.Target> defaultTargets(SearchSpace space, DeviceProfile device) {
        double lo = Double.MAX_VALUE;
        for (int r : space.resolutions()) {
            lo = Math.min(lo, device.predictMs(space.uniform(space.kernels().get(0), space.expandRatios().get(0),
                    space.depths().get(0), r)));
        }
        double hi = device.predictMs(space.max());
        List<Fleet.Target> targets = new ArrayList<>();
        for (double f : new double[] {0.25, 0.5, 0.75}) {
            double ms = Math.round((lo + f * (hi - lo)) * 1000.0) / 1000.0;
            targets.add(new Fleet.Target(fmt("lat-%.3fms", ms), Constraint.builder().maxLatencyMs(device, ms).build()));
        }
        long macs = new CostModel(space).macs(space.max()) / 2;
        targets.add(new Fleet.Target(fmt("macs-%.2fM", macs / 1e6), Constraint.builder().maxMacs(macs).build()));
        return targets;
    }

    /**
     * Settings of the closed loop.
     *
     * @param k candidates measured per round
     * @param rounds search-measure-refit rounds
     * @param calibrationImages BN recalibration images (the accuracy table's when it records them)
     * @param screenImages validation images of a screening, 0 to measure every candidate whole
     */
    record LoopSettings(int k, int rounds, int calibrationImages, int screenImages) {
        LoopSettings {
            if (k < 1 || k > 256) {
                throw new IllegalArgumentException("--candidates (K) must be in [1, 256], found " + k);
            }
            if (rounds < 1 || rounds > 20) {
                throw new IllegalArgumentException("--rounds must be in [1, 20], found " + rounds);
            }
            if (calibrationImages < 1) {
                throw new IllegalArgumentException("--calibration-images must be >= 1, found " + calibrationImages);
            }
        }
    }

    /**
     * What slicing produced: the predicted front, the specialised subnets, the loop (every measured
     * candidate) and the rows it added to the accuracy table.
     */
    record Slices(SearchResult front, List<Specialiser.Report> reports, ClosedLoop loop, int rowsAdded,
            String tableNote) {}

    /**
     * Slices every target through the closed loop: OFA's evolution proposes, the top K candidates
     * are measured (validation accuracy, latency through the profile's meter when the device is this
     * machine), the best measured one under the budget is delivered; measured rows are appended to
     * the run's accuracy table and the predictor refitted between rounds. Also draws the predicted
     * Pareto front (NSGA-II).
     *
     * @param run the trained run
     * @param predictor accuracy predictor to start with ({@code mlp} or {@code ridge})
     * @param device the device the latency bounds refer to
     * @param targets the targets
     * @param out output directory
     * @param loop closed-loop settings
     * @param predDir the run's predictor directory (table to append to), or null for no refinement
     * @param seed seed
     * @return the slices
     * @throws IOException if writing fails
     */
    static Slices slice(SupernetRun run, AccuracyPredictor predictor, DeviceProfile device, List<Fleet.Target> targets,
            Path out, LoopSettings loop, Path predDir, long seed) throws IOException {
        SearchSpace space = run.net.space();
        AccuracyTableInfo info = predDir == null ? null : AccuracyTableInfo.read(predDir);
        int calib = info != null ? info.calibrationImages() : loop.calibrationImages();
        long calibSeed = info != null ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(seed);
        String tableNote;
        Refinement refine = null;
        List<AccuracySample> rows = List.of();
        if (predDir != null && Files.isRegularFile(predDir.resolve(ACCURACY_FILE))) {
            rows = AccuracyDataset.read(predDir.resolve(ACCURACY_FILE), space);
        }
        if (info != null && info.valImages() == run.data.val().size()) {
            refine = new Refinement(space, predDir, predictor.name(), seed);
            tableNote = fmt("measured candidates appended to %s (%d calibration images, as the table)",
                    predDir.resolve(MEASURED_FILE), calib);
        } else {
            tableNote = predDir == null ? "no accuracy table: no refinement"
                    : "the accuracy table records no measuring settings matching this data: candidates are not appended";
        }
        double[] range = rows.isEmpty() ? null : new double[] {
            rows.stream().mapToDouble(AccuracySample::accuracy).min().orElseThrow(),
            rows.stream().mapToDouble(AccuracySample::accuracy).max().orElseThrow()};
        CachingAccuracyPredictor cached = new CachingAccuracyPredictor(predictor);
        SearchResult front = Nsga2Search.builder(CostAxis.latency(device)).build()
                .search(space, cached, Constraint.none(), seed);
        SupernetBackend backend = new SupernetBackend(run.net, run.data, calib, SupernetScorer.DEFAULT_EVAL_BATCH);
        Specialiser sp = new Specialiser(backend, out);
        Map<String, Specialiser.LocalTiming> local = new LinkedHashMap<>();
        Map<String, Specialiser.LocalTiming> timings = new LinkedHashMap<>();
        Specialiser.LocalTiming here = SupernetBackend.localTiming(device);
        if (here != null) {
            local.put(device.name(), here);
            for (Fleet.Target t : targets) {
                timings.put(t.name(), here);
            }
        }
        ClosedLoop cl = new ClosedLoop(space, cached, EvolutionSearch.ofaDefaults(), sp.measurer(calibSeed), refine,
                local, loop.k(), loop.rounds(), range).screening(loop.screenImages());
        try {
            List<Specialiser.Report> reports = sp.specialiseAll(cl, targets, timings, CostAxis.latency(device),
                    front.front(), seed, calibSeed);
            return new Slices(front, reports, cl, refine == null ? 0 : refine.added, tableNote);
        } finally {
            if (refine != null) {
                refine.close();
            }
        }
    }

    /**
     * The refinement of a closed loop: appends measured rows to the table and refits the predictor
     * of the same kind on all rows.
     */
    private static final class Refinement implements ClosedLoop.Refiner, AutoCloseable {
        private final SearchSpace space;
        private final Path dir;
        private final String kind;
        private final long seed;
        private final List<MlpAccuracyPredictor> fitted = new ArrayList<>();
        int added;

        Refinement(SearchSpace space, Path dir, String kind, long seed) {
            this.space = space;
            this.dir = dir;
            this.kind = kind;
            this.seed = seed;
        }

        @Override
        public AccuracyPredictor refit(List<ClosedLoop.MeasuredCandidate> measured) throws IOException {
            CostModel cost = new CostModel(space);
            java.util.Set<String> inTable = new java.util.HashSet<>();
            AccuracyDataset.read(dir.resolve(ACCURACY_FILE), space).forEach(r -> inTable.add(r.key()));
            try (AccuracyDataset ds = AccuracyDataset.openForAppend(dir.resolve(MEASURED_FILE))) {
                for (ClosedLoop.MeasuredCandidate m : measured) {
                    ArchConfig a = m.arch().canonical();
                    if (!ds.contains(a.key()) && !inTable.contains(a.key())) {
                        ds.append(AccuracySample.of(a, m.measurement().valAccuracy(), cost.macs(a)));
                        added++;
                    }
                }
            }
            List<AccuracySample> rows = tableAndMeasured(space, dir);
            if ("ridge".equals(kind)) {
                return RidgeAccuracyPredictor.fit(space, rows, seed);
            }
            MlpAccuracyPredictor m = MlpAccuracyPredictor.train(space, rows, MlpAccuracyPredictor.Config.defaults(seed));
            fitted.add(m);
            return m;
        }

        @Override
        public void close() {
            fitted.forEach(MlpAccuracyPredictor::close);
        }
    }
}
