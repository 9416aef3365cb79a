package ofa4j.supernet.train;

import com.google.gson.Gson;
import com.google.gson.JsonDeserializationContext;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The few places where a record of this package does not bind to its JSON by Gson's defaults,
 * each used through {@code @JsonAdapter} on one record or component.
 */
final class JsonBindings {

    private JsonBindings() {}


    /**
     * Reads an empty object {@code {}} as null: older manifests wrote {@code "last": {}} before the
     * first epoch ended.
     */
    static final class EmptyObjectAsNull implements JsonDeserializer<Object> {
        /** {@inheritDoc} */
        @Override
        public Object deserialize(JsonElement json, Type type, JsonDeserializationContext ctx) {
            return json.isJsonObject() && json.getAsJsonObject().isEmpty() ? null : ctx.deserialize(json, type);
        }
    }

    /**
     * Binds a record whose components {@link #FLAT} hold groups of keys that sit at the top level
     * of its JSON object rather than in nested objects (the checkpoint manifest keeps the flat keys
     * of its first format): written, their keys are merged into the parent; read, each group is
     * bound from the whole parent object (records ignore keys that are not theirs).
     */
    static final class Flattened implements TypeAdapterFactory {
        /** Components whose keys are merged into the parent object. */
        static final Set<String> FLAT = Set.of("run", "position");

        /** {@inheritDoc} */
        @Override
        public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
            TypeAdapter<T> nested = gson.getDelegateAdapter(this, type);
            TypeAdapter<JsonElement> trees = gson.getAdapter(JsonElement.class);
            return new TypeAdapter<T>() {
                @Override
                public void write(JsonWriter out, T value) throws IOException {
                    if (value == null) {
                        out.nullValue();
                        return;
                    }
                    out.beginObject();
                    for (Map.Entry<String, JsonElement> e : nested.toJsonTree(value).getAsJsonObject().entrySet()) {
                        boolean flat = FLAT.contains(e.getKey()) && e.getValue().isJsonObject();
                        for (Map.Entry<String, JsonElement> m : flat ? e.getValue().getAsJsonObject().entrySet() : List.of(e)) {
                            out.name(m.getKey());
                            trees.write(out, m.getValue()); // a JSON null is dropped with its key (serializeNulls off)
                        }
                    }
                    out.endObject();
                }

                @Override
                public T read(JsonReader in) throws IOException {
                    JsonElement tree = trees.read(in);
                    if (tree == null || !tree.isJsonObject()) {
                        return nested.fromJsonTree(tree);
                    }
                    JsonObject whole = tree.getAsJsonObject();
                    JsonObject grouped = whole.deepCopy();
                    FLAT.forEach(k -> grouped.add(k, whole));
                    return nested.fromJsonTree(grouped);
                }
            };
        }
    }
}
