package ofa4j.predictor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;

/**
 * How the accuracy predictor learns INT8 accuracy: an <em>offset</em> added to the FP32
 * prediction, {@code int8 ≈ fp32 predicted + mean(int8 measured - fp32 measured)}, the mean over
 * every subnet whose FP32 and INT8 validation accuracy were both measured (the rows of {@value
 * #ROWS_FILE} in a run's predictor directory, appended by every INT8 candidate the closed loop
 * measures). Why an offset and not a feature or a table: post-training INT8 of these nets loses
 * little everywhere in the space (min/max calibration lost 0.03 validation points on average over
 * the quick supernet's max, min and three slices), too little against the validation split's noise
 * to fit per-dimension effects on tens of rows; a constant keeps the FP32 predictor's ranking and
 * moves its level to what INT8 measured. With no rows the offset is 0.
 */
public final class Int8Accuracy {

    /** Rows file in a run's predictor directory. */
    public static final String ROWS_FILE = "int8-measured.jsonl";

    /** Format version of a row. */
    public static final int FORMAT_VERSION = 1;

    private Int8Accuracy() {}

    /**
     * One subnet measured in both precisions (same BN calibration, same validation split).
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param key the subnet's {@link ArchConfig#key()}
     * @param fp32ValAccuracy FP32 validation top-1, fraction
     * @param int8ValAccuracy INT8 validation top-1 in ONNX Runtime, fraction
     * @param calibration the INT8 calibration (method and images)
     */
    public record Row(int formatVersion, String key, double fp32ValAccuracy, double int8ValAccuracy,
            String calibration) implements java.io.Serializable {
        /** Checks the values. */
        public Row {
            JsonFiles.checkVersion(ROWS_FILE + " row", formatVersion, FORMAT_VERSION, FORMAT_VERSION);
            JsonFiles.required(key, "key");
            for (double a : new double[] {fp32ValAccuracy, int8ValAccuracy}) {
                if (!(a >= 0 && a <= 1)) {
                    throw new IllegalArgumentException("accuracy of " + key + " must be in [0, 1], found " + a);
                }
            }
        }

        /** @return INT8 minus FP32 validation accuracy, fraction */
        public double delta() {
            return int8ValAccuracy - fp32ValAccuracy;
        }
    }

    /**
     * Reads the rows file; no file is no rows.
     *
     * @param file the file
     * @return the rows, the last one of each subnet
     * @throws IOException naming the file and line of a bad row
     */
    public static List<Row> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (Row r : JsonFiles.readLines(file, Row.class)) {
            byKey.put(r.key(), r);
        }
        return List.copyOf(byKey.values());
    }

    /**
     * Appends rows, rewriting the file atomically.
     *
     * @param file the file
     * @param rows the new rows
     * @throws IOException if reading or writing fails
     */
    public static void append(Path file, List<Row> rows) throws IOException {
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(Files.isRegularFile(file) ? JsonFiles.readText(file) : "");
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '\n') {
            sb.append('\n');
        }
        for (Row r : rows) {
            sb.append(JsonFiles.toLine(r)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    /**
     * The fitted INT8 offset.
     *
     * @param offset mean INT8 minus FP32 validation accuracy, fraction (0 without rows)
     * @param rows rows it is the mean of
     */
    public record Offset(double offset, int rows) {
        /** @return e.g. {@code INT8 offset -0.12 points from 9 measured rows} */
        public String describe() {
            return rows == 0 ? "INT8 offset 0 (no INT8 rows measured yet)"
                    : String.format(Locale.ROOT, "INT8 offset %+.2f points from %d measured rows", 100 * offset, rows);
        }
    }

    /**
     * Fits the offset.
     *
     * @param rows measured rows
     * @return their mean INT8 minus FP32 accuracy
     */
    public static Offset fit(List<Row> rows) {
        double s = 0;
        for (Row r : rows) {
            s += r.delta();
        }
        return new Offset(rows.isEmpty() ? 0 : s / rows.size(), rows.size());
    }

    /**
     * The FP32 predictor moved by an offset: predicts INT8 validation accuracy.
     *
     * @param fp32 the FP32 accuracy predictor
     * @param offset the offset
     * @return the INT8 predictor, named {@code <fp32 name>+int8}
     */
    public static AccuracyPredictor predictor(AccuracyPredictor fp32, Offset offset) {
        return new AccuracyPredictor() {
            @Override
            public double[] predict(List<ArchConfig> archs) {
                double[] p = fp32.predict(archs).clone();
                for (int i = 0; i < p.length; i++) {
                    p[i] += offset.offset();
                }
                return p;
            }

            @Override
            public String name() {
                return fp32.name() + "+int8";
            }
        };
    }

    /**
     * Reads the rows of a run's predictor directory and fits the offset.
     *
     * @param predDir the predictor directory, or null
     * @return the offset (0 from no rows)
     * @throws IOException if the rows file is unreadable
     */
    public static Offset fit(Path predDir) throws IOException {
        return fit(predDir == null ? List.of() : read(predDir.resolve(ROWS_FILE)));
    }
}
