package ofa4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.SupernetScorer;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.ImageSet;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/**
 * The executor side of an accuracy-table job: for one partition of subnets, opens the supernet
 * file once (checking its SHA-256 against the driver's), scores each subnet exactly as the
 * in-process builder does ({@link SupernetScorer} with the table's calibration seed and the same
 * PyTorch thread count), and returns the rows.
 */
final class ScorePartition extends AbstractFunction2<TaskContext, Iterator<ScorePartition.Work>, TaskReport>
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * One subnet to score.
     *
     * @param index its position in the table's list
     * @param archJson its architecture ({@link ArchConfig#toCompactJson()})
     */
    record Work(int index, String archJson) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final Broadcast<TableTaskInputs> inputs;

    ScorePartition(Broadcast<TableTaskInputs> inputs) {
        this.inputs = inputs;
    }

    /** {@inheritDoc} */
    @Override
    public TaskReport apply(TaskContext ctx, Iterator<Work> works) {
        TableTaskInputs in = inputs.value();
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String host = SparkTasks.hostName();
        long pid = ProcessHandle.current().pid();
        String where = "executor " + executor + " on " + host;
        Threads.set(in.torchThreads());
        long t0 = System.nanoTime();
        try (Supernet net = in.supernet().open(where)) {
            ImageSet calibration = in.calibration().toImageSet();
            ImageSet val = in.val().toImageSet();
            SupernetScorer scorer = new SupernetScorer(net, calibration, val, in.mean(), in.std(),
                    in.calibrationImages(), in.evalBatch(), in.onnxThreads());
            long t1 = System.nanoTime();
            List<TaskReport.Scored> rows = new ArrayList<>();
            while (works.hasNext()) {
                Work w = works.next();
                ArchConfig a = ArchConfig.fromJson(w.archJson());
                rows.add(new TaskReport.Scored(w.index(), a.key(), scorer.accuracy(a, in.calibrationSeed())));
            }
            long t2 = System.nanoTime();
            return new TaskReport(ctx.partitionId(), ctx.attemptNumber(), executor, host, pid, (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, rows);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
