package ofa4j.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What one task of an accuracy-table job returns: its rows and where and how long it ran.
 *
 * @param partition the partition (a contiguous run of the table's subnets)
 * @param attempt Spark's attempt number of the task (0 first, higher when retried)
 * @param executorId the executor's id ({@code driver} in local mode)
 * @param host the executor's host name
 * @param pid the executor's process id
 * @param openSeconds time to check and load the supernet file, s
 * @param scoreSeconds time to score the partition's subnets, s
 * @param rows one row per subnet of the partition, in table order
 */
public record TaskReport(int partition, int attempt, String executorId, String host, long pid, double openSeconds,
        double scoreSeconds, List<Scored> rows) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Copies the rows. */
    public TaskReport {
        rows = List.copyOf(rows);
    }

    /**
     * One scored subnet.
     *
     * @param index its position in the table's list of subnets
     * @param key its architecture key
     * @param accuracy top-1 validation accuracy, fraction
     */
    public record Scored(int index, String key, double accuracy) implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
