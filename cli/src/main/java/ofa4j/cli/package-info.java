/** The {@code ofa} command line (picocli): one subcommand per pipeline stage. */
package ofa4j.cli;
