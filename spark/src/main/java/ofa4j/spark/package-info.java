/**
 * The parallel stages of ofa4j as Apache Spark jobs: the accuracy table ({@link
 * ofa4j.spark.SparkAccuracyTable}) over partitions of architectures, on an embedded {@code local[N]}
 * Spark or a standalone cluster ({@link ofa4j.spark.SparkContexts}). Executors open the supernet
 * checkpoint from a path every worker sees, check its SHA-256, score their subnets with a fixed
 * thread count and return rows; the driver appends them to the same {@code accuracy.jsonl} as the
 * in-process builder, in the same order, so a table built on Spark equals the in-process one. The
 * core modules know nothing of Spark; in-process stays the default.
 */
package ofa4j.spark;
