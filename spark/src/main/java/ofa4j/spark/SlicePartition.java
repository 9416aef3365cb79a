package ofa4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import ofa4j.slicer.IndependentFleet;
import ofa4j.supernet.Supernet;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/**
 * The executor side of a fleet job: for one partition of targets, opens the supernet file once
 * (checking its SHA-256 against the driver's) and slices each target on its own ({@link
 * IndependentFleet#slice}) with the fleet's PyTorch thread count, returning the delivered files.
 */
final class SlicePartition extends AbstractFunction2<TaskContext, Iterator<IndependentFleet.Work>, FleetTaskReport>
        implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Broadcast<FleetTaskInputs> inputs;

    SlicePartition(Broadcast<FleetTaskInputs> inputs) {
        this.inputs = inputs;
    }

    /** {@inheritDoc} */
    @Override
    public FleetTaskReport apply(TaskContext ctx, Iterator<IndependentFleet.Work> works) {
        FleetTaskInputs in = inputs.value();
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String host = SparkTasks.hostName();
        long pid = ProcessHandle.current().pid();
        String where = "executor " + executor + " on " + host;
        Threads.set(in.torchThreads());
        List<IndependentFleet.Work> todo = new ArrayList<>();
        while (works.hasNext()) {
            todo.add(works.next());
        }
        long t0 = System.nanoTime();
        try (Supernet net = in.supernet().open(where)) {
            long t1 = System.nanoTime();
            List<IndependentFleet.Shipped> out = new ArrayList<>();
            IndependentFleet.slice(net, in.data(), in.fleet(), todo, where, in.onnxThreads(), out::add);
            long t2 = System.nanoTime();
            return new FleetTaskReport(ctx.partitionId(), ctx.attemptNumber(), executor, host, pid, (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
