package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.predictor.LatencyPredictor;

/**
 * What a deployment allows: upper bounds on predicted latency (one per device latency model),
 * MACs, parameters and peak activation memory (as computed by {@link ofa4j.models.CostModel}), and
 * bounds on the input resolution. Every bound is optional (null = no bound); {@link #none()} has
 * none. Constraints combine with {@link #and(Constraint)}.
 *
 * <p>Build one with {@link #builder()}:
 *
 * <pre>{@code
 * Constraint c = Constraint.builder().maxLatencyMs(device, 2.0).maxMacs(3_000_000).build();
 * }</pre>
 *
 * @param latencyBounds latency bounds, one per device model (may be empty)
 * @param maxMacs max multiply-accumulates per image, or null
 * @param maxParams max trainable parameters, or null
 * @param maxPeakMemoryBytes max peak activation memory at batch 1, float32, bytes, or null
 * @param minResolution smallest allowed input resolution in pixels, or null
 * @param maxResolution largest allowed input resolution in pixels, or null
 */
public record Constraint(
        List<LatencyBound> latencyBounds,
        Long maxMacs,
        Long maxParams,
        Long maxPeakMemoryBytes,
        Integer minResolution,
        Integer maxResolution) {

    /**
     * An upper bound on the latency predicted by one device's latency model.
     *
     * @param predictor the device's latency model
     * @param maxMs the bound in milliseconds (positive)
     */
    public record LatencyBound(LatencyPredictor predictor, double maxMs) {
        /** Checks the values. */
        public LatencyBound {
            if (predictor == null) {
                throw new IllegalArgumentException("a latency bound needs a latency predictor (device), found null");
            }
            if (!(maxMs > 0) || Double.isInfinite(maxMs)) {
                throw new IllegalArgumentException(
                        "max latency for device " + predictor.deviceName() + " must be a positive number of ms, found "
                                + maxMs);
            }
        }
    }

    /**
     * Copies the list and checks every bound: positive, min resolution not above max resolution, at
     * most one latency bound per device name.
     */
    public Constraint {
        latencyBounds = latencyBounds == null ? List.of() : List.copyOf(latencyBounds);
        java.util.Set<String> names = new java.util.HashSet<>();
        for (LatencyBound b : latencyBounds) {
            if (!names.add(b.predictor().deviceName())) {
                throw new IllegalArgumentException("two latency bounds name device '" + b.predictor().deviceName()
                        + "'; give each device one bound (use and() to combine bounds of the same predictor)");
            }
        }
        positive(maxMacs, "max MACs");
        positive(maxParams, "max params");
        positive(maxPeakMemoryBytes, "max peak memory bytes");
        if (minResolution != null && minResolution <= 0) {
            throw new IllegalArgumentException("min resolution must be positive, found " + minResolution);
        }
        if (maxResolution != null && maxResolution <= 0) {
            throw new IllegalArgumentException("max resolution must be positive, found " + maxResolution);
        }
        if (minResolution != null && maxResolution != null && minResolution > maxResolution) {
            throw new IllegalArgumentException(
                    "min resolution " + minResolution + " is above max resolution " + maxResolution);
        }
    }

    private static void positive(Long v, String what) {
        if (v != null && v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, found " + v);
        }
    }

    /** @return the constraint without any bound */
    public static Constraint none() {
        return new Constraint(List.of(), null, null, null, null, null);
    }

    /**
     * Builds a constraint from optional bounds (null = no bound), as requests and command lines
     * give them.
     *
     * @param device the device a latency bound refers to (may be null without a latency bound)
     * @param maxLatencyMs max predicted latency on {@code device} (ms), or null
     * @param maxMacs max MACs, or null
     * @param maxParams max parameters, or null
     * @param maxPeakMemoryBytes max peak activation memory (bytes), or null
     * @param minResolution min input resolution (px), or null
     * @param maxResolution max input resolution (px), or null
     * @return the constraint
     * @throws IllegalArgumentException for a bad bound, naming it
     */
    public static Constraint of(LatencyPredictor device, Double maxLatencyMs, Long maxMacs, Long maxParams,
            Long maxPeakMemoryBytes, Integer minResolution, Integer maxResolution) {
        Builder b = builder();
        if (maxLatencyMs != null) {
            b.maxLatencyMs(device, maxLatencyMs);
        }
        if (maxMacs != null) {
            b.maxMacs(maxMacs);
        }
        if (maxParams != null) {
            b.maxParams(maxParams);
        }
        if (maxPeakMemoryBytes != null) {
            b.maxPeakMemoryBytes(maxPeakMemoryBytes);
        }
        if (minResolution != null) {
            b.minResolution(minResolution);
        }
        if (maxResolution != null) {
            b.maxResolution(maxResolution);
        }
        return b.build();
    }

    /** @return a new builder with no bound set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this constraint's bounds */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.latency.addAll(latencyBounds);
        b.maxMacs = maxMacs;
        b.maxParams = maxParams;
        b.maxPeakMemoryBytes = maxPeakMemoryBytes;
        b.minResolution = minResolution;
        b.maxResolution = maxResolution;
        return b;
    }

    /**
     * Returns the constraint that holds when both hold: the tighter of each bound; latency bounds of
     * the same device (same predictor instance) keep the smaller one, others are all kept.
     *
     * @param other the other constraint
     * @return the combination
     * @throws IllegalArgumentException if the resolution bounds of the two exclude each other
     */
    public Constraint and(Constraint other) {
        List<LatencyBound> lat = new ArrayList<>(latencyBounds);
        for (LatencyBound o : other.latencyBounds) {
            boolean merged = false;
            for (int i = 0; i < lat.size(); i++) {
                if (lat.get(i).predictor() == o.predictor()) {
                    lat.set(i, new LatencyBound(o.predictor(), Math.min(lat.get(i).maxMs(), o.maxMs())));
                    merged = true;
                }
            }
            if (!merged) {
                lat.add(o);
            }
        }
        return new Constraint(
                lat,
                minOf(maxMacs, other.maxMacs),
                minOf(maxParams, other.maxParams),
                minOf(maxPeakMemoryBytes, other.maxPeakMemoryBytes),
                minResolution == null ? other.minResolution
                        : other.minResolution == null ? minResolution : Math.max(minResolution, other.minResolution),
                maxResolution == null ? other.maxResolution
                        : other.maxResolution == null ? maxResolution : Math.min(maxResolution, other.maxResolution));
    }

    private static Long minOf(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.min(a, b));
    }

    /** @return true if no bound is set */
    public boolean isNone() {
        return latencyBounds.isEmpty() && maxMacs == null && maxParams == null && maxPeakMemoryBytes == null
                && minResolution == null && maxResolution == null;
    }

    /**
     * Returns a one-line description, e.g. {@code latency[cpu-ort-1t] <= 2.000 ms, MACs <= 3.000 M,
     * resolution in [24, 28]}, or {@code unconstrained}.
     *
     * @return the description
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (LatencyBound b : latencyBounds) {
            parts.add(String.format(Locale.ROOT, "latency[%s] <= %.3f ms", b.predictor().deviceName(), b.maxMs()));
        }
        if (maxMacs != null) {
            parts.add("MACs <= " + formatCount(maxMacs));
        }
        if (maxParams != null) {
            parts.add("params <= " + formatCount(maxParams));
        }
        if (maxPeakMemoryBytes != null) {
            parts.add("peak memory <= " + formatBytes(maxPeakMemoryBytes));
        }
        if (minResolution != null || maxResolution != null) {
            parts.add("resolution in [" + (minResolution == null ? "-" : minResolution) + ", "
                    + (maxResolution == null ? "-" : maxResolution) + "]");
        }
        return parts.isEmpty() ? "unconstrained" : String.join(", ", parts);
    }

    /**
     * Formats a count in millions with 3 decimals and the raw value, e.g. {@code 3.000 M (3000000)}.
     *
     * @param v the count
     * @return the text
     */
    static String formatCount(long v) {
        return String.format(Locale.ROOT, "%.3f M (%d)", v / 1e6, v);
    }

    /**
     * Formats bytes in KiB with 1 decimal and the raw value, e.g. {@code 12.5 KiB (12800 B)}.
     *
     * @param v bytes
     * @return the text
     */
    static String formatBytes(long v) {
        return String.format(Locale.ROOT, "%.1f KiB (%d B)", v / 1024.0, v);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return describe();
    }

    /** Builds a {@link Constraint}; every bound is optional. */
    public static final class Builder {
        private final List<LatencyBound> latency = new ArrayList<>();
        private Long maxMacs;
        private Long maxParams;
        private Long maxPeakMemoryBytes;
        private Integer minResolution;
        private Integer maxResolution;

        private Builder() {}

        /**
         * Adds an upper bound on the latency predicted by a device model.
         *
         * @param device the device's latency model
         * @param ms the bound in milliseconds
         * @return this builder
         */
        public Builder maxLatencyMs(LatencyPredictor device, double ms) {
            latency.add(new LatencyBound(device, ms));
            return this;
        }

        /**
         * Sets the max MACs per image.
         *
         * @param macs multiply-accumulates (not millions)
         * @return this builder
         */
        public Builder maxMacs(long macs) {
            this.maxMacs = macs;
            return this;
        }

        /**
         * Sets the max trainable parameter count.
         *
         * @param params parameters (not millions)
         * @return this builder
         */
        public Builder maxParams(long params) {
            this.maxParams = params;
            return this;
        }

        /**
         * Sets the max peak activation memory at batch 1 (float32).
         *
         * @param bytes bytes
         * @return this builder
         */
        public Builder maxPeakMemoryBytes(long bytes) {
            this.maxPeakMemoryBytes = bytes;
            return this;
        }

        /**
         * Sets the smallest allowed input resolution.
         *
         * @param px pixels
         * @return this builder
         */
        public Builder minResolution(int px) {
            this.minResolution = px;
            return this;
        }

        /**
         * Sets the largest allowed input resolution.
         *
         * @param px pixels
         * @return this builder
         */
        public Builder maxResolution(int px) {
            this.maxResolution = px;
            return this;
        }

        /**
         * Builds the constraint.
         *
         * @return the constraint
         * @throws IllegalArgumentException naming a bound that is not positive or inconsistent
         */
        public Constraint build() {
            return new Constraint(latency, maxMacs, maxParams, maxPeakMemoryBytes, minResolution, maxResolution);
        }
    }
}
