package ofa4j.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @TempDir Path tmp;

    @Test
    void readsPlainAndGzippedIdxAlike() throws IOException {
        Path plain = tmp.resolve("img-plain");
        Path gz = tmp.resolve("img.gz");
        Files.write(plain, IdxFiles.images(5, 4, 3));
        Files.write(gz, IdxFiles.gzip(IdxFiles.images(5, 4, 3)));
        Idx.Data a = Idx.read(plain, 3);
        Idx.Data b = Idx.read(gz, 3);
        assertArrayEquals(new int[] {5, 4, 3}, a.dims());
        assertArrayEquals(a.data(), b.data());
        assertEquals((byte) (7 * 13), a.data()[13]);
    }

    @Test
    void badMagicIsNamed() throws IOException {
        Path f = tmp.resolve("labels");
        Files.write(f, IdxFiles.labels(4));
        IOException e = assertThrows(IOException.class, () -> Idx.read(f, 3));
        assertTrue(e.getMessage().contains("bad magic 0x00000801"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void truncatedFileNamesTheByte() throws IOException {
        byte[] full = IdxFiles.images(3, 4, 4); // 16 header + 48 bytes
        Path f = tmp.resolve("trunc");
        Files.write(f, Arrays.copyOf(full, 40));
        IOException e = assertThrows(IOException.class, () -> Idx.read(f, 3));
        assertTrue(e.getMessage().contains("truncated at byte 40 (expected 64 bytes)"), e.getMessage());
        Path g = tmp.resolve("trunc.gz");
        Files.write(g, IdxFiles.gzip(Arrays.copyOf(full, 30)));
        IOException e2 = assertThrows(IOException.class, () -> Idx.read(g, 3));
        assertTrue(e2.getMessage().contains("truncated at byte 30"), e2.getMessage());
        byte[] gzFull = IdxFiles.gzip(full);
        Path cut = tmp.resolve("cut.gz");
        Files.write(cut, Arrays.copyOf(gzFull, gzFull.length - 10));
        IOException e4 = assertThrows(IOException.class, () -> Idx.read(cut, 3));
        assertTrue(e4.getMessage().contains(cut.toString()) && e4.getMessage().contains("gzip"), e4.getMessage());
        Path h = tmp.resolve("header-only");
        Files.write(h, Arrays.copyOf(full, 6));
        IOException e3 = assertThrows(IOException.class, () -> Idx.read(h, 3));
        assertTrue(e3.getMessage().contains("truncated at byte 6"), e3.getMessage());
    }

    @Test
    void hostileHeadersAreRefusedBeforeAnythingIsAllocated() throws IOException {
        // 2^22 x 2^21 x 2^21 images: the product wraps to 0 in 64-bit arithmetic done naively
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(16).putInt(0x0803).putInt(1 << 22).putInt(1 << 21)
                .putInt(1 << 21);
        Path big = tmp.resolve("huge-images");
        Files.write(big, h.array());
        IOException e = assertThrows(IOException.class, () -> Idx.read(big, 3));
        assertTrue(e.getMessage().contains(big + " declares sizes [4194304, 2097152]"), e.getMessage());
        // 16 bytes claiming 2e9 labels: reported as truncated, read piece by piece (no 2 GB array first)
        java.nio.ByteBuffer l = java.nio.ByteBuffer.allocate(16).putInt(0x0801).putInt(2_000_000_000).putLong(0);
        Path lies = tmp.resolve("lying-labels");
        Files.write(lies, l.array());
        IOException e2 = assertThrows(IOException.class, () -> Idx.read(lies, 1));
        assertTrue(e2.getMessage().contains("truncated at byte 16 (expected 2000000008 bytes)"), e2.getMessage());
    }

    @Test
    void countMismatchAndBadLabelAreRefused() throws IOException {
        Path im = tmp.resolve("im");
        Path lb = tmp.resolve("lb");
        Files.write(im, IdxFiles.images(5, 28, 28));
        Files.write(lb, IdxFiles.labels(4));
        IOException e = assertThrows(IOException.class, () -> FashionMnist.readPair(im, lb, "x"));
        assertTrue(e.getMessage().contains("count mismatch") && e.getMessage().contains("5 images")
                && e.getMessage().contains("4 labels"), e.getMessage());
        byte[] bad = IdxFiles.labels(5);
        bad[8 + 2] = 42;
        Files.write(lb, bad);
        IOException e2 = assertThrows(IOException.class, () -> FashionMnist.readPair(im, lb, "x"));
        assertTrue(e2.getMessage().contains("label 42 at item 2"), e2.getMessage());
    }

    @Test
    void trailingGarbageIsRefused() throws IOException {
        byte[] full = IdxFiles.labels(3);
        Path f = tmp.resolve("trailing");
        Files.write(f, Arrays.copyOf(full, full.length + 2));
        IOException e = assertThrows(IOException.class, () -> Idx.read(f, 1));
        assertTrue(e.getMessage().contains("trailing data"), e.getMessage());
    }

    @Test
    void explicitDirectoryMustHoldAllFiles() throws IOException {
        Path d = tmp.resolve("partial");
        IdxFiles.writeDataset(d, 10, 5);
        Files.delete(d.resolve(FashionMnist.TEST_LABELS));
        IOException e = assertThrows(IOException.class, () -> FashionMnist.locate(d, true));
        assertTrue(e.getMessage().contains(FashionMnist.TEST_LABELS), e.getMessage());
        Path ok = tmp.resolve("ok");
        IdxFiles.writeDataset(ok, 10, 5);
        assertEquals(ok, FashionMnist.locate(ok, true));
        FashionMnist.Sets sets = FashionMnist.read(ok);
        assertEquals(10, sets.train().size());
        assertEquals(5, sets.test().size());
        assertEquals(28, sets.train().height());
        assertEquals(7 / 255f, sets.train().pixels()[1], 1e-7);
    }

    @Test
    void readsTheSystemCopyWhenInstalled() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Debian dataset-fashion-mnist not installed");
        for (Map.Entry<String, String> e : FashionMnist.SHA256.entrySet()) {
            assertEquals(e.getValue(), ofa4j.models.Hashing.sha256Hex(FashionMnist.SYSTEM_DIR.resolve(e.getKey())), e.getKey());
        }
        FashionMnist.Sets s = FashionMnist.read(FashionMnist.SYSTEM_DIR);
        assertEquals(60_000, s.train().size());
        assertEquals(10_000, s.test().size());
        assertEquals(9, s.train().labels()[0]); // the first training image is an ankle boot
        assertEquals(9, s.test().labels()[0]);
    }

    @Test
    void aFailedDownloadSaysWhatItTriedWhyAndTheTwoWaysOut() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed below: nothing listens there any more
        }
        String url = "http://127.0.0.1:" + port;
        Path cache = tmp.resolve("cache");
        IOException e = assertThrows(IOException.class, () -> FashionMnist.downloadOrExplain(url, cache, true));
        String m = e.getMessage();
        assertTrue(m.contains("downloading it from " + url + " failed (ConnectException"), m);
        assertTrue(m.contains(FashionMnist.SYSTEM_DIR.toString()) && m.contains(cache.toString()), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("--data DIR"), m);
        try (Stream<Path> left = Files.list(cache)) {
            assertEquals(0, left.count(), "no partial file is left in the cache");
        }
    }

    // -------------------------------------------------------------- download from a loopback server

    private interface Body {
        void serve(String path, com.sun.net.httpserver.HttpExchange ex) throws IOException;
    }

    private static HttpServer server(Body body) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            try {
                body.serve(ex.getRequestURI().getPath(), ex);
            } finally {
                ex.close();
            }
        });
        s.start();
        return s;
    }

    private static void send(com.sun.net.httpserver.HttpExchange ex, int status, byte[] data) throws IOException {
        ex.sendResponseHeaders(status, data.length == 0 ? -1 : data.length);
        if (data.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(data);
            }
        }
    }

    private static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static String url(HttpServer s) {
        return "http://" + s.getAddress().getHostString() + ":" + s.getAddress().getPort() + "/fmnist/";
    }

    @Test
    void downloadsVerifiesAndReads() throws Exception {
        Path src = tmp.resolve("src");
        IdxFiles.writeDataset(src, 12, 6);
        Map<String, String> shas = new LinkedHashMap<>();
        for (String f : FashionMnist.SHA256.keySet()) {
            shas.put(f, sha(Files.readAllBytes(src.resolve(f))));
        }
        HttpServer s = server((path, ex) -> {
            Path f = src.resolve(path.substring(path.lastIndexOf('/') + 1));
            if (Files.isRegularFile(f)) {
                send(ex, 200, Files.readAllBytes(f));
            } else {
                send(ex, 404, new byte[0]);
            }
        });
        try {
            Path cache = tmp.resolve("cache");
            FashionMnist.download(url(s), cache, true, shas);
            FashionMnist.Sets sets = FashionMnist.read(cache);
            assertEquals(12, sets.train().size());
            assertEquals(6, sets.test().size());
            try (Stream<Path> st = Files.list(cache)) {
                assertEquals(4, st.count(), "only the four files, no temporaries");
            }
        } finally {
            s.stop(0);
        }
    }

    @Test
    void checksumMismatchLeavesNothingBehind() throws Exception {
        Path src = tmp.resolve("src2");
        IdxFiles.writeDataset(src, 4, 2);
        Map<String, String> shas = new LinkedHashMap<>();
        shas.put(FashionMnist.TRAIN_LABELS, "0".repeat(64));
        HttpServer s = server((path, ex) -> send(ex, 200, Files.readAllBytes(src.resolve(FashionMnist.TRAIN_LABELS))));
        try {
            Path cache = tmp.resolve("cache2");
            IOException e = assertThrows(IOException.class, () -> FashionMnist.download(url(s), cache, true, shas));
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
            assertTrue(e.getMessage().contains("0".repeat(64)), e.getMessage());
            assertTrue(e.getMessage().contains(sha(Files.readAllBytes(src.resolve(FashionMnist.TRAIN_LABELS)))));
            try (Stream<Path> st = Files.list(cache)) {
                assertEquals(0, st.count(), "the rejected file and its temporary are gone");
            }
        } finally {
            s.stop(0);
        }
    }

    @Test
    void httpErrorNamesStatusAndUrl() throws Exception {
        HttpServer s = server((path, ex) -> send(ex, 404, new byte[0]));
        try {
            Path cache = tmp.resolve("cache3");
            IOException e = assertThrows(
                    IOException.class, () -> FashionMnist.download(url(s), cache, true, FashionMnist.SHA256));
            assertTrue(e.getMessage().contains("HTTP status 404"), e.getMessage());
            assertTrue(e.getMessage().contains(url(s)), e.getMessage());
            try (Stream<Path> st = Files.list(cache)) {
                assertEquals(0, st.count());
            }
        } finally {
            s.stop(0);
        }
    }

    @Test
    void officialChecksumsAreComplete() {
        assertEquals(4, FashionMnist.SHA256.size());
        FashionMnist.SHA256.values().forEach(v -> assertEquals(64, v.length()));
        assertNotNull(FashionMnist.userCacheDir());
    }
}
