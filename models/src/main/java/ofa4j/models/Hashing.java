package ofa4j.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests, the identity of data sets, checkpoints, exports and requests. */
public final class Hashing {

    private Hashing() {}

    /** @return a new SHA-256 digest (every JVM has one) */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * @param file a file, read in 64 KiB pieces
     * @return its SHA-256, 64 lower-case hex digits
     * @throws IOException if unreadable
     */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return hex(md.digest());
    }

    /**
     * @param bytes some bytes
     * @return their SHA-256 in hex
     */
    public static String sha256Hex(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }

    /**
     * @param text some text, hashed as UTF-8
     * @return its SHA-256 in hex
     */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param digest a digest
     * @return lower-case hex
     */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
