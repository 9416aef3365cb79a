package ofa4j.cli;

import java.io.UncheckedIOException;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * Turns exceptions into one-line messages: bad usage (picocli parameter errors and {@link
 * IllegalArgumentException}) exits with 2, other failures with 1; {@code --verbose} adds the stack
 * trace.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {

    /** Exit code of bad usage. */
    static final int USAGE = 2;

    /** Exit code of a failure. */
    static final int FAILURE = 1;

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        cl.getErr().println("ofa: " + ex.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, cl.getErr())) {
            cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help'.");
        }
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean verbose = Arrays.asList(parsed.originalArgs().toArray(new String[0])).contains("--verbose");
        Throwable t = ex;
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
        cl.getErr().println("ofa " + cl.getCommandName() + ": " + msg);
        if (verbose) {
            t.printStackTrace(cl.getErr());
        }
        return t instanceof IllegalArgumentException ? USAGE : FAILURE;
    }

    /**
     * A message on one line: a message of several lines (a library's hint on a second line) is
     * joined with "; ".
     *
     * @param message the message
     * @return its non-blank lines, stripped and joined
     */
    static String oneLine(String message) {
        return String.join("; ", message.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }

    /**
     * Reports a JVM {@link Error} in one line, with what to do about running out of memory.
     *
     * @param e the error
     * @param err where to print
     * @param verbose whether to add the stack trace
     * @return the exit code, {@link #FAILURE}
     */
    static int fatal(Error e, java.io.PrintWriter err, boolean verbose) {
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        err.println(e instanceof OutOfMemoryError
                ? "ofa: out of memory (" + what + "); give Java more heap, e.g. OFA_JAVA_OPTS=-Xmx16g ./ofa ..., or use"
                        + " fewer images (--train-images, --calibration-images)"
                : "ofa: internal error (" + what + "); run again with --verbose for the stack trace");
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return FAILURE;
    }
}
