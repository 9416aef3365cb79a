package ofa4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.train.Checkpoint;
import ofa4j.supernet.train.TrainingPreset;

/**
 * A trained run opened for the stages after training: the supernet of its newest checkpoint (checksums
 * verified) and the same data splits and input normalisation it was trained with.
 */
final class SupernetRun implements AutoCloseable {

    final Path dir;
    final Checkpoint.Manifest manifest;
    final String checkpointSha;
    final Supernet net;
    final DataSplits data;

    private SupernetRun(Path dir, Checkpoint.Manifest manifest, String sha, Supernet net, DataSplits data) {
        this.dir = dir;
        this.manifest = manifest;
        this.checkpointSha = sha;
        this.net = net;
        this.data = data;
    }

    /**
     * Opens a run directory written by {@code ofa train}.
     *
     * @param dir the run directory
     * @param dataOptions where the data comes from
     * @param quiet hide progress
     * @return the opened run (close it)
     * @throws IOException if the run has no valid checkpoint or the data cannot be read
     */
    static SupernetRun open(Path dir, DataOptions dataOptions, boolean quiet) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.readLatest(dir);
        Checkpoint.Manifest m = loaded.manifest();
        TrainingPreset preset;
        try {
            preset = TrainingPreset.named(m.preset());
        } catch (IllegalArgumentException e) {
            preset = TrainingPreset.full(); // custom schedules train on all images
        }
        // The same subsets as in training; the normalisation is the one the manifest recorded
        // (older manifests: recomputed from the same train subset, identical for named presets).
        DataSplits data = dataOptions.load(preset.trainImages(), preset.valImages(), DataOptions.testImages(preset.name()), quiet);
        if (m.inputMean() != null && m.inputStd() != null) {
            data = new DataSplits(data.train(), data.val(), data.test(), m.inputMean(), m.inputStd());
        }
        Supernet net = Checkpoint.loadSupernet(dir);
        return new SupernetRun(dir, m, m.paramsSha(), net, data);
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
        meta.put("ofa4j.preset", manifest.preset());
        meta.put("ofa4j.seed", Long.toString(manifest.seed()));
        meta.put("ofa4j.bn_calibration_images", Integer.toString(images));
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
