package ofa4j.models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A standalone subnet: its space, its architecture and plain float tensors for every weight, with
 * batch norm kept (not folded). It no longer needs the supernet: the kernel transformations are
 * applied and every tensor is cut to the subnet's size.
 *
 * <p>Tensor names, for the layers of {@link SearchSpace#layers(ArchConfig)} (block {@code i} is
 * the {@code i}-th entry of kind BLOCK, 0 being the fixed first block). A BN named {@code P} is four
 * tensors {@code P.gamma}, {@code P.beta}, {@code P.mean}, {@code P.var} of shape {@code [C]}:
 *
 * <pre>
 * stem.conv.weight            [C, inChannels, 3, 3]        stem.bn
 * blocks.i.expand.weight      [H, I, 1, 1] (expand != 1)   blocks.i.expand.bn
 * blocks.i.dw.weight          [H, 1, k, k]                 blocks.i.dw.bn
 * blocks.i.se.reduce.weight   [R, H, 1, 1]  blocks.i.se.reduce.bias  [R]   (SE only)
 * blocks.i.se.expand.weight   [H, R, 1, 1]  blocks.i.se.expand.bias  [H]
 * blocks.i.project.weight     [O, H, 1, 1]                 blocks.i.project.bn
 * final_expand.conv.weight    [F, lastWidth, 1, 1]         final_expand.bn
 * feature_mix.weight          [M, F]
 * classifier.weight           [classes, M]   classifier.bias [classes]
 * </pre>
 *
 * <p>Batch norm computes {@code gamma * (x - mean) / sqrt(var + bnEps) + beta}. Inputs are images
 * scaled to [0, 1] then normalised per channel with {@link #INPUT_MEAN_KEY} / {@link
 * #INPUT_STD_KEY} from {@link #metadata()} when present.
 *
 * @param space the search space
 * @param arch the subnet's architecture
 * @param tensors every weight, by name, in the order of {@link #layout(SearchSpace, ArchConfig)}
 * @param bnEps batch-norm epsilon
 * @param metadata free-form provenance (checkpoint checksum, seed, input normalisation...)
 */
public record Subnet(
        SearchSpace space, ArchConfig arch, Map<String, Tensor> tensors, double bnEps, Map<String, String> metadata) {

    /** Metadata key of the per-channel input mean, comma separated. */
    public static final String INPUT_MEAN_KEY = "input.mean";

    /** Metadata key of the per-channel input standard deviation, comma separated. */
    public static final String INPUT_STD_KEY = "input.std";

    private static final byte[] MAGIC = "OFA4JSUB".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;

    /** Copies the maps and checks that names and shapes match the layout. */
    public Subnet {
        space.validate(arch);
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        checkLayout(space, arch, tensors);
    }

    /**
     * Returns the names and shapes every subnet of {@code arch} must have, in layer order.
     *
     * @param space the space
     * @param arch the architecture
     * @return name to shape
     */
    public static Map<String, int[]> layout(SearchSpace space, ArchConfig arch) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (LayerSpec l : space.layers(arch)) {
            m.putAll(layerLayout(l));
        }
        return m;
    }

    /**
     * Returns the names and shapes of one layer's tensors, as they appear in a subnet's layout
     * (blocks are named by {@link LayerSpec#blockIndex()}, e.g. {@code blocks.3.dw.weight}).
     *
     * @param l the layer
     * @return name to shape, in the layer's order
     */
    public static Map<String, int[]> layerLayout(LayerSpec l) {
        Map<String, int[]> m = new LinkedHashMap<>();
        switch (l.kind()) {
            case STEM:
                m.put("stem.conv.weight", new int[] {l.outChannels(), l.inChannels(), l.kernel(), l.kernel()});
                bn(m, "stem.bn", l.outChannels());
                break;
            case BLOCK:
                String p = "blocks." + l.blockIndex() + ".";
                int h = l.hiddenChannels();
                if (l.expand() != 1) {
                    m.put(p + "expand.weight", new int[] {h, l.inChannels(), 1, 1});
                    bn(m, p + "expand.bn", h);
                }
                m.put(p + "dw.weight", new int[] {h, 1, l.kernel(), l.kernel()});
                bn(m, p + "dw.bn", h);
                if (l.se()) {
                    int r = l.seChannels();
                    m.put(p + "se.reduce.weight", new int[] {r, h, 1, 1});
                    m.put(p + "se.reduce.bias", new int[] {r});
                    m.put(p + "se.expand.weight", new int[] {h, r, 1, 1});
                    m.put(p + "se.expand.bias", new int[] {h});
                }
                m.put(p + "project.weight", new int[] {l.outChannels(), h, 1, 1});
                bn(m, p + "project.bn", l.outChannels());
                break;
            case FINAL_EXPAND:
                m.put("final_expand.conv.weight", new int[] {l.outChannels(), l.inChannels(), 1, 1});
                bn(m, "final_expand.bn", l.outChannels());
                break;
            case FEATURE_MIX:
                m.put("feature_mix.weight", new int[] {l.outChannels(), l.inChannels()});
                break;
            case CLASSIFIER:
                m.put("classifier.weight", new int[] {l.outChannels(), l.inChannels()});
                m.put("classifier.bias", new int[] {l.outChannels()});
                break;
            default:
                throw new IllegalStateException("unknown layer kind " + l.kind());
        }
        return m;
    }

    private static void bn(Map<String, int[]> m, String prefix, int c) {
        for (String s : new String[] {"gamma", "beta", "mean", "var"}) {
            m.put(prefix + "." + s, new int[] {c});
        }
    }

    private static void checkLayout(SearchSpace space, ArchConfig arch, Map<String, Tensor> tensors) {
        Map<String, int[]> want = layout(space, arch);
        for (Map.Entry<String, int[]> e : want.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException(
                        "subnet " + arch.key() + " lacks tensor '" + e.getKey() + "' of shape "
                                + Arrays.toString(e.getValue()));
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException(
                        "tensor '" + e.getKey() + "' of subnet " + arch.key() + " must have shape "
                                + Arrays.toString(e.getValue()) + ", found " + Arrays.toString(t.shape()));
            }
        }
        for (String name : tensors.keySet()) {
            if (!want.containsKey(name)) {
                throw new IllegalArgumentException(
                        "subnet " + arch.key() + " has unexpected tensor '" + name + "'");
            }
        }
    }

    /**
     * @param name a tensor name of the layout
     * @return the tensor
     * @throws IllegalArgumentException if absent
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("subnet has no tensor '" + name + "'");
        }
        return t;
    }

    /**
     * Returns a copy with more metadata.
     *
     * @param extra entries to add or replace
     * @return the new subnet
     */
    public Subnet withMetadata(Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.putAll(extra);
        return new Subnet(space, arch, tensors, bnEps, m);
    }

    // ------------------------------------------------------------------ file form

    /**
     * Saves atomically as a {@link TensorFiles} file with magic {@code OFA4JSUB}; the header holds
     * the space, arch, BN epsilon and metadata.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        Header h = new Header(SpaceJson.of(space), arch.toJsonRecord(), bnEps, metadata);
        TensorFiles.write(file, MAGIC, FORMAT_VERSION, JsonFiles.GSON.toJsonTree(h).getAsJsonObject(), "tensors", tensors);
    }

    /**
     * The JSON header of a subnet file.
     *
     * @param space the search space
     * @param arch the configuration
     * @param bnEps batch-norm epsilon
     * @param metadata provenance
     */
    record Header(SpaceJson space, ArchConfig.Json arch, Double bnEps, Map<String, String> metadata) {
        Header {
            JsonFiles.required(space, "space");
            JsonFiles.required(arch, "arch");
            JsonFiles.required(bnEps, "bn_eps");
            metadata = metadata == null ? Map.of() : metadata;
        }
    }

    /**
     * Loads a file written by {@link #save(Path)}, verifying its checksum and layout.
     *
     * @param file the file
     * @return the subnet
     * @throws IOException if the file is unreadable, truncated, corrupt or of another format
     *     version (the message names the file and the problem)
     */
    public static Subnet load(Path file) throws IOException {
        TensorFiles.Contents c =
                TensorFiles.read(file, MAGIC, "ofa4j subnet file", FORMAT_VERSION, FORMAT_VERSION, "tensors");
        try {
            Header h = JsonFiles.GSON.fromJson(c.header(), Header.class);
            return new Subnet(h.space().toSpace(), h.arch().toArch(), c.tensors(), h.bnEps(), h.metadata());
        } catch (RuntimeException e) {
            throw new IOException(file + " has an invalid subnet header: " + JsonFiles.rootMessage(e), e);
        }
    }

    /** @return the layers of this subnet */
    public List<LayerSpec> layers() {
        return space.layers(arch);
    }
}
