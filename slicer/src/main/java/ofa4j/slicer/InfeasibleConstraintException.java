package ofa4j.slicer;

import java.util.Map;

/**
 * Thrown before any search when no subnet of the space can satisfy a constraint: a bound lies
 * below the cheapest value the space can reach (the smallest subnet's cost), or the resolution
 * bounds exclude every resolution of the space. The message names each such bound with the
 * cheapest achievable value (or the allowed resolutions).
 */
public final class InfeasibleConstraintException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Map<String, Double> cheapest;

    /**
     * @param message what is impossible and the cheapest achievable values
     * @param cheapest cheapest achievable value of each bound, by bound name ({@code macs},
     *     {@code params}, {@code peak_memory_bytes}, {@code latency_ms[device]})
     */
    public InfeasibleConstraintException(String message, Map<String, Double> cheapest) {
        super(message);
        this.cheapest = Map.copyOf(cheapest);
    }

    /** @return the cheapest achievable value of each bound of the space, by bound name */
    public Map<String, Double> cheapest() {
        return cheapest;
    }
}
