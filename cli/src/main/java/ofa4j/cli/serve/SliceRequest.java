package ofa4j.cli.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A slicing request as posted to {@code /v1/slice}: a device name and optional bounds. Parsing
 * checks every field and reports the first bad one by name ({@link BadRequest#field()}).
 *
 * @param device device profile name
 * @param maxLatencyMs upper bound on predicted latency (ms), or null
 * @param maxMacs upper bound on MACs, or null
 * @param maxParams upper bound on parameters, or null
 * @param maxPeakMemoryBytes upper bound on peak activation memory (bytes), or null
 * @param minResolution lower bound on input resolution (px), or null
 * @param maxResolution upper bound on input resolution (px), or null
 * @param precision precision searched and delivered: {@code fp32} (the default), {@code int8} or
 *     {@code auto} (see {@link #PRECISIONS})
 */
public record SliceRequest(
        String device,
        Double maxLatencyMs,
        Long maxMacs,
        Long maxParams,
        Long maxPeakMemoryBytes,
        Integer minResolution,
        Integer maxResolution,
        String precision) {

    /** Fields a request may carry. */
    public static final Set<String> FIELDS =
            Set.of("device", "max_latency_ms", "max_macs", "max_params", "max_peak_memory_bytes",
                    "min_resolution", "max_resolution", "precision");

    /**
     * Precisions a request may ask for; the first is the default. {@code int8} searches INT8 models
     * with the device's INT8 latency profile; {@code auto} searches both and delivers the one with
     * the higher measured validation accuracy under the bounds.
     */
    public static final List<String> PRECISIONS = List.of("fp32", "int8", "auto");

    /** A request that cannot be served as given; names the offending field. */
    public static final class BadRequest extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        /**
         * @param field the offending field, or {@code body}
         * @param message what is wrong and what is allowed
         */
        public BadRequest(String field, String message) {
            super(message);
            this.field = field;
        }

        /** @return the offending field */
        public String field() {
            return field;
        }
    }

    /**
     * Parses and checks a body as it arrived: UTF-8 bytes (RFC 8259) of a JSON object.
     *
     * @param body the request body
     * @return the request
     * @throws BadRequest naming {@code body} for bytes that are not UTF-8, else as {@link #parse(String)}
     */
    public static SliceRequest parse(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new BadRequest("body", "request body is not UTF-8: malformed byte 0x"
                    + String.format("%02x", body[Math.min(in.position(), body.length - 1)] & 0xff) + " at offset "
                    + in.position());
        }
        return parse(text);
    }

    /**
     * Parses and checks a JSON body: strict JSON (no comments, single quotes or unquoted names),
     * one object, each field at most once.
     *
     * @param body the request body
     * @return the request
     * @throws BadRequest naming the field that is missing, unknown, repeated, of the wrong type or out of range
     */
    public static SliceRequest parse(String body) {
        JsonObject o = new JsonObject();
        try (JsonReader r = new JsonReader(new StringReader(body == null ? "" : body))) {
            r.setStrictness(Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new BadRequest("body", "request body must be a JSON object, found " + r.peek());
            }
            r.beginObject();
            while (r.hasNext()) {
                String k = r.nextName();
                JsonElement v = JsonParser.parseReader(r);
                if (o.has(k)) {
                    throw new BadRequest(k, "field '" + ApiError.shown(k) + "' is given twice");
                }
                o.add(k, v);
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new BadRequest("body", "request body has text after the JSON object");
            }
        } catch (JsonParseException | IOException | IllegalStateException ex) {
            throw new BadRequest("body", "request body is not valid JSON: " + ApiError.shown(ex.getMessage()));
        }
        for (String k : o.keySet()) {
            if (!FIELDS.contains(k)) {
                throw new BadRequest(ApiError.shown(k), "unknown field '" + ApiError.shown(k) + "'; allowed: "
                        + new java.util.TreeSet<>(FIELDS));
            }
        }
        JsonElement d = o.get("device");
        if (d == null || d.isJsonNull()) {
            throw new BadRequest("device", "field 'device' (a device profile name) is required");
        }
        if (!d.isJsonPrimitive() || !d.getAsJsonPrimitive().isString() || d.getAsString().isBlank()) {
            throw new BadRequest("device", "field 'device' must be a device profile name (a non-empty string), found "
                    + ApiError.shown(d.toString()));
        }
        if (d.getAsString().length() > MAX_DEVICE_NAME) {
            throw new BadRequest("device", "field 'device' must be a device profile name of at most " + MAX_DEVICE_NAME
                    + " characters, found " + d.getAsString().length());
        }
        Double lat = positiveNumber(o, "max_latency_ms");
        Long macs = positiveLong(o, "max_macs");
        Long params = positiveLong(o, "max_params");
        Long mem = positiveLong(o, "max_peak_memory_bytes");
        Long minR = resolution(o, "min_resolution");
        Long maxR = resolution(o, "max_resolution");
        if (minR != null && maxR != null && minR > maxR) {
            throw new BadRequest("min_resolution", "min_resolution " + minR + " exceeds max_resolution " + maxR);
        }
        JsonElement p = o.get("precision");
        String precision = PRECISIONS.get(0);
        if (p != null && !p.isJsonNull()) {
            if (!p.isJsonPrimitive() || !p.getAsJsonPrimitive().isString() || !PRECISIONS.contains(p.getAsString())) {
                throw new BadRequest("precision", "field 'precision' must be one of " + PRECISIONS + ", found "
                        + ApiError.shown(p.toString()));
            }
            precision = p.getAsString();
        }
        return new SliceRequest(d.getAsString(), lat, macs, params, mem,
                minR == null ? null : minR.intValue(), maxR == null ? null : maxR.intValue(), precision);
    }

    private static Double positiveNumber(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BadRequest(name, "field '" + name + "' must be a positive number, found " + ApiError.shown(e.toString()));
        }
        double v = e.getAsDouble();
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new BadRequest(name, "field '" + name + "' must be a positive finite number, found " + ApiError.shown(e.toString()));
        }
        return v;
    }

    /** Longest device name a request may send (profile names are short file names). */
    static final int MAX_DEVICE_NAME = 128;

    /** Largest resolution a request may name (an int beyond it would wrap; no space comes close). */
    static final int MAX_RESOLUTION = 4096;

    private static Long resolution(JsonObject o, String name) {
        Long v = positiveLong(o, name);
        if (v != null && v > MAX_RESOLUTION) {
            throw new BadRequest(name, "field '" + name + "' must be an integer in [1, " + MAX_RESOLUTION + "] (pixels),"
                    + " found " + ApiError.shown(o.get(name).toString()));
        }
        return v;
    }

    private static Long positiveLong(JsonObject o, String name) {
        Double v = positiveNumber(o, name);
        if (v == null) {
            return null;
        }
        if (v != Math.rint(v) || v > 1e15) {
            throw new BadRequest(name, "field '" + name + "' must be a positive integer, found " + ApiError.shown(o.get(name).toString()));
        }
        return v.longValue();
    }

    /**
     * A canonical string of the request, equal for requests that ask the same thing (cache key).
     *
     * @return the key
     */
    public String cacheKey() {
        Map<String, Object> m = new TreeMap<>();
        m.put("device", device);
        m.put("max_latency_ms", maxLatencyMs);
        m.put("max_macs", maxMacs);
        m.put("max_params", maxParams);
        m.put("max_peak_memory_bytes", maxPeakMemoryBytes);
        m.put("min_resolution", minResolution);
        m.put("max_resolution", maxResolution);
        m.put("precision", precision);
        return m.toString();
    }
}
