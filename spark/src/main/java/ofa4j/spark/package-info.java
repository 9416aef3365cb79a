/**
 * The parallel stages of ofa4j as Apache Spark jobs: the accuracy table ({@link
 * ofa4j.spark.SparkAccuracyTable}) over partitions of architectures, and fleet specialisation
 * ({@link ofa4j.spark.SparkFleet}) over partitions of targets, on an embedded {@code local[N]} Spark
 * or a standalone cluster ({@link ofa4j.spark.SparkContexts}). Executors open the supernet
 * checkpoint from a path every worker sees, check its SHA-256, work with a fixed thread count and
 * return rows or delivered slices; the driver writes the same files as in-process (the table in the
 * same order; each target's slice as sliced in-process with independent targets, {@link
 * ofa4j.slicer.IndependentFleet}). The core modules know nothing of Spark; in-process stays the
 * default.
 */
package ofa4j.spark;
