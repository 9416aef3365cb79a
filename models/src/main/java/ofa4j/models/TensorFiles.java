package ofa4j.models;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one binary layout of ofa4j's weight files (subnets, supernet parameters, optimizer state,
 * predictor weights): an 8-byte magic naming the kind of file, the format version and header
 * length (little-endian int32 each), a UTF-8 JSON header whose {@code indexKey} array lists each
 * tensor's name and shape, the tensors as little-endian float32 in that order, and a SHA-256 of
 * everything before it. Files are written atomically; a reader checks the digest before it
 * trusts any length, and every size against the bytes that are really there.
 */
public final class TensorFiles {

    private static final int DIGEST_BYTES = 32;

    private TensorFiles() {}

    /**
     * What a file holds.
     *
     * @param version its format version
     * @param header its JSON header, without the tensor index
     * @param tensors its tensors in file order
     */
    public record Contents(int version, JsonObject header, Map<String, Tensor> tensors) {}

    /**
     * Writes a tensor file atomically.
     *
     * @param file the target
     * @param magic 8 ASCII bytes naming the kind of file
     * @param version the format version
     * @param header the JSON header (the tensor index is added under {@code indexKey})
     * @param indexKey key of the tensor index in the header
     * @param tensors the tensors, written in iteration order
     * @throws IOException if writing fails (the previous file stays)
     */
    public static void write(Path file, byte[] magic, int version, JsonObject header, String indexKey,
            Map<String, Tensor> tensors) throws IOException {
        checkMagic(magic);
        JsonObject h = header.deepCopy();
        JsonArray index = new JsonArray();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("name", e.getKey());
            JsonArray shape = new JsonArray();
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            index.add(t);
        }
        h.add(indexKey, index);
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, raw -> {
            MessageDigest md = Hashing.sha256();
            DigestOutputStream out = new DigestOutputStream(raw, md);
            out.write(magic);
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(version).putInt(hb.length).array());
            out.write(hb);
            for (Tensor t : tensors.values()) {
                ByteBuffer data = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(t.data());
                out.write(data.array());
            }
            out.on(false);
            raw.write(md.digest());
        });
    }

    /**
     * @param file a file
     * @param magic the magic of a kind of tensor file
     * @return whether the file starts with that magic
     * @throws IOException if unreadable
     */
    public static boolean hasMagic(Path file, byte[] magic) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(magic.length), magic);
        }
    }

    /**
     * Reads and verifies a tensor file.
     *
     * @param file the file
     * @param magic the expected magic
     * @param what what the file is, for messages ("ofa4j subnet file")
     * @param oldest the oldest format version read
     * @param newest the newest format version read
     * @param indexKey key of the tensor index in the header
     * @return the header and the tensors
     * @throws IOException naming the file when it is not of this kind, of an unread version,
     *     corrupt, truncated, or has bytes beyond its tensors
     */
    public static Contents read(Path file, byte[] magic, String what, int oldest, int newest, String indexKey)
            throws IOException {
        checkMagic(magic);
        byte[] all = Files.readAllBytes(file);
        String magicText = new String(magic, StandardCharsets.US_ASCII);
        if (all.length < magic.length + 8 + DIGEST_BYTES || !Arrays.equals(Arrays.copyOf(all, magic.length), magic)) {
            throw new IOException(file + " is not an " + what + " (magic " + magicText + " missing)");
        }
        MessageDigest md = Hashing.sha256();
        md.update(all, 0, all.length - DIGEST_BYTES);
        if (!Arrays.equals(md.digest(), Arrays.copyOfRange(all, all.length - DIGEST_BYTES, all.length))) {
            throw new IOException(file + " is corrupt or truncated: SHA-256 check failed");
        }
        ByteBuffer bb = ByteBuffer.wrap(all, 0, all.length - DIGEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.position(magic.length);
        int version = bb.getInt();
        if (version < oldest || version > newest) {
            throw new IOException(file + " has " + what + " format version " + version + "; this build reads "
                    + (oldest == newest ? "version " + newest : "versions " + oldest + "-" + newest));
        }
        int hl = bb.getInt();
        if (hl < 0 || hl > bb.remaining()) {
            throw new IOException(file + " has a header length of " + hl + " bytes, beyond the file");
        }
        JsonObject header;
        try {
            JsonElement e = JsonParser.parseString(new String(all, bb.position(), hl, StandardCharsets.UTF_8));
            header = e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file + " has an unreadable header: " + e.getMessage(), e);
        }
        bb.position(bb.position() + hl);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            JsonArray index = header.getAsJsonArray(indexKey);
            if (index == null) {
                throw new IOException(file + " has no '" + indexKey + "' index in its header");
            }
            for (JsonElement te : index) {
                JsonObject t = te.getAsJsonObject();
                String name = t.get("name").getAsString();
                JsonArray sa = t.getAsJsonArray("shape");
                int[] shape = new int[sa.size()];
                long n = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sa.get(i).getAsInt();
                    if (shape[i] < 0) {
                        throw new IOException(file + ": tensor '" + name + "' has a negative dimension " + shape[i]);
                    }
                    n = Math.multiplyExact(n, shape[i]);
                }
                if (n > bb.remaining() / 4) {
                    throw new IOException(file + " is truncated in tensor '" + name + "' ("
                            + Arrays.toString(shape) + " needs " + n * 4 + " bytes, " + bb.remaining() + " left)");
                }
                float[] data = new float[(int) n];
                bb.asFloatBuffer().get(data);
                bb.position(bb.position() + (int) n * 4);
                if (tensors.put(name, new Tensor(shape, data)) != null) {
                    throw new IOException(file + " lists tensor '" + name + "' twice");
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " has an invalid tensor index: " + e.getMessage(), e);
        }
        if (bb.remaining() != 0) {
            throw new IOException(file + " has " + bb.remaining() + " unexpected bytes after the tensors");
        }
        header.remove(indexKey);
        return new Contents(version, header, tensors);
    }

    private static void checkMagic(byte[] magic) {
        if (magic.length != 8) {
            throw new IllegalArgumentException("a tensor-file magic has 8 bytes, found " + magic.length);
        }
    }
}
