package ofa4j.exporter;

import ofa4j.models.Tensor;

/**
 * Supplies the weights that {@link LayerEmitter} asks for, by their {@link ofa4j.models.Subnet}
 * name and expected shape: a subnet's trained tensors for a whole-model export, or seeded random
 * tensors for a single-layer timing model.
 */
interface WeightSource {

    /**
     * Returns the tensor of this name, which must have this shape and only finite values.
     *
     * @param name a tensor name of {@link ofa4j.models.Subnet}'s layout
     * @param shape the shape the emitter needs
     * @param role what the tensor is, used by random sources to pick a plausible range
     * @return the tensor
     * @throws IllegalArgumentException if it is absent, misshapen or not finite
     */
    Tensor get(String name, int[] shape, Role role);

    /** What a requested tensor is. */
    enum Role {
        /** Conv or linear weight. */
        WEIGHT,
        /** Conv or linear bias. */
        BIAS,
        /** BN scale. */
        BN_GAMMA,
        /** BN shift. */
        BN_BETA,
        /** BN running mean. */
        BN_MEAN,
        /** BN running variance (must be > -eps). */
        BN_VAR
    }
}
