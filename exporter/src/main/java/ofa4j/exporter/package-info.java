/**
 * Exports {@link ofa4j.models.Subnet}s to ONNX through ofa4j's own protobuf schema of ONNX
 * ({@link ofa4j.exporter.OnnxExporter}), builds single-layer models for latency profiling, and
 * checks exported models in ONNX Runtime ({@link ofa4j.exporter.Verifier}).
 */
package ofa4j.exporter;
