package ofa4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.PredictorStage;
import ofa4j.spark.SparkAccuracyTable;
import ofa4j.spark.SparkContexts;
import ofa4j.spark.SupernetFile;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/**
 * Where the accuracy table is built (a picocli mixin): in-process by default, or on Apache Spark
 * with {@code --spark local[N]} (embedded) or {@code --spark spark://HOST:PORT} (a standalone
 * cluster). The table is the same file either way.
 */
public final class SparkOptions {

    @Option(names = "--spark", paramLabel = "MASTER", description = "Build the accuracy table on Apache Spark: local[N]"
            + " (embedded, N tasks side by side) or spark://HOST:PORT (a standalone cluster: every worker must see the run"
            + " directory and the ofa installation at the same paths as here). Default: in-process, no Spark.")
    String master;

    @Option(names = "--spark-threads", paramLabel = "N", defaultValue = "1", description = "ONNX Runtime threads of each"
            + " Spark task, also its spark.task.cpus (default ${DEFAULT-VALUE}). The BN recalibration runs with --threads"
            + " PyTorch threads, as in-process, so that the rows are the same.")
    int threads;

    @Option(names = "--spark-subnets-per-task", paramLabel = "N", defaultValue = "0", description = "Subnets per Spark task"
            + " (default 0: 4 tasks per core of the cluster, at most 25 subnets each).")
    int subnetsPerTask;

    /**
     * Checks the options before any work starts.
     *
     * @throws IllegalArgumentException naming the bad value and the values allowed
     */
    void check() {
        if (master != null) {
            SparkContexts.checkMaster(master);
        }
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("--spark-threads must be in [1, 256], found " + threads);
        }
        if (subnetsPerTask < 0) {
            throw new IllegalArgumentException("--spark-subnets-per-task must be >= 1, or 0 for automatic, found " + subnetsPerTask);
        }
    }

    /**
     * Builds (or completes) the accuracy table of a run, in-process or on Spark. Spark is started
     * only when rows are missing.
     *
     * @param run the opened run
     * @param file the table
     * @param samples subnets in the table
     * @param calibrationImages BN recalibration images per subnet
     * @param common seed and quietness
     * @param out where the Spark summary line goes
     * @return counts and time
     * @throws IOException if reading, writing or the Spark job fails
     */
    AccuracyDatasetBuilder.Result accuracyTable(SupernetRun run, Path file, int samples, int calibrationImages,
            CommonOptions common, PrintWriter out) throws IOException {
        check();
        if (master == null || missingRows(run, file, samples, common.seed) == 0) {
            return PredictorStage.accuracyTable(run.net, run.data, file, samples, calibrationImages, common.seed, common.quiet);
        }
        try (JavaSparkContext sc = SparkContexts.start(master, "ofa accuracy table", threads, Map.of())) {
            SparkAccuracyTable.Result r = SparkAccuracyTable.builder().setContext(sc).setSupernet(SupernetFile.of(run.checkpoint))
                    .setData(run.data).setFile(file).optSamples(samples).optCalibrationImages(calibrationImages)
                    .optSeed(common.seed).optThreadsPerTask(threads).optCalibrationThreads(common.threads)
                    .optSubnetsPerTask(subnetsPerTask)
                    .optQuiet(common.quiet).build().run();
            out.println(r.summary());
            return r.table();
        }
    }

    private static int missingRows(SupernetRun run, Path file, int samples, long seed) throws IOException {
        java.util.Set<String> have = new java.util.HashSet<>();
        for (AccuracySample s : AccuracyDataset.read(file, null)) {
            have.add(s.key());
        }
        return (int) AccuracyDatasetBuilder.tableSubnets(run.net.space(), samples, seed).stream()
                .filter(a -> !have.contains(a.key())).count();
    }
}
