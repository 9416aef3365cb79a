package ofa4j.models;

/**
 * The elastic choice of one inverted-residual block: depthwise kernel size and expand ratio.
 *
 * @param kernel depthwise kernel size (odd, e.g. 3, 5, 7)
 * @param expand expand ratio: the block's hidden width is {@code make_divisible(in * expand, 8)}
 */
public record BlockChoice(int kernel, int expand) {

    /**
     * Returns OFA's module string of this choice, e.g. {@code K5E4}.
     *
     * @return a short description
     */
    public String describe() {
        return "K" + kernel + "E" + expand;
    }
}
