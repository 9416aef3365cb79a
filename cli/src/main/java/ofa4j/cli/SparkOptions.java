package ofa4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.PredictorStage;
import java.util.List;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.DeviceProfile;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.IndependentFleet;
import ofa4j.slicer.SearchStrategy;
import ofa4j.slicer.SliceStage;
import ofa4j.spark.SparkAccuracyTable;
import ofa4j.spark.SparkFleet;
import ofa4j.spark.SparkContexts;
import ofa4j.spark.SupernetFile;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/**
 * Where the accuracy table and the fleet of slices are built (a picocli mixin): in-process by
 * default, or on Apache Spark with {@code --spark local[N]} (embedded) or {@code --spark
 * spark://HOST:PORT} (a standalone cluster). The table is the same file either way; the fleet on
 * Spark slices its targets independently of each other ({@link IndependentFleet}).
 */
public final class SparkOptions {

    @Option(names = "--spark", paramLabel = "MASTER", description = "Build the accuracy table and slice the fleet of"
            + " targets on Apache Spark: local[N] (embedded, N tasks side by side) or spark://HOST:PORT (a standalone"
            + " cluster: every worker must see the run directory and the ofa installation at the same paths as here)."
            + " On Spark each target is sliced on its own (own closed loop and refined predictor). Default: in-process,"
            + " no Spark.")
    String master;

    @Option(names = "--spark-latency", paramLabel = "MODE", defaultValue = "profile", description = "How the fleet on"
            + " Spark checks latency budgets: profile (default: by the device profile's predictions; nothing is timed,"
            + " executors may be any machine) or measure (candidates are timed on the executors, as in-process: every"
            + " executor must run on the machine of the device profile, or its task fails).")
    String latency = "profile";

    @Option(names = "--spark-targets-per-task", paramLabel = "N", defaultValue = "1", description = "Targets of the"
            + " fleet per Spark task (default ${DEFAULT-VALUE}; a task loads the supernet once).")
    int targetsPerTask = 1;

    @Option(names = "--spark-threads", paramLabel = "N", defaultValue = "1", description = "ONNX Runtime threads of each"
            + " Spark task's accuracy measurements, also its spark.task.cpus (default ${DEFAULT-VALUE}). The BN"
            + " recalibration runs with --threads PyTorch threads, as in-process, so that the rows and slices are the"
            + " same.")
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
        if (!"profile".equals(latency) && !"measure".equals(latency)) {
            throw new IllegalArgumentException("--spark-latency must be one of profile, measure; found '" + latency + "'");
        }
        if (targetsPerTask < 1) {
            throw new IllegalArgumentException("--spark-targets-per-task must be >= 1, found " + targetsPerTask);
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

    /**
     * Slices a fleet of targets: in-process through {@link SliceStage#slice} (one shared closed loop),
     * or with {@code --spark} as a Spark job whose tasks slice their targets independently ({@link
     * IndependentFleet}); finished targets of an earlier Spark fleet with the same inputs are skipped.
     *
     * @param run the opened run
     * @param predictor the starting accuracy predictor
     * @param device the device profile of the latency budgets
     * @param targets the targets
     * @param outDir output directory of the slices
     * @param loop closed-loop settings
     * @param predDir the run's predictor directory
     * @param strategyName search strategy name (Spark)
     * @param evaluations its budget, or null for its default (Spark)
     * @param strategy the search strategy (in-process)
     * @param common seed, threads, quietness
     * @param out where the latency note and the Spark summary go
     * @return the slices
     * @throws IOException if slicing or writing fails
     */
    SliceStage.Slices fleet(SupernetRun run, AccuracyPredictor predictor, DeviceProfile device,
            List<Fleet.Target> targets, Path outDir, SliceStage.LoopSettings loop, Path predDir, String strategyName,
            Long evaluations, SearchStrategy strategy, CommonOptions common, PrintWriter out) throws IOException {
        check();
        if (master == null) {
            return SliceStage.slice(run.net, run.data, predictor, device, targets, outDir, loop, predDir, strategy,
                    common.seed);
        }
        boolean measure = "measure".equals(latency);
        String host = device.measurement() == null ? "no machine" : "host " + device.measurement().host();
        boolean latencyBounds = targets.stream().anyMatch(t -> !t.constraint().latencyBounds().isEmpty());
        if (measure) {
            out.println("fleet on Spark: candidates are timed on the executors (--spark-latency measure): every executor"
                    + " must run on the machine of device " + device.name() + " (profiled on " + host + ")");
        } else if (latencyBounds) {
            out.println("fleet on Spark: latency budgets are checked by device " + device.name() + "'s profile"
                    + " (--spark-latency profile), not timed: the executors need not be that device (profiled on " + host
                    + "); with --spark-latency measure they time the candidates and must be the device");
        }
        // Spark starts only when some target is left to slice
        IndependentFleet.Runner runner = (inputs, works, done) -> {
            try (JavaSparkContext sc = SparkContexts.start(master, "ofa fleet", threads, Map.of())) {
                SparkFleet.runner(sc, SupernetFile.of(run.checkpoint), run.data, common.threads, threads, targetsPerTask,
                        j -> out.println(j.summary())).run(inputs, works, done);
            }
        };
        return IndependentFleet.run(run.net.space(), SupernetFile.of(run.checkpoint).sha256(), run.data, predictor,
                device, targets, outDir, loop, predDir, strategyName, evaluations, common.seed, measure, runner,
                common.quiet ? null : line -> out.println("      " + line));
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
