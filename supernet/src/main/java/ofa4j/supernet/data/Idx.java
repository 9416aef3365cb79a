package ofa4j.supernet.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads unsigned-byte IDX files (the MNIST / Fashion-MNIST format of LeCun et al.): a big-endian
 * magic {@code 0x0000 08 nd} (type 0x08 = unsigned byte, {@code nd} dimensions), {@code nd}
 * big-endian int32 sizes, then the bytes. Files may be gzipped; that is detected from the gzip
 * magic bytes {@code 1f 8b}, not from the file name.
 */
public final class Idx {

    /** IDX type code of unsigned bytes. */
    public static final int TYPE_UBYTE = 0x08;

    private Idx() {}

    /**
     * A decoded IDX file.
     *
     * @param dims the sizes of each dimension (first = number of items)
     * @param data all values, row-major, as unsigned bytes stored in Java bytes
     */
    public record Data(int[] dims, byte[] data) {
        /** @return number of items (first dimension) */
        public int count() {
            return dims[0];
        }
    }

    /**
     * Reads an unsigned-byte IDX file with {@code expectedDims} dimensions.
     *
     * @param file the file (plain or gzipped)
     * @param expectedDims 1 for labels, 3 for images
     * @return the decoded content
     * @throws IOException naming the file and the problem: bad magic, bad sizes, or "truncated at
     *     byte N" (N counted in the decompressed content)
     */
    public static Data read(Path file, int expectedDims) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("IDX file " + file + " does not exist or is not a regular file");
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            try {
                return decode(file, in, expectedDims);
            } catch (EOFException e) {
                throw new IOException(
                        "IDX file " + file + " is corrupt" + (gz ? " (gzip stream ended early)" : "")
                                + ": " + e.getMessage(), e);
            }
        }
    }

    private static Data decode(Path file, InputStream in, int expectedDims) throws IOException {
        long[] pos = {0};
        byte[] head = new byte[4];
        readFully(file, in, head, 0, 4, pos, 4);
        int magic = ((head[0] & 0xff) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8) | (head[3] & 0xff);
        int expectedMagic = (TYPE_UBYTE << 8) | expectedDims;
        if (magic != expectedMagic) {
            throw new IOException(
                    String.format(
                            "IDX file %s has bad magic 0x%08x, expected 0x%08x (unsigned bytes, %d dimensions)",
                            file, magic, expectedMagic, expectedDims));
        }
        int[] dims = new int[expectedDims];
        long total = 1;
        long headerBytes = 4 + 4L * expectedDims;
        byte[] four = new byte[4];
        for (int i = 0; i < expectedDims; i++) {
            readFully(file, in, four, 0, 4, pos, headerBytes);
            dims[i] = ((four[0] & 0xff) << 24) | ((four[1] & 0xff) << 16) | ((four[2] & 0xff) << 8) | (four[3] & 0xff);
            if (dims[i] < 0 || (i > 0 && dims[i] == 0)) {
                throw new IOException("IDX file " + file + " has invalid size " + dims[i] + " in dimension " + i);
            }
            if (dims[i] > 0 && total > MAX_VALUES / dims[i]) { // checked before multiplying: no wrap-around
                throw new IOException("IDX file " + file + " declares sizes " + java.util.Arrays.toString(
                        java.util.Arrays.copyOf(dims, i + 1)) + ", more than the " + MAX_VALUES + " values this reader supports");
            }
            total *= dims[i];
        }
        byte[] data = readValues(file, in, (int) total, pos, headerBytes + total);
        if (in.read() != -1) {
            throw new IOException(
                    "IDX file " + file + " has trailing data after the " + (headerBytes + total)
                            + " bytes its header declares");
        }
        return new Data(dims, data);
    }

    /** Most values one file may declare (a Java array's limit). */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /**
     * Reads the declared values in 1 MiB pieces, so that memory follows the bytes really present: a
     * 16-byte file declaring 2e9 labels fails as truncated instead of allocating 2 GB first.
     */
    private static byte[] readValues(Path file, InputStream in, int total, long[] pos, long expected) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.min(total, 1 << 20));
        byte[] piece = new byte[1 << 20];
        int left = total;
        while (left > 0) {
            int n = Math.min(left, piece.length);
            readFully(file, in, piece, 0, n, pos, expected);
            out.write(piece, 0, n);
            left -= n;
        }
        return out.toByteArray();
    }

    private static void readFully(Path file, InputStream in, byte[] buf, int off, int len, long[] pos, long expected)
            throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(buf, off + done, len - done);
            if (n < 0) {
                throw new IOException(
                        "IDX file " + file + " is truncated at byte " + (pos[0] + done) + " (expected "
                                + expected + " bytes)");
            }
            done += n;
        }
        pos[0] += len;
    }
}
