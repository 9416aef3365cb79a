package ofa4j.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import ofa4j.slicer.IndependentFleet;
import ofa4j.supernet.data.DataSplits;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Fleet specialisation as a Spark job over partitions of targets: the {@link
 * IndependentFleet.Runner} of {@link IndependentFleet#run}. Each task opens the supernet file
 * once, checks its SHA-256, and slices its targets each on its own (search, closed-loop
 * measurement of candidates, delivery with ONNX and INT8 models) with the fleet's PyTorch thread
 * count; the driver writes each target's files as its task returns. A task whose executor dies is
 * re-run by Spark; a target's files are written once, by the first attempt that returns.
 *
 * <p>Targets are sliced independently of each other, so a fleet gives the same slices however its
 * targets are grouped into tasks, and equals {@link IndependentFleet#inProcess} with the same
 * inputs (with the same PyTorch thread count; latency measured on the executors aside).
 */
public final class SparkFleet {

    private SparkFleet() {}

    /**
     * Outcome of the tasks of one fleet job.
     *
     * @param partitions partitions of the job
     * @param tasks every successful task's report, in order of completion
     */
    public record Jobs(int partitions, List<FleetTaskReport> tasks) {
        /** Copies the list. */
        public Jobs {
            tasks = List.copyOf(tasks);
        }

        /**
         * @return one line: targets, tasks, executors, mean supernet load and slicing time per target
         */
        public String summary() {
            double open = tasks.stream().mapToDouble(FleetTaskReport::openSeconds).average().orElse(0);
            double slice = tasks.stream().mapToDouble(FleetTaskReport::sliceSeconds).sum();
            int targets = tasks.stream().mapToInt(t -> t.delivered().size()).sum();
            long executors = tasks.stream().map(t -> t.host() + "/" + t.pid()).distinct().count();
            return String.format(Locale.ROOT, "fleet on Spark: %d target(s) in %d task(s) on %d executor(s), %.2f s mean"
                    + " supernet load per task, %.1f s slicing per target", targets, tasks.size(), executors, open,
                    targets == 0 ? 0 : slice / targets);
        }
    }

    /**
     * A runner that slices the fleet's targets as a Spark job.
     *
     * @param sc the context (not stopped here)
     * @param supernet the parameter file every worker reads
     * @param data the data splits (broadcast once per executor)
     * @param torchThreads PyTorch intra-op threads of each task (the in-process run's, for the same slices)
     * @param onnxThreads ONNX Runtime intra-op threads of each task's accuracy measurements (its
     *     {@code spark.task.cpus}; the slices do not depend on it)
     * @param targetsPerTask targets per task (at least 1)
     * @param jobs receives each job's task reports (may be null)
     * @return the runner
     * @throws IllegalArgumentException if a thread count or {@code targetsPerTask} is below 1
     */
    public static IndependentFleet.Runner runner(JavaSparkContext sc, SupernetFile supernet, DataSplits data,
            int torchThreads, int onnxThreads, int targetsPerTask, Consumer<Jobs> jobs) {
        if (sc == null || supernet == null || data == null) {
            throw new IllegalArgumentException("a Spark fleet needs a context, a supernet file and data");
        }
        if (torchThreads < 1) {
            throw new IllegalArgumentException("PyTorch threads per task must be >= 1, found " + torchThreads);
        }
        if (onnxThreads < 1) {
            throw new IllegalArgumentException("ONNX Runtime threads per task must be >= 1, found " + onnxThreads);
        }
        if (targetsPerTask < 1) {
            throw new IllegalArgumentException("targets per task must be >= 1, found " + targetsPerTask);
        }
        return (inputs, works, done) -> {
            int partitions = (works.size() + targetsPerTask - 1) / targetsPerTask;
            Broadcast<FleetTaskInputs> shared = sc.broadcast(FleetTaskInputs.of(supernet, data, inputs, torchThreads,
                    onnxThreads));
            boolean local = sc.isLocal();
            int before = local ? Threads.set(torchThreads) : -1;
            Handler handler = new Handler(done);
            try {
                JavaRDD<IndependentFleet.Work> rdd = sc.parallelize(works, partitions);
                sc.sc().runJob(rdd.rdd(), new SlicePartition(shared), handler, ClassTag$.MODULE$.apply(FleetTaskReport.class));
            } catch (Exception e) { // Spark's SparkException is checked, but Scala does not declare it
                throw new IOException("fleet job on Spark " + sc.master() + " failed: " + SparkTasks.rootMessage(e), e);
            } finally {
                if (local) {
                    Threads.set(before);
                }
                shared.destroy();
            }
            if (jobs != null) {
                jobs.accept(new Jobs(partitions, handler.reports));
            }
        };
    }

    /** The driver's result handler: hands each delivered target over as its task returns. */
    private static final class Handler extends AbstractFunction2<Object, FleetTaskReport, BoxedUnit> {
        private final Consumer<IndependentFleet.Shipped> done;
        private final List<FleetTaskReport> reports = Collections.synchronizedList(new ArrayList<>());

        Handler(Consumer<IndependentFleet.Shipped> done) {
            this.done = done;
        }

        /** {@inheritDoc} */
        @Override
        public synchronized BoxedUnit apply(Object partition, FleetTaskReport report) {
            reports.add(report);
            report.delivered().forEach(done);
            return BoxedUnit.UNIT;
        }
    }
}
