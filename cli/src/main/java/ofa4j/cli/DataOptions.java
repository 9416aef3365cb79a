package ofa4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import ofa4j.models.JsonFiles;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import ofa4j.supernet.data.ImageFolder;
import ofa4j.supernet.data.ImageSet;
import picocli.CommandLine.Option;

/**
 * Where the data comes from (a picocli mixin): Fashion-MNIST from {@code --data}, {@code $OFA_DATA},
 * Debian's package, the cache, or a download; or a user's image folder given as {@code --data DIR}
 * (one sub-folder per class). Training records the source in the run directory ({@value
 * #RECORD_FILE}) so that every later stage reloads the same images the same way, with or without
 * {@code --data}.
 */
public final class DataOptions {

    /** File of a supernet run directory recording where its data came from. */
    static final String RECORD_FILE = "data.json";

    /**
     * Share of an image folder's images carved out for validation, and the same share again for
     * test (at least one image each): a user's folder has no separate test set.
     */
    static final double FOLDER_HOLDOUT = 0.10;

    /**
     * Largest {@code --image-size}: every image is held in memory as floats, and 512 x 512 x 3
     * floats are already 3 MB per image.
     */
    static final int MAX_IMAGE_SIZE = 512;

    @Option(names = "--data", paramLabel = "DIR", description = "Directory with the Fashion-MNIST IDX files (default: $OFA_DATA, "
            + "/usr/share/datasets/fashion-mnist, ~/.cache/ofa4j, else downloaded with checksums), or an image folder:"
            + " one sub-folder of PNG/JPEG images per class (10%% each carved out for validation and test)."
            + " Stages after training reload the data the run was trained on when it is not given.")
    Path data;

    @Option(names = "--channels", paramLabel = "C", description = "Image folders: 1 (grey) or 3 (RGB) (default: 3 if any"
            + " image is stored in colour, else 1; after training: as in training).")
    Integer channels;

    @Option(names = "--image-size", paramLabel = "PX", description = "Image folders: images are resized to PX x PX"
            + " (default: the space's largest resolution, 28 for fmnist; after training: as in training).")
    Integer imageSize;

    /**
     * Where a run's data came from, as recorded in {@value #RECORD_FILE}.
     *
     * @param kind {@link #FASHION_MNIST} or {@link #IMAGE_FOLDER}
     * @param dir the directory read (absolute)
     * @param channels image channels
     * @param imageSize image height = width, px
     * @param classNames class names, index = label
     */
    record Source(String kind, Path dir, int channels, int imageSize, List<String> classNames) {

        /** Kind of the built-in data set. */
        static final String FASHION_MNIST = "fashion-mnist";

        /** Kind of a user's image folder. */
        static final String IMAGE_FOLDER = "image-folder";

        /** Copies the list. */
        Source {
            classNames = List.copyOf(classNames);
        }

        /** @return true for a user's image folder */
        boolean isFolder() {
            return IMAGE_FOLDER.equals(kind);
        }

        /** @return e.g. {@code image folder /data/pets: 3 classes, 3x28x28} */
        String describe() {
            return (isFolder() ? "image folder " : "Fashion-MNIST in ") + dir + ": " + classNames.size() + " classes, "
                    + channels + "x" + imageSize + "x" + imageSize;
        }

        /**
         * Writes {@value #RECORD_FILE} into a run directory (atomically).
         *
         * @param runDir the supernet run directory
         * @throws IOException if writing fails
         */
        void write(Path runDir) throws IOException {
            String split = isFolder() ? "seeded permutation (seed " + DataSplits.DEFAULT_SPLIT_SEED + "): "
                    + (int) Math.round(100 * FOLDER_HOLDOUT) + "% test, " + (int) Math.round(100 * FOLDER_HOLDOUT)
                    + "% validation, rest train" : null;
            JsonFiles.write(runDir.resolve(RECORD_FILE),
                    new Record(1, kind, dir.toString(), channels, imageSize, classNames, split));
        }

        /**
         * Reads the record of a run directory.
         *
         * @param runDir the supernet run directory
         * @return the source, or null when the run has no record (runs trained on Fashion-MNIST before
         *     it was written)
         * @throws IOException naming the file if it is unreadable or of another format version
         */
        static Source read(Path runDir) throws IOException {
            Path f = runDir.resolve(RECORD_FILE);
            if (!Files.isRegularFile(f)) {
                return null;
            }
            Record r = JsonFiles.read(f, Record.class);
            return new Source(r.kind(), Path.of(r.dir()), r.channels(), r.imageSize(), r.classNames());
        }
    }

    /**
     * The file {@value #RECORD_FILE}: where a run's data came from.
     *
     * @param formatVersion format version (1)
     * @param kind {@code fashion-mnist} or {@code image-folder}
     * @param dir the directory read
     * @param channels image channels
     * @param imageSize image side in pixels
     * @param classNames class names by label
     * @param split how an image folder was split (absent for Fashion-MNIST)
     */
    record Record(int formatVersion, String kind, String dir, int channels, int imageSize, List<String> classNames,
            String split) {
        Record {
            JsonFiles.checkVersion("data record", formatVersion, 1, 1);
            if (!List.of(Source.FASHION_MNIST, Source.IMAGE_FOLDER).contains(JsonFiles.required(kind, "kind"))) {
                throw new IllegalArgumentException("'kind' must be fashion-mnist or image-folder, found '" + kind + "'");
            }
            JsonFiles.required(dir, "dir");
            JsonFiles.required(classNames, "class_names");
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("'channels' must be 1 or 3, found " + channels);
            }
            if (imageSize < 1 || imageSize > MAX_IMAGE_SIZE) {
                throw new IllegalArgumentException("'image_size' must be in [1, " + MAX_IMAGE_SIZE + "], found " + imageSize);
            }
        }
    }

    /**
     * Loaded data and where it came from.
     *
     * @param splits train/validation/test
     * @param source what was read
     */
    record Loaded(DataSplits splits, Source source) {}

    /**
     * Loads the train/validation/test splits. Fashion-MNIST: validation carved from train with a
     * fixed seed. An image folder (a {@code --data} directory without the IDX files but with
     * sub-folders, or the folder {@code recorded} names when {@code --data} is not given): 10% of
     * the images for test and 10% for validation (at least 1 each), carved with the fixed seed
     * {@link DataSplits#DEFAULT_SPLIT_SEED}; channels and size from the options, else from {@code
     * recorded}, else detected / {@code defaultImageSize}. Subsets are then kept as for
     * Fashion-MNIST and the normalisation is computed on the final train split.
     *
     * @param recorded the source recorded by training, or null (fresh training, older runs)
     * @param defaultImageSize image size of a folder when neither the options nor {@code recorded}
     *     give one (the space's largest resolution)
     * @param trainImages train images kept (0 = all)
     * @param valImages validation images kept (0 = all)
     * @param testImages test images kept (0 = all)
     * @param quiet hide download progress
     * @return the splits and their source
     * @throws IOException when files are missing or corrupt (the message names the file or folder)
     * @throws IllegalArgumentException naming a bad {@code --channels} / {@code --image-size}, or
     *     a folder too small to split
     */
    Loaded load(Source recorded, int defaultImageSize, int trainImages, int valImages, int testImages, boolean quiet)
            throws IOException {
        if (channels != null && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("--channels must be 1 (grey) or 3 (RGB), found " + channels);
        }
        if (imageSize != null && (imageSize < 1 || imageSize > MAX_IMAGE_SIZE)) {
            throw new IllegalArgumentException("--image-size must be in [1, " + MAX_IMAGE_SIZE + "] px, found " + imageSize);
        }
        boolean fromRecord = recorded != null && recorded.isFolder();
        Path folder = data != null ? (isImageFolder(data) ? data : null) : fromRecord ? recorded.dir() : null;
        if (folder == null) {
            if (channels != null || imageSize != null) {
                throw new IllegalArgumentException("--channels and --image-size apply to image folders only; "
                        + "Fashion-MNIST images are 1x28x28, found --channels " + channels + ", --image-size " + imageSize);
            }
            FashionMnist.RawSets sets = FashionMnist.loadRaw(data, quiet);
            DataSplits splits = DataSplits.carve(sets.train(), sets.test(), DataSplits.DEFAULT_VAL_SIZE,
                    DataSplits.DEFAULT_SPLIT_SEED, trainImages, valImages, testImages);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < FashionMnist.NUM_CLASSES; i++) {
                names.add(Integer.toString(i));
            }
            Source s = new Source(Source.FASHION_MNIST, sets.directory().toAbsolutePath().normalize(), 1,
                    sets.train().height(), names);
            return new Loaded(splits, s);
        }
        int c = channels != null ? channels : fromRecord ? recorded.channels() : ImageFolder.detectChannels(folder);
        int size = imageSize != null ? imageSize : fromRecord ? recorded.imageSize() : defaultImageSize;
        ImageFolder.Loaded l = ImageFolder.load(folder, c, size);
        DataSplits splits = carveFolder(l.images(), trainImages, valImages, testImages);
        return new Loaded(splits, new Source(Source.IMAGE_FOLDER, folder.toAbsolutePath().normalize(), c, size,
                l.classNames()));
    }

    /**
     * Splits one image folder: {@link #FOLDER_HOLDOUT} of the images (at least 1) for test, as many
     * for validation, the rest train (fixed seed), then keeps the first {@code trainImages} /
     * {@code valImages} / {@code testImages} of each split (0 = all), as {@link DataSplits#carve}
     * does; mean and std come from the final train split.
     *
     * @param all the folder's images
     * @param trainImages train images kept (0 = all)
     * @param valImages validation images kept (0 = all)
     * @param testImages test images kept (0 = all)
     * @return the splits
     * @throws IllegalArgumentException if the folder is too small to leave train images
     */
    static DataSplits carveFolder(ImageSet all, int trainImages, int valImages, int testImages) {
        int holdout = Math.max(1, (int) (all.size() * FOLDER_HOLDOUT));
        DataSplits d = DataSplits.carveAll(all, holdout, holdout, DataSplits.DEFAULT_SPLIT_SEED);
        ImageSet train = head(d.train(), trainImages);
        if (train == d.train()) {
            return new DataSplits(train, head(d.val(), valImages), head(d.test(), testImages), d.mean(), d.std());
        }
        float[] mean = train.channelMean();
        return new DataSplits(train, head(d.val(), valImages), head(d.test(), testImages), mean, train.channelStd(mean));
    }

    private static ImageSet head(ImageSet s, int n) {
        return n > 0 && n < s.size() ? s.head(n) : s;
    }

    /**
     * Tells an image folder from a Fashion-MNIST directory: no IDX file, but sub-folders.
     *
     * @param dir the {@code --data} directory
     * @return true for an image folder, false for a (possibly incomplete) Fashion-MNIST directory
     * @throws IOException if {@code dir} is missing or holds neither
     */
    static boolean isImageFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("data directory " + dir + " does not exist or is not a directory");
        }
        List<String> idx = List.of(FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, FashionMnist.TEST_IMAGES,
                FashionMnist.TEST_LABELS);
        for (String gz : idx) {
            if (Files.exists(dir.resolve(gz)) || Files.exists(dir.resolve(gz.substring(0, gz.length() - 3)))) {
                return false;
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.anyMatch(Files::isDirectory)) {
                return true;
            }
        }
        throw new IOException("data directory " + dir + " holds neither the Fashion-MNIST files " + idx
                + " (gzipped or not) nor class sub-folders of images");
    }

    /**
     * Test images reported by a preset: all of them, except for the smoke preset (1,000), whose
     * purpose is a fast end-to-end check.
     *
     * @param preset preset name
     * @return test images kept, 0 = all
     */
    static int testImages(String preset) {
        return "smoke".equals(preset) ? 1_000 : 0;
    }
}
