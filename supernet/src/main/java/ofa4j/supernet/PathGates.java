package ofa4j.supernet;

import ai.djl.ndarray.NDArray;
import ofa4j.models.LayerSpec;

/**
 * Scalar gates on the paths of one forward pass ({@link Supernet#forwardGated}): the gradient of a
 * loss with respect to a gate of value 1 is how much the loss would change if that path's
 * contribution were scaled, which is the straight-through signal of single-path gradient-based
 * architecture search (ProxylessNAS's binary gates, Cai et al., ICLR 2019; FBNet's Gumbel-softmax,
 * Wu et al., CVPR 2019). A gated block computes {@code in + g x (block(in) - in)} when it has a
 * residual connection and {@code g x block(in)} otherwise; a logits gate scales the logits.
 */
@FunctionalInterface
public interface PathGates {

    /**
     * Returns the gate of an active block.
     *
     * @param index the block's position among the active blocks, in network order (0 = first)
     * @param layer the block's layer
     * @return a scalar NDArray (usually of value 1, with gradient), or null for no gate
     */
    NDArray block(int index, LayerSpec layer);

    /** @return the gate of the logits, or null for none (the default) */
    default NDArray logits() {
        return null;
    }
}
