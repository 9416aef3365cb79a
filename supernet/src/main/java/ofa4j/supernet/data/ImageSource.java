package ofa4j.supernet.data;

/**
 * Labelled images that splits are cut from ({@link DataSplits#carve}): an {@link ImageSet} of
 * floats, or the bytes of an IDX file ({@link ByteImageSet}), which hold a quarter of the memory
 * until the chosen images are converted.
 */
public interface ImageSource {

    /** @return a label for messages and manifests */
    String name();

    /** @return number of images */
    int size();

    /**
     * The images at {@code indices}, in that order, as floats in [0, 1] (copies).
     *
     * @param newName name of the subset
     * @param indices image indices
     * @return the subset
     */
    ImageSet subset(String newName, int[] indices);

    /**
     * The first {@code n} images (or all when fewer), named {@code name[:m]}.
     *
     * @param n how many
     * @return the head
     */
    default ImageSet head(int n) {
        int m = Math.min(n, size());
        return subset(name() + "[:" + m + "]", firstIndices(m));
    }

    /** @return every image as floats in [0, 1], under this source's name */
    default ImageSet all() {
        return subset(name(), firstIndices(size()));
    }

    private static int[] firstIndices(int m) {
        int[] idx = new int[m];
        java.util.Arrays.setAll(idx, i -> i);
        return idx;
    }
}
