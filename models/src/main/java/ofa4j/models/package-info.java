/**
 * The plain-Java heart of ofa4j: the OFA MobileNetV3 {@link ofa4j.models.SearchSpace}, subnet
 * descriptions ({@link ofa4j.models.ArchConfig}), sampling, mutation and crossover, the predictor
 * encoding ({@link ofa4j.models.ArchEncoding}), the analytic {@link ofa4j.models.CostModel} and
 * standalone weights ({@link ofa4j.models.Subnet}). No deep-learning engine is needed here.
 */
package ofa4j.models;
