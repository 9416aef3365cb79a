package ofa4j.cli;

import picocli.CommandLine.Option;

/** The {@code --candidates} option of the commands that slice through the closed loop (a picocli mixin). */
public final class CandidatesOption {

    @Option(names = "--candidates", defaultValue = "8",
            description = "Closed loop: candidates measured per target and round; the best measured one within the bounds is delivered (default ${DEFAULT-VALUE}).")
    int k = 8;

    @Option(names = "--screen-images", paramLabel = "N",
            description = "Closed loop: score each candidate on the first N validation images, then only the "
                    + ofa4j.slicer.ClosedLoop.FINALISTS + " best within the bounds on the whole split; 0 = every"
                    + " candidate on the whole split. Default: 0 for 'ofa run' (every row refits the predictor),"
                    + " else " + ofa4j.slicer.ClosedLoop.DEFAULT_SCREEN_IMAGES + " (0 below twice that).")
    Integer screenImages;

    /**
     * The screening size to use.
     *
     * @param valImages images of the validation split
     * @param wholeByDefault true when the command measures every candidate whole unless told otherwise
     * @return validation images of a screening, 0 for none
     * @throws IllegalArgumentException if the option is negative
     */
    int screenImages(int valImages, boolean wholeByDefault) {
        if (screenImages != null) {
            if (screenImages < 0) {
                throw new IllegalArgumentException("--screen-images must be >= 0 (0 = off), found " + screenImages);
            }
            return screenImages;
        }
        return wholeByDefault ? 0 : ofa4j.slicer.ClosedLoop.defaultScreenImages(valImages);
    }
}
