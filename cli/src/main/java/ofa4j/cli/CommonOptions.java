package ofa4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by every subcommand (a picocli mixin): seed, output directory, threads, verbosity. */
public final class CommonOptions {

    /** Default seed of every random choice. */
    public static final long DEFAULT_SEED = 42;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", description = "Output directory.")
    Path out;

    @Option(names = "--threads", defaultValue = "2", description = "Compute threads for PyTorch (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars; only results and errors.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    /**
     * Returns {@code --out}, or {@code runs/<fallback>} when it was not given.
     *
     * @param fallback default directory name under {@code runs/}
     * @return the output directory
     */
    Path outDir(String fallback) {
        return out != null ? out : Path.of("runs", fallback);
    }

    /**
     * Sets PyTorch's thread count before the engine starts (it reads {@code
     * ai.djl.pytorch.num_threads} once, at start).
     */
    void applyThreads() {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("--threads must be in [1, 256], found " + threads);
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /** @return the ofa4j installation directory (set by the launcher as {@code ofa.home}), else the working dir */
    static Path home() {
        String h = System.getProperty("ofa.home");
        return Path.of(h == null ? "." : h);
    }
}
