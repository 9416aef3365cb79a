package ofa4j.exporter;

import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import ofa4j.exporter.onnx.AttributeProto;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.exporter.onnx.TensorShapeProto;
import ofa4j.exporter.onnx.TypeProto;
import ofa4j.exporter.onnx.ValueInfoProto;

/**
 * Collects the nodes, initializers, inputs and outputs of one ONNX graph, keeping every value name
 * unique (ONNX graphs are in SSA form) and the nodes in the order they are added, which is
 * topological because a node can only consume names that already exist.
 */
final class OnnxGraph {

    /** ONNX {@code TensorProto.DataType.FLOAT}. */
    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

    private final List<NodeProto.Builder> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private long initializerBytes;

    /**
     * Declares a float graph input; a dimension is an {@link Integer} (fixed size) or a {@link
     * String} (symbolic, e.g. the batch "N").
     */
    String input(String name, Object... dims) {
        claim(name);
        inputs.add(valueInfo(name, dims));
        return name;
    }

    /** Declares a float graph output produced by an existing node. */
    void output(String name, Object... dims) {
        if (!names.contains(name)) {
            throw new IllegalStateException("graph output '" + name + "' is produced by no node");
        }
        outputs.add(valueInfo(name, dims));
    }

    /**
     * Adds a float32 initializer stored as little-endian raw data.
     *
     * @return its name
     */
    String initializer(String name, int[] shape, float[] data) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalStateException(
                    "initializer '" + name + "' of shape " + Arrays.toString(shape) + " needs " + n
                            + " values, found " + data.length);
        }
        claim(name);
        ByteBuffer bb = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(data);
        byte[] raw = bb.array();
        // A truncated raw_data passes onnx's checker but ONNX Runtime refuses it: check it here.
        if (raw.length != n * Float.BYTES) {
            throw new IllegalStateException("raw data of '" + name + "' has " + raw.length + " bytes, not " + n * 4);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
        for (int d : shape) {
            t.addDims(d);
        }
        // raw is never touched again, so protobuf may keep it without a copy
        initializers.add(t.setRawData(UnsafeByteOperations.unsafeWrap(raw)).build());
        initializerBytes += raw.length;
        return name;
    }

    /**
     * Adds a node with one output, named after the node.
     *
     * @param opType ONNX operator (default domain)
     * @param name node name, also its output's name; must be unused
     * @param in input value names, all existing
     * @param attributes attributes
     * @return the output name
     */
    String node(String opType, String name, List<String> in, AttributeProto... attributes) {
        for (String i : in) {
            if (!i.isEmpty() && !names.contains(i)) { // "" is ONNX's omitted optional input
                throw new IllegalStateException("node '" + name + "' consumes '" + i + "', which no node produced");
            }
        }
        claim(name);
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(name).addAllInput(in).addOutput(name);
        for (AttributeProto a : attributes) {
            b.addAttribute(a);
        }
        nodes.add(b);
        return name;
    }

    /** Renames the output of the node that produces {@code from} (a graph's final value). */
    void renameOutput(String from, String to) {
        claim(to);
        for (NodeProto.Builder n : nodes) {
            for (int i = 0; i < n.getInputCount(); i++) {
                if (n.getInput(i).equals(from)) {
                    throw new IllegalStateException("cannot rename '" + from + "': node " + n.getName() + " consumes it");
                }
            }
        }
        for (NodeProto.Builder n : nodes) {
            for (int i = 0; i < n.getOutputCount(); i++) {
                if (n.getOutput(i).equals(from)) {
                    n.setOutput(i, to);
                    names.remove(from);
                    return;
                }
            }
        }
        throw new IllegalStateException("no node produces '" + from + "'");
    }

    /** @return bytes of initializer data so far */
    long initializerBytes() {
        return initializerBytes;
    }

    GraphProto build(String name, String docString) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(name).setDocString(docString);
        for (NodeProto.Builder n : nodes) {
            g.addNode(n.build());
        }
        return g.addAllInitializer(initializers).addAllInput(inputs).addAllOutput(outputs).build();
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("value name '" + name + "' is used twice");
        }
    }

    private static ValueInfoProto valueInfo(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof Integer i) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(i));
            } else if (d instanceof String s) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            } else {
                throw new IllegalStateException("dimension must be an Integer or a String, found " + d);
            }
        }
        TypeProto type =
                TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape))
                        .build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    // ------------------------------------------------------------------ attributes (type always set)

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }
}
