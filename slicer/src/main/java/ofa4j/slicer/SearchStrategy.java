package ofa4j.slicer;

import java.util.List;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * A constrained architecture search: finds subnets that satisfy a constraint and score high on an
 * accuracy predictor. Implementations are seeded and reproducible: the same seed and inputs give
 * the same result.
 */
public interface SearchStrategy {

    /** @return a short name, e.g. {@code evolution} */
    String name();

    /**
     * Searches a constrained space.
     *
     * @param space the space and constraint (feasibility already checked)
     * @param predictor accuracy predictor; called in batches (one call per generation or batch)
     * @param seed random seed
     * @return the result; every candidate in it satisfies the constraint
     * @throws SearchGaveUpException if bounded rejection sampling gives up (unguided policy)
     */
    SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed);

    /**
     * Checks the constraint up front, then searches.
     *
     * @param space the search space
     * @param predictor accuracy predictor
     * @param constraint the constraint
     * @param seed random seed
     * @return the result
     * @throws InfeasibleConstraintException (at once) if no subnet can satisfy the constraint
     */
    default SearchResult search(SearchSpace space, AccuracyPredictor predictor, Constraint constraint, long seed) {
        return search(new ConstrainedSpace(space, constraint, extraDevices()), predictor, seed);
    }

    /** @return latency models whose predictions candidates should carry besides the constraint's (e.g. a cost axis) */
    default List<LatencyPredictor> extraDevices() {
        return List.of();
    }
}
