package ofa4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import ofa4j.models.Hashing;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.train.Checkpoint;

/**
 * A supernet parameter file that every Spark worker reads from the same path (a shared or copied
 * file system), with the SHA-256 the driver saw: an executor refuses to score with a file whose
 * content differs (a half-copied checkpoint, a newer training step, another run).
 *
 * @param params absolute path of the parameter file ({@code ckpt-.../params.bin})
 * @param sha256 its SHA-256, 64 lower-case hex digits
 * @param spaceJson the search space as JSON ({@link SpaceJson})
 * @param seed the supernet's initialisation seed (its parameters are then loaded from the file)
 */
public record SupernetFile(String params, String sha256, String spaceJson, long seed) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks the fields. */
    public SupernetFile {
        if (params == null || !Path.of(params).isAbsolute()) {
            throw new IllegalArgumentException("supernet parameter file must be an absolute path, found " + params);
        }
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, found '" + sha256 + "'");
        }
    }

    /**
     * The parameter file of a verified checkpoint (the SHA-256 is the manifest's, which loading checked).
     *
     * @param checkpoint a checkpoint read by {@link Checkpoint#readLatest}
     * @return the file
     */
    public static SupernetFile of(Checkpoint.Loaded checkpoint) {
        return new SupernetFile(checkpoint.paramsFile().toAbsolutePath().normalize().toString(),
                checkpoint.manifest().files().params().sha256(),
                SpaceJson.toJson(checkpoint.manifest().run().space()).toString(), checkpoint.manifest().run().seed());
    }

    /**
     * A parameter file written by {@link Supernet#saveParameters}, hashed now.
     *
     * @param file the file
     * @param space the supernet's space
     * @param seed the supernet's seed
     * @return the file
     * @throws IOException if it cannot be read
     */
    public static SupernetFile of(Path file, SearchSpace space, long seed) throws IOException {
        return new SupernetFile(file.toAbsolutePath().normalize().toString(), Hashing.sha256Hex(file),
                SpaceJson.toJson(space).toString(), seed);
    }

    /** @return the search space */
    public SearchSpace space() {
        return SpaceJson.fromJson(com.google.gson.JsonParser.parseString(spaceJson).getAsJsonObject());
    }

    /**
     * Opens the supernet on this machine after checking that the file here is the driver's.
     *
     * @param where names this worker in messages
     * @return the supernet (close it)
     * @throws IOException if the file is missing here, or its SHA-256 differs (both digests named)
     */
    public Supernet open(String where) throws IOException {
        Path p = Path.of(params);
        String here;
        try {
            here = Hashing.sha256Hex(p);
        } catch (IOException e) {
            throw new IOException("supernet parameter file " + p + " cannot be read on " + where + " ("
                    + e.getMessage() + "); every worker must see the checkpoint at the driver's path", e);
        }
        if (!here.equals(sha256)) {
            throw new IOException("supernet parameter file " + p + " on " + where + " has SHA-256 " + here
                    + ", the driver's has " + sha256 + "; every worker must see the same checkpoint");
        }
        Supernet net = Supernet.create(space(), seed);
        try {
            net.loadParameters(p);
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
