/**
 * Functional building blocks shared by the elastic supernet and the static (fixed) networks:
 * convolution, batch norm (train, eval and BN-recalibration modes), the MobileNetV3
 * activations written without boxed scalars (see DJL notes, pitfall 1), and the forward context
 * that owns every temporary array of one pass.
 */
package ofa4j.supernet.ops;
