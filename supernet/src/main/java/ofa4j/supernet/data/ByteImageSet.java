package ofa4j.supernet.data;

/**
 * Grey images as the bytes of an IDX file (one byte per pixel), converted to floats only for the
 * images a split keeps. Why: Fashion-MNIST's 60,000 training images are 188 MB as floats but 47 MB
 * as bytes, and a run keeps a third of them; converting all first made {@code ofa serve} of a quick
 * run need more than its 384 MB heap just to load the data.
 *
 * @param name a label for messages and manifests
 * @param height image height
 * @param width image width
 * @param pixels all pixels, image after image, 0..255 as unsigned bytes
 * @param labels class index of each image
 * @param numClasses number of classes
 */
public record ByteImageSet(String name, int height, int width, byte[] pixels, int[] labels, int numClasses)
        implements ImageSource {

    /** Checks sizes. */
    public ByteImageSet {
        if ((long) height * width * labels.length != pixels.length) {
            throw new IllegalArgumentException("image set " + name + ": " + labels.length + " labels of " + height + "x"
                    + width + " need " + (long) height * width * labels.length + " pixels, found " + pixels.length);
        }
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public ImageSet subset(String newName, int[] indices) {
        int per = height * width;
        float[] px = new float[indices.length * per];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int src = indices[i] * per;
            int dst = i * per;
            for (int p = 0; p < per; p++) {
                px[dst + p] = (pixels[src + p] & 0xff) / 255f;
            }
            lb[i] = labels[indices[i]];
        }
        return new ImageSet(newName, 1, height, width, px, lb, numClasses);
    }
}
