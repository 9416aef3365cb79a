package ofa4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import picocli.CommandLine.Option;

/** Where the data comes from (a picocli mixin): Fashion-MNIST from {@code --data}, {@code $OFA_DATA}, Debian's package, the cache, or a download. */
public final class DataOptions {

    @Option(names = "--data", description = "Directory with the Fashion-MNIST IDX files (default: $OFA_DATA, "
            + "/usr/share/datasets/fashion-mnist, ~/.cache/ofa4j, else downloaded with checksums).")
    Path data;

    /**
     * Loads the train/validation/test splits (validation carved from train with a fixed seed).
     *
     * @param trainImages train images kept (0 = all)
     * @param valImages validation images kept (0 = all)
     * @param quiet hide download progress
     * @return the splits
     * @throws IOException when files are missing or corrupt (the message names the file)
     */
    DataSplits load(int trainImages, int valImages, boolean quiet) throws IOException {
        return DataSplits.fashionMnist(FashionMnist.load(data, quiet), trainImages, valImages);
    }
}
