package ofa4j.supernet.data;

import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads a user's image data set laid out as one sub-folder per class ({@code root/cat/1.png},
 * {@code root/dog/7.jpg}, ...). Classes are the sub-folder names sorted by name (class index =
 * position); images are PNG or JPEG read with {@code javax.imageio}, converted to grey (1 channel)
 * or RGB (3 channels) and resized (bilinear) to {@code size x size}. {@link #detectChannels} picks
 * the channel count of a folder from its files' headers.
 */
public final class ImageFolder {

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    private ImageFolder() {}

    /**
     * A loaded folder.
     *
     * @param images the images, in class order then file-name order
     * @param classNames class names, index = label
     */
    public record Loaded(ImageSet images, List<String> classNames) {
        /** Copies the list. */
        public Loaded {
            classNames = List.copyOf(classNames);
        }
    }

    /**
     * Loads every PNG/JPEG below {@code root}'s class folders.
     *
     * @param root the folder holding one sub-folder per class
     * @param channels 1 for grey, 3 for RGB
     * @param size output height = width in pixels
     * @return the images and class names
     * @throws IOException if the root is missing, has fewer than 2 class folders, a class folder has
     *     no image, or an image cannot be decoded (its path is named)
     * @throws IllegalArgumentException if {@code channels} is not 1 or 3 or {@code size < 1}
     */
    public static Loaded load(Path root, int channels, int size) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), found " + channels);
        }
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, found " + size);
        }
        List<Path> classDirs = classDirs(root);
        List<String> names = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            Path dir = classDirs.get(c);
            names.add(dir.getFileName().toString());
            List<Path> files = imageFiles(dir);
            for (Path f : files) {
                pixels.add(readImage(f, channels, size));
                labels.add(c);
            }
        }
        int per = channels * size * size;
        float[] all = new float[pixels.size() * per];
        for (int i = 0; i < pixels.size(); i++) {
            System.arraycopy(pixels.get(i), 0, all, i * per, per);
        }
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        ImageSet set = new ImageSet(root.getFileName() + "", channels, size, size, all, y, names.size());
        return new Loaded(set, names);
    }

    /**
     * Chooses the channel count of a folder without decoding pixels: 3 if any image is stored in
     * colour (RGB, palette or CMYK, read from the file header), 1 if every image is stored grey.
     * Stops at the first colour image.
     *
     * @param root the folder holding one sub-folder per class
     * @return 1 or 3
     * @throws IOException for the same folder problems as {@link #load}, or a file that is not a
     *     readable PNG or JPEG (its path is named)
     */
    public static int detectChannels(Path root) throws IOException {
        for (Path dir : classDirs(root)) {
            for (Path f : imageFiles(dir)) {
                if (isStoredInColour(f)) {
                    return 3;
                }
            }
        }
        return 1;
    }

    /** The class folders of {@code root}, sorted by name (at least 2). */
    private static List<Path> classDirs(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist or is not a directory");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classDirs.size() < 2) {
            throw new IOException(
                    "image folder " + root + " must hold at least 2 class sub-folders, found " + classDirs.size());
        }
        return classDirs;
    }

    /** The PNG/JPEG files of one class folder, sorted by name (at least 1). */
    private static List<Path> imageFiles(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> Files.isRegularFile(p) && isImage(p)).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException("class folder " + dir + " holds no PNG or JPEG image (extensions " + EXTENSIONS + ")");
        }
        return files;
    }

    /** Reads only the header: is the image stored with a colour (non-grey) colour space? */
    private static boolean isStoredInColour(Path f) throws IOException {
        return withReader(f, reader -> {
            ImageTypeSpecifier type = reader.getRawImageType(0);
            if (type == null) { // e.g. CMYK JPEGs: no raw type, but never grey
                return true;
            }
            return type.getColorModel().getColorSpace().getType() != ColorSpace.TYPE_GRAY;
        });
    }

    /** Work on an image reader positioned on a file's first image. */
    @FunctionalInterface
    private interface ReaderWork<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** An image whose header declares more pixels than {@link #MAX_PIXELS}: reported as it is. */
    private static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /**
     * Opens a PNG/JPEG reader on {@code f}, runs {@code work} and disposes of the reader; any other
     * failure, and a decoder's warning about damaged data, becomes one "cannot decode image" message
     * naming the file.
     */
    private static <T> T withReader(Path f, ReaderWork<T> work) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException("cannot decode image " + f + ": not a readable PNG or JPEG");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            // a decoder warns, and goes on with made-up pixels, where the data is damaged (a JPEG cut
            // short: "Premature end of JPEG file"): such an image is refused like one that fails
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, true, true);
                T result = work.apply(reader);
                if (!warnings.isEmpty()) {
                    throw new IOException("damaged image data (" + warnings.get(0) + ")");
                }
                return result;
            } catch (TooLarge e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new IOException("cannot decode image " + f + ": " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    /**
     * Most pixels an image may declare (width x height) before it is decoded: a 46,000 x 46,000
     * PNG of a few KB would otherwise exhaust the heap. Raise it with {@code -Dofa.maxImagePixels=N}
     * (for {@code ./ofa}: {@code OFA_JAVA_OPTS}).
     */
    static final long MAX_PIXELS = Long.getLong("ofa.maxImagePixels", 40_000_000L);

    private static float[] readImage(Path f, int channels, int size) throws IOException {
        BufferedImage img = withReader(f, reader -> {
            long w = reader.getWidth(0);
            long h = reader.getHeight(0);
            if (w * h > MAX_PIXELS) { // read from the header: nothing decoded yet
                throw new TooLarge("image " + f + " declares " + w + " x " + h + " pixels, more than the " + MAX_PIXELS
                        + " allowed (raise with -Dofa.maxImagePixels=N in OFA_JAVA_OPTS)");
            }
            return reader.read(0); // never null: a reader throws instead
        });
        BufferedImage scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, 0, 0, size, size, null);
        } finally {
            g.dispose();
        }
        float[] out = new float[channels * size * size];
        int hw = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = scaled.getRGB(x, y);
                float r = ((rgb >> 16) & 0xff) / 255f;
                float gr = ((rgb >> 8) & 0xff) / 255f;
                float b = (rgb & 0xff) / 255f;
                int p = y * size + x;
                if (channels == 1) {
                    // ITU-R BT.601 luma, as PIL's convert("L").
                    out[p] = 0.299f * r + 0.587f * gr + 0.114f * b;
                } else {
                    out[p] = r;
                    out[hw + p] = gr;
                    out[2 * hw + p] = b;
                }
            }
        }
        return out;
    }
}
