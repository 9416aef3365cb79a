package ofa4j.models;

/**
 * One elastic stage of the supernet: all its blocks share width, activation and SE; only the
 * first block of the stage has the stride.
 *
 * @param baseWidth output channels before the width multiplier
 * @param stride stride of the stage's first block (1 or 2)
 * @param activation activation of the stage's blocks
 * @param se whether the blocks have squeeze-and-excite
 */
public record StageSpec(int baseWidth, int stride, Activation activation, boolean se) {

    /** Checks the values. */
    public StageSpec {
        if (baseWidth <= 0) {
            throw new IllegalArgumentException("stage width must be positive, found " + baseWidth);
        }
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stage stride must be 1 or 2, found " + stride);
        }
        if (activation == null) {
            throw new IllegalArgumentException("stage activation must be set");
        }
    }
}
