package ofa4j.slicer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.SubnetScorer;

/**
 * True evaluations in the place of a predictor: every subnet asked about is measured by a {@link
 * SubnetScorer} (for a trained supernet {@link ofa4j.predictor.SupernetScorer}: BN recalibration on
 * training images, top-1 on the validation split), with one fixed calibration seed so that a subnet
 * always gets the same figure. Measurements are cached by the canonical arch key ({@link
 * ArchConfig#canonical()}: equal networks), so a network is measured once however often searches ask;
 * with a cache file they are appended to it as they are made (one JSON line each, flushed) and a later
 * run that names the same protocol reads them back instead of measuring again.
 *
 * <p>Not thread-safe: one search at a time.
 */
public final class MeasuredAccuracy implements AccuracyPredictor, AutoCloseable {

    /**
     * One measurement, a line of the cache file.
     *
     * @param key canonical arch key
     * @param accuracy measured top-1, fraction in [0, 1]
     * @param ms wall time of the measurement, ms
     * @param protocol what was measured how (checkpoint, calibration images and seed, split size); rows of
     *     another protocol are ignored
     */
    public record Row(String key, double accuracy, double ms, String protocol) {}

    private final SubnetScorer scorer;
    private final long calibrationSeed;
    private final String protocol;
    private final Map<String, Double> cache = new HashMap<>();
    private final BufferedWriter out;
    private long measured;
    private long hits;
    private double measureMs;
    private int loaded;

    /**
     * Creates the evaluator.
     *
     * @param scorer measures one subnet
     * @param calibrationSeed the seed every measurement is made with (e.g. the accuracy table's {@code
     *     calibration_seed}, so that figures are comparable with its rows)
     * @param protocol describes the measurement (rows of the cache file with another protocol are ignored)
     * @param cacheFile JSON lines of earlier measurements, read and appended to; null for none
     * @throws IOException if the cache file is unreadable or has a bad line before its last one (a last line
     *     cut short by a kill is skipped)
     */
    public MeasuredAccuracy(SubnetScorer scorer, long calibrationSeed, String protocol, Path cacheFile)
            throws IOException {
        if (scorer == null || protocol == null) {
            throw new IllegalArgumentException("scorer and protocol must not be null");
        }
        this.scorer = scorer;
        this.calibrationSeed = calibrationSeed;
        this.protocol = protocol;
        if (cacheFile == null) {
            out = null;
            return;
        }
        if (Files.isRegularFile(cacheFile)) {
            String[] lines = JsonFiles.readText(cacheFile).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty()) {
                    continue;
                }
                Row r;
                try {
                    r = JsonFiles.parse(line, Row.class, cacheFile + " line " + (i + 1));
                } catch (IOException e) {
                    if (i >= lines.length - 2) {
                        continue; // the last line, cut short by a kill
                    }
                    throw e;
                }
                if (protocol.equals(r.protocol()) && r.key() != null) {
                    cache.put(r.key(), r.accuracy());
                    loaded++;
                }
            }
        }
        Path parent = cacheFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JsonLines.repairTail(cacheFile);
        out = Files.newBufferedWriter(cacheFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /**
     * Measures each subnet not measured before; answers the others from the cache.
     *
     * @throws UncheckedIOException if appending to the cache file fails
     */
    @Override
    public double[] predict(List<ArchConfig> archs) {
        double[] acc = new double[archs.size()];
        for (int i = 0; i < acc.length; i++) {
            acc[i] = measure(archs.get(i));
        }
        return acc;
    }

    private double measure(ArchConfig arch) {
        String key = arch.canonical().key();
        Double hit = cache.get(key);
        if (hit != null) {
            hits++;
            return hit;
        }
        long t0 = System.nanoTime();
        double a = scorer.accuracy(arch, calibrationSeed);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (!Double.isFinite(a) || a < 0 || a > 1) {
            throw new IllegalStateException("measured accuracy of " + key + " is " + a + ", not a fraction in [0, 1]");
        }
        measured++;
        measureMs += ms;
        cache.put(key, a);
        if (out != null) {
            try {
                out.write(JsonFiles.toLine(new Row(key, a, ms, protocol)));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot append a measurement: " + JsonFiles.reason(e), e);
            }
        }
        return a;
    }

    /**
     * Returns the cached measurement of a subnet, without measuring.
     *
     * @param arch the subnet
     * @return its accuracy, or null if it was never measured
     */
    public Double cached(ArchConfig arch) {
        return cache.get(arch.canonical().key());
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "measured";
    }

    /** @return the protocol every measurement of this evaluator follows */
    public String protocol() {
        return protocol;
    }

    /** @return subnets measured by this evaluator (not read from the cache) */
    public long measured() {
        return measured;
    }

    /** @return answers given from the cache */
    public long hits() {
        return hits;
    }

    /** @return wall time of this evaluator's measurements, ms */
    public double measureMs() {
        return measureMs;
    }

    /** @return measurements read from the cache file at start */
    public int loaded() {
        return loaded;
    }

    /** Closes the cache file. */
    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
        }
    }
}
