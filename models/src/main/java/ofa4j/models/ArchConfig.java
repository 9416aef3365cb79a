package ofa4j.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;

/**
 * One subnet of a {@link SearchSpace}: a kernel and expand ratio for every block slot, a depth
 * per stage and an input resolution. Slots beyond a stage's depth are kept (so that mutation and
 * crossover work on fixed-length genes, as in OFA) but do not affect the network: {@link #key()},
 * {@link #activeBlocks(SearchSpace)} and the encoding ignore them.
 *
 * <p>JSON form (stable field order, one field per elastic dimension):
 *
 * <pre>{@code
 * {"resolution": 28, "depths": [4, 4, 4, 4], "kernel_sizes": [7, ...], "expand_ratios": [6, ...]}
 * }</pre>
 *
 * @param blocks choices of the {@code stages x maxDepth} block slots, stage-major
 * @param depths depth of each stage
 * @param resolution input resolution in pixels
 */
public record ArchConfig(List<BlockChoice> blocks, List<Integer> depths, int resolution) {

    /** Copies the lists. */
    public ArchConfig {
        blocks = List.copyOf(blocks);
        depths = List.copyOf(depths);
    }

    /**
     * Returns the choices of the blocks that run (stage by stage, the first {@code depth} slots).
     *
     * @param space the space this config belongs to (gives the slots per stage)
     * @return the active choices in execution order
     */
    public List<BlockChoice> activeBlocks(SearchSpace space) {
        int maxDepth = blocks.size() / depths.size();
        List<BlockChoice> out = new ArrayList<>();
        for (int s = 0; s < depths.size(); s++) {
            for (int j = 0; j < depths.get(s); j++) {
                out.add(blocks.get(s * maxDepth + j));
            }
        }
        return out;
    }

    /**
     * A stable, readable key naming the network this config builds: equal keys mean equal networks
     * (choices of skipped slots are left out). Example: {@code r28-k7e6.k3e4|k5e3.k5e3.k7e6|...}.
     *
     * @return the key
     */
    public String key() {
        int maxDepth = blocks.size() / depths.size();
        StringBuilder sb = new StringBuilder("r").append(resolution).append('-');
        for (int s = 0; s < depths.size(); s++) {
            if (s > 0) {
                sb.append('|');
            }
            for (int j = 0; j < depths.get(s); j++) {
                BlockChoice b = blocks.get(s * maxDepth + j);
                if (j > 0) {
                    sb.append('.');
                }
                sb.append('k').append(b.kernel()).append('e').append(b.expand());
            }
        }
        return sb.toString();
    }

    /**
     * Returns a copy whose skipped slots hold the choice of the stage's last active block, so that
     * configs building the same network become equal.
     *
     * @return the canonical config
     */
    public ArchConfig canonical() {
        int maxDepth = blocks.size() / depths.size();
        List<BlockChoice> out = new ArrayList<>(blocks);
        for (int s = 0; s < depths.size(); s++) {
            BlockChoice last = blocks.get(s * maxDepth + depths.get(s) - 1);
            for (int j = depths.get(s); j < maxDepth; j++) {
                out.set(s * maxDepth + j, last);
            }
        }
        return new ArchConfig(out, depths, resolution);
    }

    /**
     * The JSON form of a config, bound by Gson ({@code --arch} files, slice reports, tables).
     *
     * @param resolution input resolution
     * @param depths depth of each stage
     * @param kernelSizes kernel of every block slot, stage-major
     * @param expandRatios expand ratio of every block slot
     */
    public record Json(Integer resolution, List<Integer> depths, List<Integer> kernelSizes, List<Integer> expandRatios) {

        /** Refuses missing keys and lists that do not pair up. */
        public Json {
            JsonFiles.required(resolution, "resolution");
            JsonFiles.required(depths, "depths");
            JsonFiles.required(kernelSizes, "kernel_sizes");
            JsonFiles.required(expandRatios, "expand_ratios");
            if (kernelSizes.size() != expandRatios.size()) {
                throw new IllegalArgumentException("kernel_sizes has " + kernelSizes.size()
                        + " entries but expand_ratios has " + expandRatios.size());
            }
            if (depths.isEmpty() || kernelSizes.size() % depths.size() != 0) {
                throw new IllegalArgumentException(kernelSizes.size() + " block choices cannot be split evenly over "
                        + depths.size() + " stages");
            }
            if (depths.stream().anyMatch(java.util.Objects::isNull) || kernelSizes.stream().anyMatch(java.util.Objects::isNull)
                    || expandRatios.stream().anyMatch(java.util.Objects::isNull)) {
                throw new IllegalArgumentException("depths, kernel_sizes and expand_ratios must hold integers, found null");
            }
        }

        /** @return the config (not yet validated against a space) */
        public ArchConfig toArch() {
            List<BlockChoice> blocks = new ArrayList<>(kernelSizes.size());
            for (int i = 0; i < kernelSizes.size(); i++) {
                blocks.add(new BlockChoice(kernelSizes.get(i), expandRatios.get(i)));
            }
            return new ArchConfig(blocks, depths, resolution);
        }
    }

    /** @return the JSON form of this config */
    public Json toJsonRecord() {
        List<Integer> ks = new ArrayList<>();
        List<Integer> es = new ArrayList<>();
        for (BlockChoice b : blocks) {
            ks.add(b.kernel());
            es.add(b.expand());
        }
        return new Json(resolution, depths, ks, es);
    }

    /**
     * Returns this config as a JSON object (fields: resolution, depths, kernel_sizes,
     * expand_ratios).
     *
     * @return the JSON tree
     */
    public JsonObject toJsonTree() {
        return JsonFiles.GSON.toJsonTree(toJsonRecord()).getAsJsonObject();
    }

    /**
     * Returns this config as pretty-printed JSON.
     *
     * @return the JSON text
     */
    public String toJson() {
        return JsonFiles.GSON.toJson(toJsonRecord());
    }

    /**
     * Returns this config as one-line JSON.
     *
     * @return the JSON text
     */
    public String toCompactJson() {
        return JsonFiles.toLine(toJsonRecord());
    }

    /**
     * Parses the JSON form written by {@link #toJson()}.
     *
     * @param json the text
     * @return the config (not yet validated against a space)
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static ArchConfig fromJson(String json) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (JsonParseException ex) {
            throw new IllegalArgumentException("architecture JSON is malformed: " + ex.getMessage(), ex);
        }
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("architecture JSON must be an object, found " + abbreviate(json));
        }
        return fromJsonTree(e.getAsJsonObject());
    }

    /**
     * Reads a config from a JSON object.
     *
     * @param o the object
     * @return the config (not yet validated against a space)
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static ArchConfig fromJsonTree(JsonObject o) {
        try {
            return JsonFiles.GSON.fromJson(o, Json.class).toArch();
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("architecture JSON: " + JsonFiles.reason(ex), ex);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /**
     * OFA-style description of the active blocks, e.g. {@code r28 K7E6 K3E4 | K5E3 ...}.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return key();
    }

    /**
     * Binds an {@link ArchConfig} component of a record to its JSON form ({@link Json}): {@code
     * @JsonAdapter(ArchConfig.Adapter.class)}.
     */
    public static final class Adapter implements com.google.gson.JsonSerializer<ArchConfig>,
            com.google.gson.JsonDeserializer<ArchConfig> {
        @Override
        public JsonElement serialize(ArchConfig src, java.lang.reflect.Type type,
                com.google.gson.JsonSerializationContext ctx) {
            return src.toJsonTree();
        }

        @Override
        public ArchConfig deserialize(JsonElement json, java.lang.reflect.Type type,
                com.google.gson.JsonDeserializationContext ctx) {
            if (!json.isJsonObject()) {
                throw new IllegalArgumentException("'arch' must be a JSON object, found " + json);
            }
            return fromJsonTree(json.getAsJsonObject());
        }
    }
}
