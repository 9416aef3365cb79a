package ofa4j.slicer;

/**
 * What every search strategy's builder has: the cost axis of the result's front. The builders extend
 * it with themselves as {@code T} (DJL's {@code BaseBuilder<T extends BaseBuilder<T>>} pattern), so
 * that the shared setters return the concrete builder: {@code
 * EvolutionSearch.builder().optFrontAxis(a).optGenerations(5)}.
 *
 * @param <T> the concrete builder
 */
public abstract class SearchBuilder<T extends SearchBuilder<T>> {

    CostAxis frontAxis = CostAxis.macs();

    /** Only this package's strategies extend it. */
    SearchBuilder() {}

    /** @return this builder, as its concrete type */
    abstract T self();

    /**
     * @param axis cost axis of the result's front (default MACs)
     * @return this builder
     */
    public T optFrontAxis(CostAxis axis) {
        this.frontAxis = axis;
        return self();
    }

    /** Checks the front axis: {@code "front axis must not be null"}. */
    void checkFrontAxis() {
        if (frontAxis == null) {
            throw new IllegalArgumentException("front axis must not be null");
        }
    }

    /**
     * The builder of a strategy that draws random feasible subnets: the caps of its rejection sampling
     * besides the front axis.
     *
     * @param <T> the concrete builder
     */
    public abstract static class Sampling<T extends Sampling<T>> extends SearchBuilder<T> {

        RejectionPolicy rejection = RejectionPolicy.DEFAULT;

        Sampling() {}

        /**
         * @param policy caps of rejection sampling (default {@link RejectionPolicy#DEFAULT})
         * @return this builder
         */
        public T optRejection(RejectionPolicy policy) {
            this.rejection = policy;
            return self();
        }

        /** Checks the rejection policy and the front axis: {@code "rejection policy and front axis must not be null"}. */
        void checkSampling() {
            if (rejection == null || frontAxis == null) {
                throw new IllegalArgumentException("rejection policy and front axis must not be null");
            }
        }
    }

    /**
     * The builder of a strategy that mutates subnets: its two
     * mutation probabilities besides rejection sampling and the front axis.
     *
     * @param <T> the concrete builder
     */
    public abstract static class Mutating<T extends Mutating<T>> extends Sampling<T> {

        double archMutateProb = 0.1;
        double resolutionMutateProb = 0.5;

        Mutating() {}

        /**
         * @param p probability of resampling each kernel, expand ratio and stage depth (default 0.1)
         * @return this builder
         */
        public T optArchMutateProb(double p) {
            this.archMutateProb = p;
            return self();
        }

        /**
         * @param p probability of resampling the resolution in a mutation (default 0.5)
         * @return this builder
         */
        public T optResolutionMutateProb(double p) {
            this.resolutionMutateProb = p;
            return self();
        }

        /** Checks both probabilities, each named with its value. */
        void checkMutation() {
            if (!(archMutateProb >= 0 && archMutateProb <= 1)) {
                throw new IllegalArgumentException("arch mutation probability must be in [0, 1], found " + archMutateProb);
            }
            if (!(resolutionMutateProb >= 0 && resolutionMutateProb <= 1)) {
                throw new IllegalArgumentException(
                        "resolution mutation probability must be in [0, 1], found " + resolutionMutateProb);
            }
        }
    }
}
