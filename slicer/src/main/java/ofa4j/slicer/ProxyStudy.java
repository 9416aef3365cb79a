package ofa4j.slicer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.AccuracySample;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * How well zero-cost proxies ({@link ZeroCostProxies}) rank subnets by measured accuracy: each
 * proxy is computed for the rows of an accuracy table (subnets whose validation accuracy was
 * measured), and its Spearman and Kendall rank correlations with the measured accuracy are reported
 * (Apache Commons Math), next to params and MACs. Proxy rows are appended to a JSON-lines file as
 * they are computed; a rerun reads them back (resumable). {@link #trainingFreeSearch} searches with
 * a proxy in the place of accuracy.
 */
public final class ProxyStudy {

    /** The proxy rows file in the output directory. */
    public static final String ROWS_FILE = "proxies.jsonl";

    private ProxyStudy() {}

    /**
     * One proxy's agreement with measured accuracy.
     *
     * @param proxy the proxy name
     * @param spearman Spearman's rho
     * @param kendall Kendall's tau-b
     * @param n subnets
     */
    public record Correlation(String proxy, double spearman, double kendall, int n) {}

    /**
     * The study's report ({@code proxies.json}).
     *
     * @param formatVersion 1
     * @param subnets subnets with a measured accuracy and proxies
     * @param batchImages images of the proxies' batch
     * @param meanMsPerSubnet mean wall time of the computed proxies of one subnet, ms (rows computed in
     *     this or an earlier run)
     * @param correlations one per proxy, in {@link ZeroCostProxies#NAMES} order
     */
    public record Report(int formatVersion, int subnets, int batchImages, double meanMsPerSubnet,
            List<Correlation> correlations) {}

    /**
     * Computes the proxies of every row not in the rows file yet, appending each.
     *
     * @param rows measured subnets
     * @param proxies the proxy computer
     * @param file the rows file
     * @param progress takes a line every 10 subnets, or null
     * @return the proxies of every row, in row order
     * @throws IOException if the file cannot be read or appended to
     */
    public static List<ZeroCostProxies.Scores> compute(List<AccuracySample> rows, Function<ArchConfig,
            ZeroCostProxies.Scores> proxies, Path file, Consumer<String> progress) throws IOException {
        Map<String, ZeroCostProxies.Scores> done = new HashMap<>();
        if (Files.isRegularFile(file)) {
            String[] lines = JsonFiles.readText(file).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String l = lines[i].strip();
                if (l.isEmpty()) {
                    continue;
                }
                try {
                    ZeroCostProxies.Scores s = JsonFiles.parse(l, ZeroCostProxies.Scores.class, file + " line " + (i + 1));
                    done.put(s.key(), s);
                } catch (IOException e) {
                    if (i < lines.length - 2) {
                        throw e;
                    }
                }
            }
        }
        JsonLines.repairTail(file);
        List<ZeroCostProxies.Scores> out = new ArrayList<>();
        int fresh = 0;
        for (AccuracySample r : rows) {
            ZeroCostProxies.Scores s = done.get(r.key());
            if (s == null) {
                s = proxies.apply(r.arch());
                Files.writeString(file, JsonFiles.toLine(s) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                done.put(r.key(), s);
                fresh++;
                if (progress != null && fresh % 10 == 0) {
                    progress.accept(String.format(Locale.ROOT, "proxies: %d of %d subnets", out.size() + 1, rows.size()));
                }
            }
            out.add(s);
        }
        return out;
    }

    /**
     * Rank-correlates each proxy with the measured accuracy.
     *
     * @param rows measured subnets
     * @param scores their proxies, in the same order
     * @param batchImages images of the proxies' batch (for the report)
     * @return the report
     */
    public static Report correlate(List<AccuracySample> rows, List<ZeroCostProxies.Scores> scores, int batchImages) {
        if (rows.size() != scores.size() || rows.size() < 3) {
            throw new IllegalArgumentException("need at least 3 subnets with proxies, one per row; found " + rows.size()
                    + " rows and " + scores.size() + " proxy rows");
        }
        double[] acc = rows.stream().mapToDouble(AccuracySample::accuracy).toArray();
        List<Correlation> cs = new ArrayList<>();
        for (String p : ZeroCostProxies.NAMES) {
            double[] v = scores.stream().mapToDouble(s -> finite(s.get(p))).toArray();
            cs.add(new Correlation(p, new SpearmansCorrelation().correlation(v, acc),
                    new KendallsCorrelation().correlation(v, acc), v.length));
        }
        double ms = scores.stream().mapToDouble(ZeroCostProxies.Scores::ms).average().orElse(0);
        return new Report(1, rows.size(), batchImages, ms, cs);
    }

    /** -infinity (a singular NASWOT kernel) ranks below every finite value. */
    private static double finite(double v) {
        return v == Double.NEGATIVE_INFINITY ? -Double.MAX_VALUE : v;
    }

    /**
     * Renders a report as Markdown.
     *
     * @param r the report
     * @return the table with a legend
     */
    public static String markdown(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "## Zero-cost proxies vs measured validation accuracy (%d subnets)%n%n",
                r.subnets()));
        sb.append("| proxy | Spearman rho | Kendall tau |\n|---|---|---|\n");
        for (Correlation c : r.correlations()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", c.proxy(), c.spearman(), c.kendall()));
        }
        sb.append(String.format(Locale.ROOT, "%nProxies on the supernet's weights (BN recalibrated), one batch of %d"
                + " training images; %.0f ms per subnet for synflow + naswot + grad_norm (extraction included).%n",
                r.batchImages(), r.meanMsPerSubnet()));
        return sb.toString();
    }

    /**
     * An objective that is a proxy (cached by arch key): a strategy maximising it searches without
     * training or validation.
     */
    public static final class ProxyObjective implements AccuracyPredictor {
        private final String proxy;
        private final Function<ArchConfig, ZeroCostProxies.Scores> proxies;
        private final Map<String, Double> cache = new HashMap<>();
        private long computed;

        /**
         * @param proxy a name of {@link ZeroCostProxies#NAMES}
         * @param proxies computes the proxies of a subnet
         * @throws IllegalArgumentException naming an unknown proxy
         */
        public ProxyObjective(String proxy, Function<ArchConfig, ZeroCostProxies.Scores> proxies) {
            if (!ZeroCostProxies.NAMES.contains(proxy)) {
                throw new IllegalArgumentException("unknown proxy '" + proxy + "'; allowed: "
                        + String.join(", ", ZeroCostProxies.NAMES));
            }
            this.proxy = proxy;
            this.proxies = proxies;
        }

        /** {@inheritDoc} */
        @Override
        public double[] predict(List<ArchConfig> archs) {
            double[] out = new double[archs.size()];
            for (int i = 0; i < out.length; i++) {
                ArchConfig a = archs.get(i);
                out[i] = cache.computeIfAbsent(a.key(), k -> {
                    computed++;
                    return finite(proxies.apply(a).get(proxy));
                });
            }
            return out;
        }

        /** {@inheritDoc} */
        @Override
        public String name() {
            return "proxy:" + proxy;
        }

        /** @return subnets whose proxies were computed */
        public long computed() {
            return computed;
        }
    }

    /**
     * What a training-free search found.
     *
     * @param proxy the proxy maximised
     * @param strategy the strategy
     * @param seed the seed
     * @param evaluations proxy evaluations
     * @param computed distinct subnets whose proxies were computed
     * @param bestKey the subnet of the highest proxy
     * @param proxyValue its proxy
     * @param measuredAccuracy its measured validation accuracy
     * @param searchMs wall time of the search (proxies included), ms
     */
    public record SearchOutcome(String proxy, String strategy, long seed, long evaluations, long computed,
            String bestKey, double proxyValue, double measuredAccuracy, double searchMs) {}

    /**
     * Searches with a proxy in the place of accuracy, then measures the subnet of the highest proxy.
     *
     * @param space the constrained space
     * @param strategy the strategy ({@link StrategyComparison#forBudget} settings)
     * @param objective the proxy objective
     * @param measured true evaluation of the winner
     * @param seed the seed
     * @return the outcome
     */
    public static SearchOutcome trainingFreeSearch(ConstrainedSpace space, SearchStrategy strategy,
            ProxyObjective objective, MeasuredAccuracy measured, long seed) {
        long t0 = System.nanoTime();
        SearchResult r = strategy.search(space, objective, seed);
        double ms = (System.nanoTime() - t0) / 1e6;
        double acc = measured.predict(List.of(r.best().arch()))[0];
        return new SearchOutcome(objective.proxy, strategy.name(), seed, r.evaluations(), objective.computed(),
                r.best().arch().key(), r.best().predictedAccuracy(), acc, ms);
    }
}
