package ofa4j.spark;

import java.io.Serializable;
import java.util.List;
import ofa4j.slicer.IndependentFleet;

/**
 * What one task of a fleet job returns: its delivered targets with their files, and where and how
 * long it ran.
 *
 * @param partition the partition (a group of targets)
 * @param attempt Spark's attempt number of the task (0 first, higher when retried)
 * @param executorId the executor's id ({@code driver} in local mode)
 * @param host the executor's host name
 * @param pid the executor's process id
 * @param openSeconds time to check and load the supernet file, s
 * @param sliceSeconds time to slice the partition's targets, s
 * @param delivered one entry per target of the partition, in fleet order
 */
public record FleetTaskReport(int partition, int attempt, String executorId, String host, long pid, double openSeconds,
        double sliceSeconds, List<IndependentFleet.Shipped> delivered) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Copies the list. */
    public FleetTaskReport {
        delivered = List.copyOf(delivered);
    }
}
