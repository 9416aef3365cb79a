package ofa4j.cli;

import com.google.gson.JsonArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.train.Checkpoint;
import ofa4j.supernet.train.CheckpointManifest;
import ofa4j.supernet.train.TrainingPreset;

/**
 * A trained run opened for the stages after training: the supernet of its newest checkpoint (checksums
 * verified) and the same data splits and input normalisation it was trained with.
 */
final class SupernetRun implements AutoCloseable {

    final Path dir;
    final Checkpoint.Loaded checkpoint;
    final CheckpointManifest manifest;
    final String checkpointSha;
    final Supernet net;
    final DataSplits data;
    final DataOptions.Source source;

    private SupernetRun(Path dir, Checkpoint.Loaded checkpoint, String sha, Supernet net, DataSplits data,
            DataOptions.Source source) {
        this.dir = dir;
        this.checkpoint = checkpoint;
        this.manifest = checkpoint.manifest();
        this.checkpointSha = sha;
        this.net = net;
        this.data = data;
        this.source = source;
    }

    /**
     * Opens a run directory written by {@code ofa train}. The data is the one training recorded
     * ({@value DataOptions#RECORD_FILE}: Fashion-MNIST, or an image folder with its channels and
     * size) unless {@code dataOptions} name other data; either way it must fit the stored space, and
     * for a named preset it must be the very data of training (same fingerprint).
     *
     * @param dir the run directory
     * @param dataOptions where the data comes from
     * @param quiet hide progress
     * @return the opened run (close it)
     * @throws IOException if the run has no valid checkpoint, the data cannot be read or is not the
     *     data the supernet was trained on
     * @throws IllegalArgumentException if the data's channels or classes do not fit the supernet
     */
    static SupernetRun open(Path dir, DataOptions dataOptions, boolean quiet) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.readLatest(dir);
        CheckpointManifest.Run m = loaded.manifest().run();
        TrainingPreset preset;
        boolean named = true;
        try {
            preset = TrainingPreset.named(m.preset());
        } catch (IllegalArgumentException e) {
            preset = TrainingPreset.full(); // custom schedules train on all images
            named = false;
        }
        // The same subsets as in training; the normalisation is the one the manifest recorded
        // (older manifests: recomputed from the same train subset, identical for named presets).
        DataOptions.Source recorded = DataOptions.Source.read(dir);
        SearchSpace space = m.space();
        DataOptions.Loaded ld = dataOptions.load(recorded, Collections.max(space.resolutions()), preset.trainImages(),
                preset.valImages(), DataOptions.testImages(preset.name()), quiet);
        DataSplits data = ld.splits();
        ImageSet train = data.train();
        String trainedOn = recorded != null ? "trained on " + recorded.describe() : "trained on Fashion-MNIST";
        if (train.channels() != space.inChannels() || train.numClasses() != space.numClasses()) {
            throw new IllegalArgumentException("supernet " + dir + " takes " + space.inChannels() + "-channel images of "
                    + space.numClasses() + " classes (" + trainedOn + "), but the data is " + ld.source().describe()
                    + "; give the --data it was trained on");
        }
        // Subsets of custom presets are not recorded, so only named presets can be checked exactly.
        if (named && m.dataFingerprint() != null && !m.dataFingerprint().equals(data.fingerprint())) {
            throw new IOException("supernet " + dir + " was " + trainedOn + " (fingerprint " + m.dataFingerprint()
                    + "), not on " + ld.source().describe() + " (fingerprint " + data.fingerprint()
                    + "); give the same --data, --channels and --image-size as in training");
        }
        if (m.inputNormalisation() != null) {
            data = new DataSplits(data.train(), data.val(), data.test(), m.inputNormalisation().mean(),
                    m.inputNormalisation().std());
        }
        Supernet net = Checkpoint.loadSupernet(dir);
        return new SupernetRun(dir, loaded, loaded.manifest().files().params().sha256(), net, data, ld.source());
    }

    /**
     * Extracts {@code arch} with BN recalibrated on training images, tagged with provenance metadata.
     *
     * @param arch the subnet
     * @param images calibration images (OFA: 2000)
     * @param seed picks the images
     * @return the standalone subnet
     */
    Subnet calibrated(ArchConfig arch, int images, long seed) {
        Subnet s = net.extractCalibrated(arch, data.train(), images, data.mean(), data.std(), seed);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Subnet.INPUT_MEAN_KEY, join(data.mean()));
        meta.put(Subnet.INPUT_STD_KEY, join(data.std()));
        meta.put("ofa4j.checkpoint_sha256", checkpointSha);
        meta.put("ofa4j.preset", manifest.run().preset());
        meta.put("ofa4j.seed", Long.toString(manifest.run().seed()));
        meta.put("ofa4j.bn_calibration_images", Integer.toString(images));
        meta.put("ofa4j.data", source.kind());
        JsonArray names = new JsonArray();
        source.classNames().forEach(names::add);
        meta.put("ofa4j.class_names", names.toString());
        return s.withMetadata(meta);
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (float x : v) {
            sb.append(sb.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", x));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        net.close();
    }
}
