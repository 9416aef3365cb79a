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
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.ConstrainedSpace;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.MeasuredAccuracy;
import ofa4j.slicer.ProxyStudy;
import ofa4j.slicer.SearchStrategies;
import ofa4j.slicer.StrategyComparison;
import ofa4j.slicer.ZeroCostProxies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa proxies}: zero-cost proxies (synflow, NASWOT, grad-norm) and the baselines params and
 * MACs for the measured subnets of a run's accuracy table, their rank correlation with the measured
 * accuracy, and optionally a training-free search that maximises one proxy ({@link ProxyStudy}).
 */
@Command(
        name = "proxies",
        description = "Compute zero-cost proxies (synflow, naswot, grad_norm; params and macs as baselines) for the measured subnets of the run's accuracy table, report their Spearman and Kendall rank correlation with the measured validation accuracy, and optionally search training-free with a proxy (the winner is measured). Resumable: <out>/proxies.jsonl.",
        footer = {"", "Examples:", "  ofa proxies --run runs/quick --out out/proxies",
                "  ofa proxies --run runs/quick --search-proxy naswot --search-evaluations 100 --max-latency-ms 0.2 --out out/proxies"})
final class ProxiesCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--batch", defaultValue = "64", description = "Training images of the proxies' batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--limit", description = "Use only the first N measured subnets (default: all rows of accuracy.jsonl and measured.jsonl).")
    Integer limit;

    @Option(names = "--search-proxy", description = "Also search training-free, maximising this proxy: synflow, naswot, grad_norm, params or macs.")
    String searchProxy;

    @Option(names = "--search-strategy", defaultValue = "evolution", description = "Strategy of the training-free search (default ${DEFAULT-VALUE}).")
    String searchStrategy;

    @Option(names = "--search-evaluations", defaultValue = "100", description = "Proxy evaluations of the training-free search (default ${DEFAULT-VALUE}).")
    long searchEvaluations;

    @Option(names = "--search-seeds", defaultValue = "1", description = "Seeds of the training-free search: --seed, --seed + 1, ... (default ${DEFAULT-VALUE}).")
    int searchSeeds;

    @Option(names = "--device", defaultValue = "cpu-ort-1t", description = "Device profile name in <run>/devices (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-latency-ms", description = "Latency budget of the training-free search (predicted), ms.")
    Double maxLatencyMs;

    @Option(names = "--max-macs", description = "Bound on MACs of the training-free search.")
    Long maxMacs;

    @Override
    public Integer call() throws Exception {
        if (batch < 2 || batch > 1024) {
            throw new IllegalArgumentException("--batch must be in [2, 1024], found " + batch);
        }
        if (limit != null && limit < 3) {
            throw new IllegalArgumentException("--limit must be at least 3, found " + limit);
        }
        if (searchProxy != null && !ZeroCostProxies.NAMES.contains(searchProxy)) {
            throw new IllegalArgumentException("--search-proxy: unknown proxy '" + searchProxy + "'; allowed: "
                    + String.join(", ", ZeroCostProxies.NAMES));
        }
        if (searchSeeds < 1 || searchSeeds > 100) {
            throw new IllegalArgumentException("--search-seeds must be in [1, 100], found " + searchSeeds);
        }
        if (searchProxy != null) {
            try {
                StrategyComparison.forBudget(searchStrategy, searchEvaluations, ofa4j.slicer.CostAxis.macs());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException((SearchStrategies.NAMES.contains(searchStrategy) ? "--search-evaluations: "
                        : "--search-strategy: ") + e.getMessage(), e);
            }
        }
        common.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = common.outDir("proxies");
        Path pred = runDir.resolve("predictor");
        AccuracyTableInfo info = AccuracyTableInfo.read(pred);
        if (info == null) {
            throw new java.io.IOException("run " + runDir + " has no " + AccuracyTableInfo.FILE
                    + ": the accuracy table's measuring settings are unknown");
        }
        try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
            List<AccuracySample> rows = new ArrayList<>(PredictorStage.tableAndMeasured(run.net.space(), pred));
            if (limit != null && limit < rows.size()) {
                rows = rows.subList(0, limit);
            }
            Files.createDirectories(dir);
            ZeroCostProxies proxies = new ZeroCostProxies(run.net, run.data.train(), run.data.mean(), run.data.std(),
                    batch, info.calibrationImages(), info.calibrationSeed());
            out.printf("%d measured subnets of %s; proxies on a batch of %d training images%n", rows.size(), pred, batch);
            out.flush();
            List<ZeroCostProxies.Scores> scores = ProxyStudy.compute(rows, proxies::score,
                    dir.resolve(ProxyStudy.ROWS_FILE), common.quiet ? null : line -> {
                        out.println(line);
                        out.flush();
                    });
            ProxyStudy.Report report = ProxyStudy.correlate(rows, scores, batch);
            String md = ProxyStudy.markdown(report);
            if (searchProxy != null) {
                DeviceProfile dev = DeviceProfile.find(runDir.resolve("devices"), device);
                Constraint c = Constraint.of(dev, maxLatencyMs, maxMacs, null, null, null, null);
                ConstrainedSpace space = new ConstrainedSpace(run.net.space(), c, List.of(dev));
                SupernetScorer scorer = new SupernetScorer(run.net, run.data.train(), run.data.val(), run.data.mean(),
                        run.data.std(), info.calibrationImages(), SupernetScorer.DEFAULT_EVAL_BATCH);
                String protocol = String.format(Locale.ROOT, "checkpoint %s; BN recalibration on %d training images, seed %d;"
                        + " top-1 on %d validation images", run.checkpointSha.substring(0, 12), info.calibrationImages(),
                        info.calibrationSeed(), run.data.val().size());
                List<ProxyStudy.SearchOutcome> outcomes = new ArrayList<>();
                try (MeasuredAccuracy measured = new MeasuredAccuracy(scorer, info.calibrationSeed(), protocol,
                        dir.resolve(StrategyComparison.MEASUREMENTS_FILE))) {
                    ProxyStudy.ProxyObjective objective = new ProxyStudy.ProxyObjective(searchProxy, proxies::score);
                    for (int i = 0; i < searchSeeds; i++) {
                        outcomes.add(ProxyStudy.trainingFreeSearch(space,
                                StrategyComparison.forBudget(searchStrategy, searchEvaluations, ofa4j.slicer.CostAxis.macs()),
                                objective, measured, common.seed + i));
                    }
                }
                StringBuilder sb = new StringBuilder(md);
                sb.append(String.format(Locale.ROOT, "%n## Training-free search: %s maximising %s, %d evaluations (%s)%n%n"
                        + "| seed | subnet | %s | measured val acc | proxies computed | search s |%n|---|---|---|---|---|---|%n",
                        searchStrategy, searchProxy, searchEvaluations, c.describe(), searchProxy));
                for (ProxyStudy.SearchOutcome o : outcomes) {
                    sb.append(String.format(Locale.ROOT, "| %d | `%s` | %.4g | %.2f%% | %d | %.1f |%n", o.seed(), o.bestKey(),
                            o.proxyValue(), 100 * o.measuredAccuracy(), o.computed(), o.searchMs() / 1000));
                }
                md = sb.toString();
                JsonFiles.write(dir.resolve("proxies-search.json"), outcomes);
            }
            AtomicFiles.writeString(dir.resolve("proxies.md"), md);
            JsonFiles.write(dir.resolve("proxies.json"), report);
            out.println();
            out.print(md);
            out.println(dir.resolve("proxies.md"));
        }
        return 0;
    }
}
