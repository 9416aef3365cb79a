package ofa4j.cli;

import picocli.CommandLine.Option;

/** The {@code --candidates} option of the commands that slice through the closed loop (a picocli mixin). */
public final class CandidatesOption {

    @Option(names = "--candidates", defaultValue = "8",
            description = "Closed loop: candidates measured per target and round; the best measured one within the bounds is delivered (default ${DEFAULT-VALUE}).")
    int k = 8;
}
