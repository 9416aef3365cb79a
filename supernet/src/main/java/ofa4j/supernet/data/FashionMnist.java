package ofa4j.supernet.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import ofa4j.models.Hashing;

/**
 * Finds, downloads and reads Fashion-MNIST (Xiao, Rasul, Vollgraf 2017: 60,000 training and 10,000
 * test images, 28x28 grey, 10 classes) from its four IDX files.
 *
 * <p>Search order ({@link #locate(Path, boolean)}): an explicit directory (the {@code --data}
 * option), the environment variable {@code OFA_DATA}, {@code /usr/share/datasets/fashion-mnist}
 * (Debian package {@code dataset-fashion-mnist}), then the user cache {@code
 * ~/.cache/ofa4j/fashion-mnist}. When no location holds all four files they are downloaded into the
 * cache from {@link #OFFICIAL_BASE_URL}, each verified against its known SHA-256 ({@link #SHA256})
 * before it is renamed into place.
 */
public final class FashionMnist {

    /** Where Zalando publishes the files. */
    public static final String OFFICIAL_BASE_URL = "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com";

    /** Debian's copy of the official files. */
    public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Environment variable naming a directory with the four files. */
    public static final String ENV_VAR = "OFA_DATA";

    /** Training images file name (gzipped). */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    /** Training labels file name (gzipped). */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    /** Test images file name (gzipped). */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    /** Test labels file name (gzipped). */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    /**
     * SHA-256 of the four official gz files, computed from Debian's copies (which are byte-identical
     * to Zalando's release).
     */
    public static final Map<String, String> SHA256 = shaTable();

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    private static Map<String, String> shaTable() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(TRAIN_IMAGES, "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7");
        m.put(TRAIN_LABELS, "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056");
        m.put(TEST_IMAGES, "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa");
        m.put(TEST_LABELS, "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05");
        return Map.copyOf(m);
    }

    private static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

    /**
     * The training and test sets.
     *
     * @param train the 60,000 training images
     * @param test the 10,000 test images
     * @param directory where they were read from
     */
    public record Sets(ImageSet train, ImageSet test, Path directory) {}

    /**
     * Training and test images as the IDX files' bytes ({@link ByteImageSet}): splits are cut from
     * them without holding all 60,000 training images as floats.
     *
     * @param train the 60,000 training images
     * @param test the 10,000 test images
     * @param directory where they were read from
     */
    public record RawSets(ByteImageSet train, ByteImageSet test, Path directory) {}

    private FashionMnist() {}

    /** @return the user cache directory, {@code ~/.cache/ofa4j/fashion-mnist} */
    public static Path userCacheDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "ofa4j", "fashion-mnist");
    }

    /**
     * Loads Fashion-MNIST from the first location that has it, downloading into the user cache
     * from the official site when none has.
     *
     * @param explicitDir the {@code --data} directory, or null
     * @param quiet true to hide the download progress bar
     * @return training and test sets
     * @throws IOException if an explicit directory lacks a file, a file is corrupt, or the download
     *     fails
     */
    public static Sets load(Path explicitDir, boolean quiet) throws IOException {
        RawSets raw = loadRaw(explicitDir, quiet);
        return new Sets(raw.train().all(), raw.test().all(), raw.directory());
    }

    /**
     * Finds (or downloads) the data as {@link #load} does, keeping the pixels as bytes.
     *
     * @param explicitDir a directory given by the user, or null
     * @param quiet true to hide the download progress bar
     * @return training and test sets as bytes
     * @throws IOException as {@link #load}
     */
    public static RawSets loadRaw(Path explicitDir, boolean quiet) throws IOException {
        Path dir = locate(explicitDir, false);
        if (dir == null) {
            dir = downloadOrExplain(OFFICIAL_BASE_URL, userCacheDir(), quiet);
        }
        return readRaw(dir);
    }

    /**
     * Downloads the files, or fails with one message that says where we looked, what was tried,
     * why it failed and the two ways out.
     *
     * @param baseUrl where to download from
     * @param cache the directory to download into
     * @param quiet true to hide the progress bar
     * @return {@code cache}
     * @throws IOException with that message, the download's failure as its cause
     */
    static Path downloadOrExplain(String baseUrl, Path cache, boolean quiet) throws IOException {
        try {
            return download(baseUrl, cache, quiet);
        } catch (IOException e) {
            String why = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw new IOException("Fashion-MNIST was not found (looked in $" + ENV_VAR + ", " + SYSTEM_DIR + " and "
                    + cache + ") and downloading it from " + baseUrl + " failed (" + why + "). Either install"
                    + " Debian's package (apt-get install dataset-fashion-mnist, which fills " + SYSTEM_DIR
                    + "), or pass --data DIR: a directory with the four files " + FILES
                    + " or a folder of images with one sub-folder per class.", e);
        }
    }

    /**
     * Finds a directory holding all four files (gzipped or not) in the documented search order.
     *
     * @param explicitDir the {@code --data} directory, or null; when given it must hold the files
     * @param skipSystem true to ignore the system and cache locations (for tests)
     * @return the directory, or null when no location has all four files
     * @throws IOException if {@code explicitDir} is given but lacks a file (the missing ones are
     *     named)
     */
    public static Path locate(Path explicitDir, boolean skipSystem) throws IOException {
        if (explicitDir != null) {
            List<String> missing = missing(explicitDir);
            if (!missing.isEmpty()) {
                throw new IOException(
                        "data directory " + explicitDir + " lacks the Fashion-MNIST files " + missing
                                + " (gzipped or not)");
            }
            return explicitDir;
        }
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv(ENV_VAR);
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        if (!skipSystem) {
            candidates.add(SYSTEM_DIR);
            candidates.add(userCacheDir());
        }
        for (Path c : candidates) {
            if (Files.isDirectory(c) && missing(c).isEmpty()) {
                return c;
            }
        }
        return null;
    }

    private static List<String> missing(Path dir) {
        List<String> out = new ArrayList<>();
        for (String f : FILES) {
            if (resolve(dir, f) == null) {
                out.add(f);
            }
        }
        return out;
    }

    /** The gz name or the name without {@code .gz}, whichever exists. */
    private static Path resolve(Path dir, String gzName) {
        Path gz = dir.resolve(gzName);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(gzName.substring(0, gzName.length() - 3));
        return Files.isRegularFile(plain) ? plain : null;
    }

    /**
     * Reads the four IDX files of a directory.
     *
     * @param dir the directory
     * @return training and test sets, pixels scaled to [0, 1]
     * @throws IOException naming the file and what is wrong (missing, bad magic, count mismatch,
     *     truncated)
     */
    public static Sets read(Path dir) throws IOException {
        RawSets raw = readRaw(dir);
        return new Sets(raw.train().all(), raw.test().all(), dir);
    }

    /**
     * Reads the four IDX files of a directory, keeping the pixels as bytes.
     *
     * @param dir the directory
     * @return training and test sets as bytes
     * @throws IOException as {@link #read}
     */
    public static RawSets readRaw(Path dir) throws IOException {
        List<String> miss = missing(dir);
        if (!miss.isEmpty()) {
            throw new IOException("directory " + dir + " lacks the Fashion-MNIST files " + miss);
        }
        ByteImageSet train = readRawPair(resolve(dir, TRAIN_IMAGES), resolve(dir, TRAIN_LABELS), "fashion-mnist/train");
        ByteImageSet test = readRawPair(resolve(dir, TEST_IMAGES), resolve(dir, TEST_LABELS), "fashion-mnist/test");
        return new RawSets(train, test, dir);
    }

    /**
     * Reads one images file and its labels file into an image set.
     *
     * @param images IDX file of dimensions [n, h, w]
     * @param labels IDX file of dimension [n], values in [0, 10)
     * @param name name of the set
     * @return the set, pixels scaled to [0, 1]
     * @throws IOException naming the file and the problem (bad magic, count mismatch, bad label,
     *     truncated at byte N)
     */
    public static ImageSet readPair(Path images, Path labels, String name) throws IOException {
        return readRawPair(images, labels, name).all();
    }

    /**
     * Reads one images file and its labels file, keeping the pixels as bytes.
     *
     * @param images IDX file of dimensions [n, h, w]
     * @param labels IDX file of dimension [n], values in [0, 10)
     * @param name name of the set
     * @return the set
     * @throws IOException as {@link #readPair}
     */
    public static ByteImageSet readRawPair(Path images, Path labels, String name) throws IOException {
        Idx.Data im = Idx.read(images, 3);
        Idx.Data lb = Idx.read(labels, 1);
        if (im.count() != lb.count()) {
            throw new IOException(
                    "count mismatch: " + images + " holds " + im.count() + " images but " + labels + " holds "
                            + lb.count() + " labels");
        }
        int n = im.count();
        int h = im.dims()[1];
        int w = im.dims()[2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb.data()[i] & 0xff;
            if (y[i] >= NUM_CLASSES) {
                throw new IOException(
                        "labels file " + labels + " has label " + y[i] + " at item " + i + ", allowed [0, "
                                + NUM_CLASSES + ")");
            }
        }
        return new ByteImageSet(name, h, w, im.data(), y, NUM_CLASSES);
    }

    /**
     * Downloads the four gz files from {@code baseUrl} into {@code dir}, each streamed to a
     * temporary file, checked against {@link #SHA256} and only then renamed into place. Files that
     * already exist with the right checksum are kept.
     *
     * @param baseUrl the base URL ({@link #OFFICIAL_BASE_URL}; tests use a loopback server)
     * @param dir destination directory (created)
     * @param quiet true to hide the progress bar
     * @return {@code dir}
     * @throws IOException on an HTTP error (status and URL named), a checksum mismatch (file name,
     *     expected and actual digest named; nothing is left behind) or an I/O failure
     */
    public static Path download(String baseUrl, Path dir, boolean quiet) throws IOException {
        return download(baseUrl, dir, quiet, SHA256);
    }

    /**
     * Like {@link #download(String, Path, boolean)} with another checksum table (for tests).
     *
     * @param baseUrl the base URL
     * @param dir destination directory
     * @param quiet true to hide the progress bar
     * @param expected file name -> SHA-256 hex of each file to fetch
     * @return {@code dir}
     * @throws IOException as {@link #download(String, Path, boolean)}
     */
    public static Path download(String baseUrl, Path dir, boolean quiet, Map<String, String> expected)
            throws IOException {
        Files.createDirectories(dir);
        HttpClient client =
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .connectTimeout(Duration.ofSeconds(30))
                        .build();
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path target = dir.resolve(e.getKey());
            if (Files.isRegularFile(target) && Hashing.sha256Hex(target).equals(e.getValue())) {
                continue;
            }
            fetchOne(client, base + "/" + e.getKey(), target, e.getValue(), quiet);
        }
        return dir;
    }

    private static void fetchOne(HttpClient client, String url, Path target, String sha, boolean quiet)
            throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IOException("download of " + url + " was interrupted", ie);
        }
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        try (InputStream body = resp.body()) {
            if (resp.statusCode() != 200) {
                throw new IOException("download of " + url + " failed: HTTP status " + resp.statusCode());
            }
            long length = resp.headers().firstValueAsLong("content-length").orElse(-1);
            MessageDigest md = Hashing.sha256();
            ProgressBar bar = quiet ? null : bar(target.getFileName().toString(), length);
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = body.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    md.update(buf, 0, n);
                    total += n;
                    if (bar != null) {
                        bar.stepTo(total);
                    }
                }
            } finally {
                if (bar != null) {
                    bar.close();
                }
            }
            String actual = Hashing.hex(md.digest());
            if (!actual.equals(sha)) {
                throw new IOException(
                        "checksum mismatch for " + url + ": expected SHA-256 " + sha + ", got " + actual
                                + "; the file was discarded");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException ex) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static ProgressBar bar(String name, long length) {
        return ofa4j.supernet.Progress.bar("download " + name.replace("-ubyte.gz", "").replace("-idx1", "")
                .replace("-idx3", ""), length > 0 ? length : -1, "KiB", 1024, true, null);
    }
}
