package ofa4j.models;

import java.util.Arrays;
import java.util.Locale;

/** The non-linearities of the MobileNetV3 family. */
public enum Activation {
    /** max(x, 0). */
    RELU("relu"),
    /** x * relu6(x + 3) / 6 (Howard et al., "Searching for MobileNetV3", 2019). */
    HSWISH("h_swish");

    private final String jsonName;

    Activation(String jsonName) {
        this.jsonName = jsonName;
    }

    /**
     * Returns the name used in JSON files and OFA's code ({@code relu}, {@code h_swish}).
     *
     * @return the JSON name
     */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a JSON name, also accepting {@code hs} and {@code hswish}.
     *
     * @param name the name
     * @return the activation
     * @throws IllegalArgumentException naming the value and the names allowed
     */
    public static Activation parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "relu":
                return RELU;
            case "h_swish":
            case "hswish":
            case "hs":
                return HSWISH;
            default:
                throw new IllegalArgumentException(
                        "activation must be one of "
                                + Arrays.toString(new String[] {"relu", "h_swish"})
                                + ", found '"
                                + name
                                + "'");
        }
    }
}
