package ofa4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code ofa} command in-process and captures its output and exit code. */
final class CliRunner {

    /** Result of one run. */
    record Result(int code, String out, String err) {}

    private CliRunner() {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Ofa.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
