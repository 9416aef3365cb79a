package ofa4j.supernet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Cuts NCHW float batches out of an {@link ImageSet}: resized (bilinear, align-corners false, as
 * PyTorch's {@code interpolate}) to the subnet's resolution and normalised per channel. Resizing
 * happens in Java on the small images, so the engine only sees the final tensor.
 */
public final class Batches {

    private Batches() {}

    /**
     * Builds the image batch of {@code indices}.
     *
     * @param manager owner of the returned array
     * @param set the images
     * @param indices which images, in batch order
     * @param resolution output height = width
     * @param mean per-channel mean subtracted after scaling to [0, 1]
     * @param std per-channel standard deviation divided by
     * @return an array of shape [indices.length, C, resolution, resolution]
     */
    public static NDArray images(
            NDManager manager, ImageSet set, int[] indices, int resolution, float[] mean, float[] std) {
        int c = set.channels();
        int per = c * resolution * resolution;
        float[] out = new float[indices.length * per];
        for (int i = 0; i < indices.length; i++) {
            resizeInto(set, indices[i], resolution, out, i * per);
            for (int ch = 0; ch < c; ch++) {
                int off = i * per + ch * resolution * resolution;
                float m = mean[ch];
                float s = 1f / std[ch];
                for (int p = 0; p < resolution * resolution; p++) {
                    out[off + p] = (out[off + p] - m) * s;
                }
            }
        }
        return manager.create(out, new Shape(indices.length, c, resolution, resolution));
    }

    /**
     * Builds the label batch of {@code indices}.
     *
     * @param manager owner of the returned array
     * @param set the images
     * @param indices which images
     * @return an int32 array of shape [indices.length]
     */
    public static NDArray labels(NDManager manager, ImageSet set, int[] indices) {
        int[] out = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = set.labels()[indices[i]];
        }
        return manager.create(out);
    }

    /**
     * Bilinear resize of one image (all channels) into {@code out} at {@code offset}, values still in
     * [0, 1]. A no-op copy when the size already matches.
     *
     * @param set the images
     * @param index image index
     * @param resolution output height = width
     * @param out destination
     * @param offset first index written
     */
    public static void resizeInto(ImageSet set, int index, int resolution, float[] out, int offset) {
        int h = set.height();
        int w = set.width();
        int src = index * set.imageSize();
        float[] px = set.pixels();
        if (h == resolution && w == resolution) {
            System.arraycopy(px, src, out, offset, set.imageSize());
            return;
        }
        double sy = (double) h / resolution;
        double sx = (double) w / resolution;
        for (int ch = 0; ch < set.channels(); ch++) {
            int cs = src + ch * h * w;
            int co = offset + ch * resolution * resolution;
            for (int y = 0; y < resolution; y++) {
                double fy = Math.max(0, (y + 0.5) * sy - 0.5);
                int y0 = Math.min((int) fy, h - 1);
                int y1 = Math.min(y0 + 1, h - 1);
                double wy = fy - y0;
                for (int x = 0; x < resolution; x++) {
                    double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                    int x0 = Math.min((int) fx, w - 1);
                    int x1 = Math.min(x0 + 1, w - 1);
                    double wx = fx - x0;
                    double v =
                            (1 - wy) * ((1 - wx) * px[cs + y0 * w + x0] + wx * px[cs + y0 * w + x1])
                                    + wy * ((1 - wx) * px[cs + y1 * w + x0] + wx * px[cs + y1 * w + x1]);
                    out[co + y * resolution + x] = (float) v;
                }
            }
        }
    }
}
