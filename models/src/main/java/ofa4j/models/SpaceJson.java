package ofa4j.models;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** JSON form of a {@link SearchSpace}, stored in checkpoints, subnets and device kits. */
public final class SpaceJson {

    private SpaceJson() {}

    /**
     * Writes a space as a JSON object with a stable field order.
     *
     * @param s the space
     * @return the JSON tree
     */
    public static JsonObject toJson(SearchSpace s) {
        JsonObject o = new JsonObject();
        o.addProperty("name", s.name());
        o.addProperty("in_channels", s.inChannels());
        o.addProperty("num_classes", s.numClasses());
        o.addProperty("stem_width", s.stemBaseWidth());
        o.addProperty("stem_stride", s.stemStride());
        o.addProperty("stem_act", s.stemActivation().jsonName());
        o.addProperty("first_block_width", s.firstBlockBaseWidth());
        o.addProperty("first_block_act", s.firstBlockActivation().jsonName());
        JsonArray st = new JsonArray();
        for (StageSpec x : s.stages()) {
            JsonObject j = new JsonObject();
            j.addProperty("width", x.baseWidth());
            j.addProperty("stride", x.stride());
            j.addProperty("act", x.activation().jsonName());
            j.addProperty("se", x.se());
            st.add(j);
        }
        o.add("stages", st);
        o.addProperty("final_expand_width", s.finalExpandBaseWidth());
        o.addProperty("feature_mix_width", s.featureMixBaseWidth());
        o.add("kernels", ints(s.kernels()));
        o.add("expand_ratios", ints(s.expandRatios()));
        o.add("depths", ints(s.depths()));
        o.add("resolutions", ints(s.resolutions()));
        o.addProperty("width_mult", s.widthMult());
        return o;
    }

    /**
     * Reads a space written by {@link #toJson(SearchSpace)}.
     *
     * @param o the JSON object
     * @return the space
     * @throws IllegalArgumentException naming the missing or bad field
     */
    public static SearchSpace fromJson(JsonObject o) {
        try {
            List<StageSpec> stages = new ArrayList<>();
            for (JsonElement e : req(o, "stages").getAsJsonArray()) {
                JsonObject j = e.getAsJsonObject();
                stages.add(
                        new StageSpec(
                                req(j, "width").getAsInt(),
                                req(j, "stride").getAsInt(),
                                Activation.parse(req(j, "act").getAsString()),
                                req(j, "se").getAsBoolean()));
            }
            return new SearchSpace(
                    req(o, "name").getAsString(),
                    req(o, "in_channels").getAsInt(),
                    req(o, "num_classes").getAsInt(),
                    req(o, "stem_width").getAsInt(),
                    req(o, "stem_stride").getAsInt(),
                    Activation.parse(req(o, "stem_act").getAsString()),
                    req(o, "first_block_width").getAsInt(),
                    Activation.parse(req(o, "first_block_act").getAsString()),
                    stages,
                    req(o, "final_expand_width").getAsInt(),
                    req(o, "feature_mix_width").getAsInt(),
                    list(req(o, "kernels")),
                    list(req(o, "expand_ratios")),
                    list(req(o, "depths")),
                    list(req(o, "resolutions")),
                    req(o, "width_mult").getAsDouble());
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new IllegalArgumentException("search space JSON has a field of the wrong type: " + e.getMessage(), e);
        }
    }

    private static JsonElement req(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("search space JSON lacks field '" + name + "'");
        }
        return e;
    }

    private static JsonArray ints(List<Integer> xs) {
        JsonArray a = new JsonArray();
        xs.forEach(a::add);
        return a;
    }

    private static List<Integer> list(JsonElement e) {
        List<Integer> out = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) {
            out.add(x.getAsInt());
        }
        return out;
    }
}
