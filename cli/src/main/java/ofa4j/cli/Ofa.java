package ofa4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ofa} command: train a supernet once, then slice, export and serve subnets per device.
 * Exit codes: 0 success, 1 failure, 2 bad usage.
 */
@Command(
        name = "ofa",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT, // every subcommand gets --help and --version too
        versionProvider = Ofa.Version.class,
        description =
                "Once-for-All on the JVM: train one weight-sharing supernet, then slice a specialised"
                        + " subnet for any device constraint in seconds and export it to ONNX.",
        subcommands = {RunCommand.class, TrainCommand.class, ProfileCommand.class, PredictorCommand.class, SliceCommand.class, CompareCommand.class, ProxiesCommand.class, ScratchCommand.class, ParetoCommand.class, ServeCommand.class, EvalCommand.class, ExportCommand.class, FinetuneCommand.class, SpaceCommand.class, CheckCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'ofa <command> --help' for the options and examples of a command."})
public final class Ofa {

    /** Version of this build. */
    public static final String VERSION = "0.1.0";

    /** Prints the version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ofa4j " + VERSION};
        }
    }

    private Ofa() {}

    /**
     * Builds the command line with ofa4j's error handling: one-line messages for bad usage (exit
     * 2) and failures (exit 1); stack traces only with {@code --verbose}.
     *
     * @param out standard output
     * @param err standard error
     * @return the configured command line
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Ofa());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new Errors());
        cl.setParameterExceptionHandler(new Errors());
        return cl;
    }

    /**
     * Runs the command.
     *
     * @param args arguments
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code;
        try {
            code = commandLine(out, err).execute(args);
        } catch (Error e) { // picocli hands Errors on; they end with one line and exit 1 too
            code = Errors.fatal(e, err, java.util.Arrays.asList(args).contains("--verbose"));
        }
        out.flush();
        err.flush();
        System.exit(code);
    }
}
