/**
 * Weight-sharing (elastic) layers of the OFA supernet (Cai et al., "Once-for-All", ICLR 2020):
 * every weight is allocated at its largest size; a subnet uses the leading channels and, for the
 * depthwise kernel, the centre crop passed through learned kernel-transformation matrices. Layers
 * receive their choice (a {@link ofa4j.models.LayerSpec}) in each call and keep no active state.
 */
package ofa4j.supernet.elastic;
