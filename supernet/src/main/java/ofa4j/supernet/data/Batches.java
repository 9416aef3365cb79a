package ofa4j.supernet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Cuts NCHW float batches out of an {@link ImageSet}: resized (bilinear, align-corners false, as
 * PyTorch's {@code interpolate}) to the subnet's resolution and normalised per channel. Resizing
 * happens in Java on the small images, so the engine only sees the final tensor. Training batches
 * may be augmented ({@link Augment}): a random crop of the zero-padded image and a random
 * horizontal flip, both drawn from a seeded generator so that a run is reproducible.
 */
public final class Batches {

    private Batches() {}

    /**
     * Light augmentation for small grey images, applied at the source size before resizing: the
     * image is shifted by a random offset in [-padding, padding] on each axis with zeros filling
     * the border (the same as a random crop of the image padded by {@code padding}, as the usual
     * CIFAR / Fashion-MNIST recipe), then mirrored left-right with probability 1/2 if {@code flip}.
     *
     * @param padding maximal shift in pixels (0 = no crop)
     * @param flip random horizontal flip
     */
    public record Augment(int padding, boolean flip) {

        /** No augmentation. */
        public static final Augment NONE = new Augment(0, false);

        /** Padding 2 (7% of 28 px, so a garment stays inside the frame) and random flip. */
        public static final Augment LIGHT = new Augment(2, true);

        /** Checks the padding. */
        public Augment {
            if (padding < 0) {
                throw new IllegalArgumentException("augmentation padding must be >= 0, found " + padding);
            }
        }

        /** @return true if this changes images */
        public boolean active() {
            return padding > 0 || flip;
        }
    }

    /**
     * Builds an augmented image batch of {@code indices}; with {@link Augment#NONE} it equals
     * {@link #images(NDManager, ImageSet, int[], int, float[], float[])}.
     *
     * @param manager owner of the returned array
     * @param set the images
     * @param indices which images, in batch order
     * @param resolution output height = width
     * @param mean per-channel mean subtracted after scaling to [0, 1]
     * @param std per-channel standard deviation divided by
     * @param augment the augmentation
     * @param rng random source of the shifts and flips (consumed in batch order: 3 draws per image)
     * @return an array of shape [indices.length, C, resolution, resolution]
     */
    public static NDArray images(
            NDManager manager,
            ImageSet set,
            int[] indices,
            int resolution,
            float[] mean,
            float[] std,
            Augment augment,
            SplittableRandom rng) {
        if (!augment.active()) {
            return images(manager, set, indices, resolution, mean, std);
        }
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        int per = c * resolution * resolution;
        float[] out = new float[indices.length * per];
        float[] tmp = new float[set.imageSize()];
        float[] px = set.pixels();
        int pad = augment.padding();
        for (int i = 0; i < indices.length; i++) {
            int dy = rng.nextInt(2 * pad + 1) - pad;
            int dx = rng.nextInt(2 * pad + 1) - pad;
            boolean flip = augment.flip() && rng.nextBoolean();
            int src = indices[i] * set.imageSize();
            for (int ch = 0; ch < c; ch++) {
                int base = ch * h * w;
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int xx = flip ? w - 1 - x : x;
                        int sx = xx + dx;
                        tmp[base + y * w + x] =
                                sy < 0 || sy >= h || sx < 0 || sx >= w ? 0f : px[src + base + sy * w + sx];
                    }
                }
            }
            resize(tmp, 0, c, h, w, resolution, out, i * per);
            normalise(out, i * per, c, resolution, mean, std);
        }
        return manager.create(out, new Shape(indices.length, c, resolution, resolution));
    }

    private static void normalise(float[] out, int offset, int c, int resolution, float[] mean, float[] std) {
        for (int ch = 0; ch < c; ch++) {
            int off = offset + ch * resolution * resolution;
            float m = mean[ch];
            float s = 1f / std[ch];
            for (int p = 0; p < resolution * resolution; p++) {
                out[off + p] = (out[off + p] - m) * s;
            }
        }
    }

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
        float[] out = pixels(set, indices, resolution, mean, std);
        return manager.create(out, new Shape(indices.length, set.channels(), resolution, resolution));
    }

    /**
     * The values of {@link #images(NDManager, ImageSet, int[], int, float[], float[])} as a plain
     * array, for engines other than DJL (ONNX Runtime).
     *
     * @param set the images
     * @param indices which images, in batch order
     * @param resolution output height = width
     * @param mean per-channel mean subtracted after scaling to [0, 1]
     * @param std per-channel standard deviation divided by
     * @return NCHW values, {@code indices.length * C * resolution * resolution} of them
     */
    public static float[] pixels(ImageSet set, int[] indices, int resolution, float[] mean, float[] std) {
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
        return out;
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
        resize(set.pixels(), index * set.imageSize(), set.channels(), set.height(), set.width(), resolution, out, offset);
    }

    private static void resize(float[] px, int src, int channels, int h, int w, int resolution, float[] out, int offset) {
        if (h == resolution && w == resolution) {
            System.arraycopy(px, src, out, offset, channels * h * w);
            return;
        }
        double sy = (double) h / resolution;
        double sx = (double) w / resolution;
        for (int ch = 0; ch < channels; ch++) {
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
