package ofa4j.slicer;

/**
 * Thrown when bounded rejection sampling found no subnet satisfying a constraint within its cap of
 * attempts (OFA's own loops never stop). The message names the constraint, the number of attempts
 * and the cheapest cost seen for every bound.
 */
public final class SearchGaveUpException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** @param message the constraint, the attempts and the cheapest costs seen */
    public SearchGaveUpException(String message) {
        super(message);
    }
}
