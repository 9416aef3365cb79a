package ofa4j.spark;

import java.io.IOException;
import java.net.InetAddress;
import org.apache.spark.SparkException;

/** What the fleet and the accuracy table jobs share: the executor's host name and a failed job's cause. */
final class SparkTasks {

    private SparkTasks() {}

    /**
     * The innermost message of a failed job that is not Spark's own wrapper.
     *
     * @param e the failure
     * @return the deepest non-null message outside {@link SparkException}, else {@code e}'s own message
     */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        String msg = e.getMessage();
        while (t != null) {
            if (t.getMessage() != null && !(t instanceof SparkException)) {
                msg = t.getMessage();
            }
            t = t.getCause();
        }
        return msg;
    }

    /**
     * This JVM's host name, for a task's report.
     *
     * @return the host name, or {@code "unknown host"} if it cannot be resolved
     */
    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
