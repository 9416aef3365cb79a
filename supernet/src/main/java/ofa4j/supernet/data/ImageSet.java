package ofa4j.supernet.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import ofa4j.models.Hashing;

/**
 * An in-memory labelled image set: {@code size()} images of {@code channels x height x width}
 * pixels in [0, 1], channel-major (NCHW) in one float array. Small data sets (Fashion-MNIST is
 * 188 MB as floats) fit easily; batches are cut from it by {@link Batches}.
 *
 * @param name a label for messages and manifests (e.g. {@code fashion-mnist/train})
 * @param channels channels per image (1 grey, 3 RGB)
 * @param height image height in pixels
 * @param width image width in pixels
 * @param pixels all pixels, image after image, each CHW, values in [0, 1]
 * @param labels class index of each image
 * @param numClasses number of classes
 */
public record ImageSet(
        String name, int channels, int height, int width, float[] pixels, int[] labels, int numClasses)
        implements ImageSource {

    /** Checks sizes. */
    public ImageSet {
        long per = (long) channels * height * width;
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "image set " + name + " needs positive channels/height/width, found "
                            + channels + "x" + height + "x" + width);
        }
        if (pixels.length != per * labels.length) {
            throw new IllegalArgumentException(
                    "image set " + name + ": " + labels.length + " labels need " + per * labels.length
                            + " pixels, found " + pixels.length);
        }
        for (int l : labels) {
            if (l < 0 || l >= numClasses) {
                throw new IllegalArgumentException(
                        "image set " + name + " has label " + l + " outside [0, " + numClasses + ")");
            }
        }
    }

    /** @return number of images */
    public int size() {
        return labels.length;
    }

    /** @return pixels per image */
    public int imageSize() {
        return channels * height * width;
    }

    /**
     * Returns the images at {@code indices}, in that order (copies).
     *
     * @param newName name of the subset
     * @param indices image indices
     * @return the subset
     */
    @Override
    public ImageSet subset(String newName, int[] indices) {
        int per = imageSize();
        float[] px = new float[indices.length * per];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * per, px, i * per, per);
            lb[i] = labels[indices[i]];
        }
        return new ImageSet(newName, channels, height, width, px, lb, numClasses);
    }

    /** @return this set itself (already floats) */
    @Override
    public ImageSet all() {
        return this;
    }

    /** @return per-channel mean of all pixels */
    public float[] channelMean() {
        double[] sum = new double[channels];
        int hw = height * width;
        for (int i = 0; i < size(); i++) {
            for (int c = 0; c < channels; c++) {
                int off = i * imageSize() + c * hw;
                for (int p = 0; p < hw; p++) {
                    sum[c] += pixels[off + p];
                }
            }
        }
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) (sum[c] / ((double) size() * hw));
        }
        return out;
    }

    /**
     * @param mean per-channel mean from {@link #channelMean()}
     * @return per-channel standard deviation of all pixels
     */
    public float[] channelStd(float[] mean) {
        double[] sum = new double[channels];
        int hw = height * width;
        for (int i = 0; i < size(); i++) {
            for (int c = 0; c < channels; c++) {
                int off = i * imageSize() + c * hw;
                for (int p = 0; p < hw; p++) {
                    double d = pixels[off + p] - mean[c];
                    sum[c] += d * d;
                }
            }
        }
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) Math.sqrt(sum[c] / ((double) size() * hw));
        }
        return out;
    }

    /**
     * @return SHA-256 (hex) of shape, labels and pixels (big-endian int32 channels, height, width,
     *     classes, then every label as int32 and every pixel as float32): identifies the data in
     *     checkpoints
     */
    public String fingerprint() {
        MessageDigest md = Hashing.sha256();
        ByteBuffer head = ByteBuffer.allocate(16).putInt(channels).putInt(height).putInt(width).putInt(numClasses);
        md.update(head.array());
        ByteBuffer bb = ByteBuffer.allocate(4096);
        for (int l : labels) {
            if (bb.remaining() < 4) {
                md.update(bb.array(), 0, bb.position());
                bb.clear();
            }
            bb.putInt(l);
        }
        for (float p : pixels) {
            if (bb.remaining() < 4) {
                md.update(bb.array(), 0, bb.position());
                bb.clear();
            }
            bb.putFloat(p);
        }
        md.update(bb.array(), 0, bb.position());
        return Hashing.hex(md.digest());
    }
}
