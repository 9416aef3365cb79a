package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.ConstrainedSpace;
import ofa4j.slicer.GradientSearch;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.MeasuredAccuracy;
import ofa4j.slicer.StrategyComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa compare}: every search strategy at an equal budget over several seeds, on true
 * evaluations or on the predictor; a table (Markdown and JSON), a best-so-far plot and the rows,
 * resumable ({@link StrategyComparison}).
 */
@Command(
        name = "compare",
        description = "Run search strategies side by side at equal budgets over several seeds, on true evaluations (BN recalibration + validation accuracy, no predictor) or on the accuracy predictor; write a table (Markdown, JSON) and a plot of best-so-far measured accuracy vs evaluations. Resumable: finished (strategy, seed) pairs in <out>/compare.jsonl are skipped.",
        footer = {"", "Examples:",
                "  ofa compare --run runs/quick --max-latency-ms 0.2 --seeds 5 --evaluations 50 --out out/compare",
                "  ofa compare --run runs/quick --max-latency-ms 0.2 --strategies random,bayes-opt --out out/compare",
                "  ofa compare --run runs/quick --max-latency-ms 0.2 --mode predictor --evaluations 50100 --out out/compare"})
final class CompareCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--device", defaultValue = "cpu-ort-1t", description = "Device profile name in <run>/devices (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-latency-ms", description = "Latency budget on the device (predicted), ms.")
    Double maxLatencyMs;

    @Mixin BoundsOptions bounds;

    @Option(names = "--strategies", split = ",", paramLabel = "NAME",
            description = "Strategies to run, comma-separated (default: all of evolution, random, nsga2,"
                    + " regularized-evolution, reinforce, bayes-opt, compound-scaling, gradient). Random search is the"
                    + " baseline. Gradient trains architecture logits on the supernet (200 steps) and evaluates only its"
                    + " answer: the argmax and the most probable draws, up to the budget; the table shows its steps apart.")
    List<String> strategies;

    @Option(names = "--seeds", defaultValue = "5", description = "Seeds per strategy: --seed, --seed + 1, ... (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--mode", defaultValue = "true",
            description = "What the strategies search on: true (measured accuracy) or predictor (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--evaluations", paramLabel = "N",
            description = "Evaluations per search (default 50 on true evaluations, 50100 on the predictor).")
    Long evaluations;

    @Mixin CalibrationOption calibration;

    @Mixin PredictorOption predictor;

    @Override
    public Integer call() throws Exception {
        StrategyComparison.Mode m;
        try {
            m = StrategyComparison.Mode.of(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mode: " + e.getMessage(), e);
        }
        if (seeds < 1 || seeds > 100) {
            throw new IllegalArgumentException("--seeds must be in [1, 100], found " + seeds);
        }
        long budget = evaluations != null ? evaluations : m == StrategyComparison.Mode.TRUE ? 50 : 50_100;
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            seedList.add(common.seed + i);
        }
        StrategyComparison.Settings settings;
        try {
            settings = new StrategyComparison.Settings(strategies == null ? StrategyComparison.STRATEGIES : strategies, m, budget,
                    seedList);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            throw new IllegalArgumentException((msg.startsWith("evaluations") ? "--evaluations: " : "--strategies: ")
                    + msg, e);
        }
        common.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        DeviceProfile dev = DeviceProfile.find(runDir.resolve("devices"), device);
        Constraint c = bounds.constraint(dev, maxLatencyMs);
        Path dir = common.outDir("compare");
        Files.createDirectories(dir);
        AccuracyTableInfo info = AccuracyTableInfo.read(runDir.resolve("predictor"));
        try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet);
                PredictorStage.LoadedPredictor acc = m == StrategyComparison.Mode.PREDICTOR ? predictor.load(runDir) : null) {
            ConstrainedSpace space = new ConstrainedSpace(run.net.space(), c, List.of(dev));
            boolean asTable = info != null && info.valImages() == run.data.val().size();
            int calib = calibration.images(asTable ? info : null);
            long calibSeed = asTable ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(common.seed);
            String protocol = String.format(Locale.ROOT, "checkpoint %s; BN recalibration on %d training images, seed %d;"
                    + " top-1 on %d validation images", run.checkpointSha.substring(0, 12), calib, calibSeed,
                    run.data.val().size());
            SupernetScorer scorer = new SupernetScorer(run.net, run.data.train(), run.data.val(), run.data.mean(),
                    run.data.std(), calib, SupernetScorer.DEFAULT_EVAL_BATCH);
            out.printf("constraint: %s%ntrue evaluations: %s%s%n", c.describe(), protocol,
                    asTable ? " (as the run's accuracy table)" : "");
            if (acc != null) {
                out.printf("accuracy predictor: %s (%s)%n", acc.predictor().name(), acc.why());
            }
            out.flush();
            List<StrategyComparison.Row> rows;
            try (MeasuredAccuracy measured = new MeasuredAccuracy(scorer, calibSeed, protocol,
                    dir.resolve(StrategyComparison.MEASUREMENTS_FILE))) {
                if (measured.loaded() > 0) {
                    out.printf("%d earlier measurements read from %s%n", measured.loaded(),
                            dir.resolve(StrategyComparison.MEASUREMENTS_FILE));
                }
                // gradient-based search trains on batches of the validation split (64 images, as ofa slice's)
                GradientSearch.PathLoss gradientLoss = settings.strategies().contains(GradientSearch.NAME)
                        ? GradientSearch.supernetLoss(run.net, run.data.val(), run.data.mean(), run.data.std(),
                                Math.min(64, run.data.val().size()))
                        : null;
                rows = StrategyComparison.run(space, settings, acc == null ? null : acc.predictor(), measured,
                        gradientLoss, dir.resolve(StrategyComparison.ROWS_FILE), line -> {
                            out.println(line);
                            out.flush();
                        });
            }
            StrategyComparison.Report report = StrategyComparison.summarise(settings, rows, c.describe());
            String base = "compare-" + m.label() + "-" + budget;
            String md = StrategyComparison.markdown(report);
            AtomicFiles.writeString(dir.resolve(base + ".md"), md);
            JsonFiles.write(dir.resolve(base + ".json"), report);
            out.println();
            out.print(md);
            out.println(dir.resolve(base + ".md"));
            out.println(dir.resolve(base + ".json"));
            if (m == StrategyComparison.Mode.TRUE) {
                byte[] png = StrategyComparison.plot(settings, rows, String.format(Locale.ROOT,
                        "Best-so-far measured accuracy, %s, mean +- sd over %d seeds", c.describe(), seeds));
                AtomicFiles.writeBytes(dir.resolve(base + ".png"), png);
                out.println(dir.resolve(base + ".png"));
            }
        }
        return 0;
    }
}
