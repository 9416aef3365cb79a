package ofa4j.models;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON form of a {@link SearchSpace}, stored in checkpoints, subnets, device profiles and kits,
 * and read from {@code --space FILE}. Widths are the base widths before {@code width_mult}.
 *
 * @param name the space's name
 * @param inChannels image channels
 * @param numClasses classes
 * @param stemWidth stem convolution width
 * @param stemStride stem stride
 * @param stemAct stem activation ({@code relu}, {@code h_swish}, ...)
 * @param firstBlockWidth width of the fixed first block
 * @param firstBlockAct its activation
 * @param stages the elastic stages
 * @param finalExpandWidth width of the final 1x1 expansion
 * @param featureMixWidth width of the feature-mix layer
 * @param kernels elastic kernel sizes
 * @param expandRatios elastic expand ratios
 * @param depths elastic stage depths
 * @param resolutions elastic input resolutions
 * @param widthMult width multiplier
 */
public record SpaceJson(
        String name,
        Integer inChannels,
        Integer numClasses,
        Integer stemWidth,
        Integer stemStride,
        String stemAct,
        Integer firstBlockWidth,
        String firstBlockAct,
        List<Stage> stages,
        Integer finalExpandWidth,
        Integer featureMixWidth,
        List<Integer> kernels,
        List<Integer> expandRatios,
        List<Integer> depths,
        List<Integer> resolutions,
        Double widthMult) {

    /**
     * One elastic stage.
     *
     * @param width base output width
     * @param stride stride of its first block
     * @param act activation
     * @param se whether its blocks have squeeze-and-excitation
     */
    public record Stage(Integer width, Integer stride, String act, Boolean se) {
        /** Refuses missing keys. */
        public Stage {
            JsonFiles.required(width, "stages[].width");
            JsonFiles.required(stride, "stages[].stride");
            JsonFiles.required(act, "stages[].act");
            JsonFiles.required(se, "stages[].se");
        }
    }

    /** Refuses missing keys; the values are checked by {@link SearchSpace} in {@link #toSpace()}. */
    public SpaceJson {
        JsonFiles.required(name, "name");
        JsonFiles.required(inChannels, "in_channels");
        JsonFiles.required(numClasses, "num_classes");
        JsonFiles.required(stemWidth, "stem_width");
        JsonFiles.required(stemStride, "stem_stride");
        JsonFiles.required(stemAct, "stem_act");
        JsonFiles.required(firstBlockWidth, "first_block_width");
        JsonFiles.required(firstBlockAct, "first_block_act");
        stages = List.copyOf(JsonFiles.required(stages, "stages"));
        JsonFiles.required(finalExpandWidth, "final_expand_width");
        JsonFiles.required(featureMixWidth, "feature_mix_width");
        kernels = List.copyOf(JsonFiles.required(kernels, "kernels"));
        expandRatios = List.copyOf(JsonFiles.required(expandRatios, "expand_ratios"));
        depths = List.copyOf(JsonFiles.required(depths, "depths"));
        resolutions = List.copyOf(JsonFiles.required(resolutions, "resolutions"));
        JsonFiles.required(widthMult, "width_mult");
    }

    /**
     * @param s a space
     * @return its JSON form
     */
    public static SpaceJson of(SearchSpace s) {
        List<Stage> st = new ArrayList<>();
        for (StageSpec x : s.stages()) {
            st.add(new Stage(x.baseWidth(), x.stride(), x.activation().jsonName(), x.se()));
        }
        return new SpaceJson(s.name(), s.inChannels(), s.numClasses(), s.stemBaseWidth(), s.stemStride(),
                s.stemActivation().jsonName(), s.firstBlockBaseWidth(), s.firstBlockActivation().jsonName(), st,
                s.finalExpandBaseWidth(), s.featureMixBaseWidth(), s.kernels(), s.expandRatios(), s.depths(),
                s.resolutions(), s.widthMult());
    }

    /**
     * @return the space
     * @throws IllegalArgumentException naming the bad value
     */
    public SearchSpace toSpace() {
        List<StageSpec> st = new ArrayList<>();
        for (Stage x : stages) {
            st.add(new StageSpec(x.width(), x.stride(), Activation.parse(x.act()), x.se()));
        }
        return new SearchSpace(name, inChannels, numClasses, stemWidth, stemStride, Activation.parse(stemAct),
                firstBlockWidth, Activation.parse(firstBlockAct), st, finalExpandWidth, featureMixWidth, kernels,
                expandRatios, depths, resolutions, widthMult);
    }

    /**
     * Writes a space as a JSON tree (to embed it in another file).
     *
     * @param s the space
     * @return the JSON tree
     */
    public static JsonObject toJson(SearchSpace s) {
        return JsonFiles.GSON.toJsonTree(of(s)).getAsJsonObject();
    }

    /**
     * Reads a space embedded in another file.
     *
     * @param o the JSON object
     * @return the space
     * @throws IllegalArgumentException naming the missing or bad field
     */
    public static SearchSpace fromJson(JsonObject o) {
        SpaceJson j;
        try {
            j = JsonFiles.GSON.fromJson(o, SpaceJson.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("search space JSON: " + JsonFiles.rootMessage(e), e);
        }
        return j.toSpace();
    }

    /**
     * Binds a {@link SearchSpace} component of a record to this JSON form: {@code
     * @JsonAdapter(SpaceJson.Adapter.class)}.
     */
    public static final class Adapter implements com.google.gson.JsonSerializer<SearchSpace>,
            com.google.gson.JsonDeserializer<SearchSpace> {
        @Override
        public com.google.gson.JsonElement serialize(SearchSpace src, java.lang.reflect.Type type,
                com.google.gson.JsonSerializationContext ctx) {
            return toJson(src);
        }

        @Override
        public SearchSpace deserialize(com.google.gson.JsonElement json, java.lang.reflect.Type type,
                com.google.gson.JsonDeserializationContext ctx) {
            if (!json.isJsonObject()) {
                throw new IllegalArgumentException("'space' must be a JSON object, found " + json);
            }
            return fromJson(json.getAsJsonObject());
        }
    }
}
