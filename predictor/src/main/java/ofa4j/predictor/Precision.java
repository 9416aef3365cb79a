package ofa4j.predictor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The numeric precision of the models a device profile times and a slice delivers: {@link #FP32}
 * (the float export) or {@link #INT8} (the QDQ export of {@link ofa4j.exporter.Int8Exporter}, which
 * ONNX Runtime runs in integer kernels). A latency profile describes one precision only.
 */
public enum Precision {
    /** 32-bit float models. */
    FP32,
    /** Post-training INT8 models in ONNX's QDQ form. */
    INT8;

    /** @return the name as files and the command line spell it: {@code fp32} or {@code int8} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return every id, e.g. for messages: {@code [fp32, int8]} */
    public static List<String> ids() {
        return Arrays.stream(values()).map(Precision::id).toList();
    }

    /**
     * Parses a precision as files and the command line spell it.
     *
     * @param s {@code fp32} or {@code int8}
     * @return the precision
     * @throws IllegalArgumentException naming the value and the values allowed
     */
    public static Precision parse(String s) {
        for (Precision p : values()) {
            if (p.id().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision must be one of " + ids() + ", found '" + s + "'");
    }
}
