package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.Map;
import ofa4j.exporter.onnx.AttributeProto;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.OperatorSetIdProto;
import ofa4j.exporter.onnx.StringStringEntryProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.exporter.onnx.TensorShapeProto;
import ofa4j.exporter.onnx.TypeProto;
import ofa4j.exporter.onnx.ValueInfoProto;
import org.junit.jupiter.api.Test;

/**
 * Pins every field number of our schema to the official onnx/onnx.proto, copied here by hand from
 * the upstream file, so that an edit of onnx_subset.proto cannot silently write non-ONNX bytes.
 */
class OnnxSchemaTest {

    private static void numbers(Descriptor d, Map<String, Integer> official) {
        for (Map.Entry<String, Integer> e : official.entrySet()) {
            FieldDescriptor f = d.findFieldByName(e.getKey());
            assertNotNull(f, d.getName() + "." + e.getKey() + " is missing");
            assertEquals(e.getValue(), f.getNumber(), d.getName() + "." + e.getKey());
        }
        assertEquals(official.size(), d.getFields().size(), d.getName() + " has fields not pinned here");
    }

    @Test
    void fieldNumbersAreOnnxs() {
        numbers(ModelProto.getDescriptor(), Map.of("ir_version", 1, "producer_name", 2, "producer_version", 3,
                "domain", 4, "model_version", 5, "doc_string", 6, "graph", 7, "opset_import", 8, "metadata_props", 14));
        numbers(GraphProto.getDescriptor(), Map.of("node", 1, "name", 2, "initializer", 5, "doc_string", 10,
                "input", 11, "output", 12, "value_info", 13));
        numbers(NodeProto.getDescriptor(), Map.of("input", 1, "output", 2, "name", 3, "op_type", 4, "attribute", 5,
                "doc_string", 6, "domain", 7));
        numbers(AttributeProto.getDescriptor(), Map.of("name", 1, "f", 2, "i", 3, "s", 4, "t", 5, "floats", 7,
                "ints", 8, "strings", 9, "doc_string", 13, "type", 20));
        numbers(TensorProto.getDescriptor(), Map.of("dims", 1, "data_type", 2, "float_data", 4, "int64_data", 7,
                "name", 8, "raw_data", 9, "doc_string", 12));
        numbers(ValueInfoProto.getDescriptor(), Map.of("name", 1, "type", 2, "doc_string", 3));
        numbers(TypeProto.getDescriptor(), Map.of("tensor_type", 1, "denotation", 6));
        numbers(TypeProto.Tensor.getDescriptor(), Map.of("elem_type", 1, "shape", 2));
        numbers(TensorShapeProto.getDescriptor(), Map.of("dim", 1));
        numbers(TensorShapeProto.Dimension.getDescriptor(), Map.of("dim_value", 1, "dim_param", 2, "denotation", 3));
        numbers(OperatorSetIdProto.getDescriptor(), Map.of("domain", 1, "version", 2));
        numbers(StringStringEntryProto.getDescriptor(), Map.of("key", 1, "value", 2));
    }

    @Test
    void enumValuesAndWireFormAreOnnxs() {
        assertEquals(1, AttributeProto.AttributeType.FLOAT_VALUE);
        assertEquals(2, AttributeProto.AttributeType.INT_VALUE);
        assertEquals(7, AttributeProto.AttributeType.INTS_VALUE);
        assertEquals(1, TensorProto.DataType.FLOAT_VALUE);
        assertEquals(7, TensorProto.DataType.INT64_VALUE);
        // onnx.proto declares these repeated scalars without [packed = true]
        assertFalse(AttributeProto.getDescriptor().findFieldByName("ints").isPacked());
        assertFalse(AttributeProto.getDescriptor().findFieldByName("floats").isPacked());
        assertFalse(TensorProto.getDescriptor().findFieldByName("dims").isPacked());
    }
}
