package ofa4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stands in for {@code benchmarks.jar} in tests of {@code ofa bench}: writes one result in JMH's
 * JSON format to the file given after {@code -rff}, as JMH does.
 */
public final class FakeJmh {

    private FakeJmh() {}

    /**
     * Entry point.
     *
     * @param args JMH-style arguments
     * @throws Exception on write failure
     */
    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("-rff")) {
                Files.writeString(Path.of(args[i + 1]), "[{\"benchmark\":\"ofa4j.jmh.FakeBench.run\",\"mode\":\"thrpt\","
                        + "\"params\":{\"n\":\"" + args[0].length() + "\"},\"primaryMetric\":{\"score\":42.0,"
                        + "\"scoreError\":1.5,\"scoreUnit\":\"ops/s\"}}]");
            }
        }
    }
}
