package ofa4j.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.SupernetScorer;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The accuracy table of a trained supernet ({@link PredictorStage#accuracyTable}) as a Spark job
 * over partitions of architectures. The subnets are the in-process builder's ({@link
 * AccuracyDatasetBuilder#tableSubnets}), rows already in the file are skipped, and each executor
 * task opens the supernet file once, checks its SHA-256 and scores a contiguous run of subnets with
 * the table's calibration seed. The driver appends the rows to the same {@code accuracy.jsonl} in
 * table order as the tasks finish (a row waits only for the rows before it), so the file equals the
 * in-process one measured with the same PyTorch thread count ({@link Builder#optCalibrationThreads})
 * and a killed build resumes the same way. A task whose executor dies is re-run by Spark.
 */
public final class SparkAccuracyTable {

    /** Subnets per task when not set: enough tasks for balance and retries, but few supernet loads. */
    static final int MAX_AUTO_SUBNETS_PER_TASK = 25;

    /** Tasks per core of the cluster aimed at when not set (the last wave then leaves cores idle briefly). */
    static final int TASKS_PER_CORE = 4;

    private final Builder b;

    private SparkAccuracyTable(Builder b) {
        this.b = b;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Outcome of a build.
     *
     * @param table counts and wall time, as the in-process builder reports them
     * @param partitions partitions of the job (0 when nothing was left to measure)
     * @param tasks the report of every successful task, in order of completion
     */
    public record Result(AccuracyDatasetBuilder.Result table, int partitions, List<TaskReport> tasks) {
        /** Copies the list. */
        public Result {
            tasks = List.copyOf(tasks);
        }

        /**
         * @return one line: rows, time, tasks, executors, the mean supernet-load time per task and
         *     the scoring time per subnet inside the tasks
         */
        public String summary() {
            double open = tasks.stream().mapToDouble(TaskReport::openSeconds).average().orElse(0);
            double score = tasks.stream().mapToDouble(TaskReport::scoreSeconds).sum();
            int scored = tasks.stream().mapToInt(t -> t.rows().size()).sum();
            long executors = tasks.stream().map(t -> t.host() + "/" + t.pid()).distinct().count();
            return String.format(Locale.ROOT, "accuracy table %s: %d rows (%d new) in %.1f s on Spark: %d tasks on %d executor(s),"
                    + " %.2f s mean supernet load per task, %.2f s scoring per subnet", table.file(), table.totalRows(),
                    table.newRows(), table.seconds(), tasks.size(), executors, open, scored == 0 ? 0 : score / scored);
        }
    }

    /**
     * Runs the job: scores every table subnet whose key is not yet in the file.
     *
     * @return counts, time and the tasks' reports
     * @throws IOException if the existing file is corrupt, writing fails, or the job fails (the
     *     first task's error named)
     */
    public Result run() throws IOException {
        long t0 = System.nanoTime();
        SearchSpace space = b.supernet.space();
        PredictorStage.recordTableSettings(b.file, space, b.calibrationImages, b.seed, b.data.val().size());
        List<ArchConfig> archs = AccuracyDatasetBuilder.tableSubnets(space, b.samples, b.seed);
        CostModel cost = new CostModel(space);
        try (AccuracyDataset ds = AccuracyDataset.openForAppend(b.file)) {
            List<ScorePartition.Work> todo = new ArrayList<>();
            for (int i = 0; i < archs.size(); i++) {
                if (!ds.contains(archs.get(i).key())) {
                    todo.add(new ScorePartition.Work(i, archs.get(i).toCompactJson()));
                }
            }
            int skipped = archs.size() - todo.size();
            if (todo.isEmpty()) {
                return new Result(new AccuracyDatasetBuilder.Result(ds.file(), ds.rows().size(), 0, skipped,
                        (System.nanoTime() - t0) / 1e9), 0, List.of());
            }
            long calibrationSeed = AccuracyDatasetBuilder.calibrationSeed(b.seed);
            TableTaskInputs inputs = new TableTaskInputs(b.supernet,
                    TableTaskInputs.Images.of(Supernet.calibrationSubset(b.data.train(), b.calibrationImages, calibrationSeed)),
                    TableTaskInputs.Images.of(b.data.val()), b.data.mean(), b.data.std(), b.calibrationImages,
                    calibrationSeed, b.evalBatch, b.threadsPerTask, b.torchThreads);
            int partitions = partitions(todo.size());
            InOrder appender = new InOrder(ds, archs, todo, cost, b.listener);
            ProgressBar bar = b.quiet ? null : ofa4j.supernet.Progress.bar("accuracy table", todo.size(), "", 1, true,
                    b.progressOut);
            appender.bar = bar;
            Broadcast<TableTaskInputs> shared = b.context.broadcast(inputs);
            boolean local = b.context.isLocal();
            int threadsBefore = local ? Threads.set(b.torchThreads) : -1;
            try {
                JavaRDD<ScorePartition.Work> rdd = b.context.parallelize(todo, partitions);
                b.context.sc().runJob(rdd.rdd(), new ScorePartition(shared), appender,
                        ClassTag$.MODULE$.apply(TaskReport.class));
            } catch (Exception e) { // Spark's SparkException is checked, but Scala does not declare it
                throw new IOException("accuracy table job on Spark " + b.context.master() + " failed: " + SparkTasks.rootMessage(e), e);
            } finally {
                if (local) {
                    Threads.set(threadsBefore);
                }
                if (bar != null) {
                    bar.close();
                }
                shared.destroy();
            }
            if (appender.committed != todo.size()) {
                throw new IOException("accuracy table job on Spark " + b.context.master() + " returned " + appender.committed
                        + " of " + todo.size() + " rows");
            }
            return new Result(new AccuracyDatasetBuilder.Result(ds.file(), ds.rows().size(), todo.size(), skipped,
                    (System.nanoTime() - t0) / 1e9), partitions, appender.reports);
        }
    }

    private int partitions(int todo) {
        if (b.subnetsPerTask > 0) {
            return (todo + b.subnetsPerTask - 1) / b.subnetsPerTask;
        }
        int byCores = TASKS_PER_CORE * Math.max(1, b.context.defaultParallelism());
        int bySize = (todo + MAX_AUTO_SUBNETS_PER_TASK - 1) / MAX_AUTO_SUBNETS_PER_TASK;
        return Math.min(todo, Math.max(byCores, bySize));
    }

    /**
     * The driver's result handler: keeps each task's rows until every row before them is in the
     * file, then appends them in table order. Spark calls it once per partition (a retried task's
     * result included), on its scheduler thread.
     */
    private static final class InOrder extends AbstractFunction2<Object, TaskReport, BoxedUnit> {
        private final AccuracyDataset ds;
        private final List<ArchConfig> archs;
        private final List<ScorePartition.Work> todo;
        private final CostModel cost;
        private final Consumer<TaskReport> listener;
        private final Map<Integer, TaskReport.Scored> waiting = new HashMap<>();
        private final List<TaskReport> reports = Collections.synchronizedList(new ArrayList<>());
        private ProgressBar bar;
        private int committed;

        InOrder(AccuracyDataset ds, List<ArchConfig> archs, List<ScorePartition.Work> todo, CostModel cost,
                Consumer<TaskReport> listener) {
            this.ds = ds;
            this.archs = archs;
            this.todo = todo;
            this.cost = cost;
            this.listener = listener;
        }

        /** {@inheritDoc} */
        @Override
        public synchronized BoxedUnit apply(Object partition, TaskReport report) {
            reports.add(report);
            for (TaskReport.Scored s : report.rows()) {
                ArchConfig a = archs.get(s.index());
                if (!a.key().equals(s.key())) {
                    throw new IllegalStateException("task " + report.partition() + " scored " + s.key() + " as subnet "
                            + s.index() + ", which is " + a.key());
                }
                waiting.put(s.index(), s);
            }
            try {
                while (committed < todo.size() && waiting.containsKey(todo.get(committed).index())) {
                    TaskReport.Scored s = waiting.remove(todo.get(committed).index());
                    ArchConfig a = archs.get(s.index());
                    ds.append(AccuracySample.of(a, s.accuracy(), cost.macs(a)));
                    committed++;
                    if (bar != null) {
                        bar.step();
                        bar.setExtraMessage(String.format(Locale.ROOT, " last %.1f%%", 100 * s.accuracy()));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (listener != null) {
                listener.accept(report);
            }
            return BoxedUnit.UNIT;
        }
    }

    /** Builder of {@link SparkAccuracyTable}. */
    public static final class Builder {
        private JavaSparkContext context;
        private SupernetFile supernet;
        private DataSplits data;
        private Path file;
        private int samples = AccuracyDatasetBuilder.QUICK_SAMPLES;
        private int calibrationImages = SupernetScorer.DEFAULT_CALIBRATION_IMAGES;
        private int evalBatch = SupernetScorer.DEFAULT_EVAL_BATCH;
        private long seed = 1;
        private int threadsPerTask = 1;
        private int torchThreads = 1;
        private int subnetsPerTask;
        private boolean quiet;
        private PrintStream progressOut;
        private Consumer<TaskReport> listener;

        private Builder() {}

        /**
         * @param c the Spark context (required; not closed here)
         * @return this
         */
        public Builder setContext(JavaSparkContext c) {
            this.context = c;
            return this;
        }

        /**
         * @param s the supernet parameter file every worker reads (required)
         * @return this
         */
        public Builder setSupernet(SupernetFile s) {
            this.supernet = s;
            return this;
        }

        /**
         * @param d the run's data splits: calibration images from train, rows measured on val (required)
         * @return this
         */
        public Builder setData(DataSplits d) {
            this.data = d;
            return this;
        }

        /**
         * @param f the table ({@code accuracy.jsonl}; created or resumed; required)
         * @return this
         */
        public Builder setFile(Path f) {
            this.file = f;
            return this;
        }

        /**
         * @param n subnets in the table, default {@link AccuracyDatasetBuilder#QUICK_SAMPLES}
         * @return this
         */
        public Builder optSamples(int n) {
            this.samples = n;
            return this;
        }

        /**
         * @param n BN recalibration images per subnet, default {@link SupernetScorer#DEFAULT_CALIBRATION_IMAGES}
         * @return this
         */
        public Builder optCalibrationImages(int n) {
            this.calibrationImages = n;
            return this;
        }

        /**
         * @param n images per ONNX Runtime run, default {@link SupernetScorer#DEFAULT_EVAL_BATCH}
         * @return this
         */
        public Builder optEvalBatch(int n) {
            this.evalBatch = n;
            return this;
        }

        /**
         * @param s the table's seed (subnets and calibration images), default 1
         * @return this
         */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * @param n ONNX Runtime threads of each task, default 1 (match {@code spark.task.cpus})
         * @return this
         */
        public Builder optThreadsPerTask(int n) {
            this.threadsPerTask = n;
            return this;
        }

        /**
         * PyTorch threads of the BN recalibration in every task. libtorch's channels-last batch
         * norm sums its statistics per thread, so the thread count decides the last bits of the
         * statistics and, on near-ties, a validation image's class: rows are identical to an
         * in-process table measured with the same count (ONNX Runtime's thread count changes
         * nothing). Default 1.
         *
         * @param n threads, at least 1
         * @return this
         */
        public Builder optCalibrationThreads(int n) {
            this.torchThreads = n;
            return this;
        }

        /**
         * @param n subnets per task; 0 (default): {@value #TASKS_PER_CORE} tasks per core of the
         *     cluster, at most {@value #MAX_AUTO_SUBNETS_PER_TASK} subnets each
         * @return this
         */
        public Builder optSubnetsPerTask(int n) {
            this.subnetsPerTask = n;
            return this;
        }

        /**
         * @param q no progress bar when true, default false
         * @return this
         */
        public Builder optQuiet(boolean q) {
            this.quiet = q;
            return this;
        }

        /**
         * @param out where the progress bar is drawn, default the console (stderr)
         * @return this
         */
        public Builder optProgressOut(PrintStream out) {
            this.progressOut = out;
            return this;
        }

        /**
         * @param l called on the driver with each successful task's report, after its rows that can be
         *     appended are in the file (default none)
         * @return this
         */
        public Builder optListener(Consumer<TaskReport> l) {
            this.listener = l;
            return this;
        }

        /**
         * Checks the settings.
         *
         * @return the job
         * @throws IllegalArgumentException naming a missing or bad setting and the values allowed
         */
        public SparkAccuracyTable build() {
            if (context == null || supernet == null || data == null || file == null) {
                throw new IllegalArgumentException("Spark accuracy table needs context, supernet, data and file; missing "
                        + (context == null ? "context" : supernet == null ? "supernet" : data == null ? "data" : "file"));
            }
            if (samples < 1) {
                throw new IllegalArgumentException("samples must be >= 1, found " + samples);
            }
            if (calibrationImages < 1 || evalBatch < 1) {
                throw new IllegalArgumentException("calibration images and eval batch must be >= 1, found "
                        + calibrationImages + " and " + evalBatch);
            }
            if (threadsPerTask < 1 || threadsPerTask > 256) {
                throw new IllegalArgumentException("threads per task must be in [1, 256], found " + threadsPerTask);
            }
            if (torchThreads < 1 || torchThreads > 256) {
                throw new IllegalArgumentException("calibration threads must be in [1, 256], found " + torchThreads);
            }
            if (subnetsPerTask < 0) {
                throw new IllegalArgumentException("subnets per task must be >= 1, or 0 for automatic, found " + subnetsPerTask);
            }
            return new SparkAccuracyTable(this);
        }
    }
}
