package ofa4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;

/** Parses an {@code --arch} value: {@code max}, {@code min}, a JSON file, or inline JSON. */
final class ArchOption {

    private ArchOption() {}

    /**
     * Resolves the value against a space.
     *
     * @param value the option value
     * @param space the space the arch must belong to
     * @return the validated config
     * @throws IOException if the file cannot be read or does not hold an architecture of the space
     *     (naming the file and what is wrong)
     * @throws IllegalArgumentException naming what is wrong with a value that is not a file
     */
    static ArchConfig parse(String value, SearchSpace space) throws IOException {
        String v = value.trim();
        if (v.equals("max")) {
            return space.max();
        }
        if (v.equals("min")) {
            return space.min();
        }
        String json;
        if (v.startsWith("{")) {
            json = v;
        } else {
            Path p = Path.of(v);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--arch must be max, min, a JSON file or inline JSON; no file '" + v + "'");
            }
            json = ofa4j.models.JsonFiles.readText(p);
            try {
                return space.validate(ArchConfig.fromJson(json));
            } catch (IllegalArgumentException e) { // the file is bad, not the command line: exit 1
                throw new IOException("--arch file " + p + ": " + e.getMessage(), e);
            }
        }
        return space.validate(ArchConfig.fromJson(json));
    }
}
