package ofa4j.cli.serve;

import java.util.Map;

/**
 * A request the server answers with an error status: the status, the offending field (or header)
 * when there is one, one message saying what is wrong and what is allowed, and extra response
 * headers ({@code Retry-After}, {@code WWW-Authenticate}). Written as {@link HttpBodies.ErrorBody}.
 */
public final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String field;
    private final transient Map<String, String> headers;

    /**
     * @param status HTTP status
     * @param field offending field or header, or null
     * @param message what is wrong and what is allowed
     * @param headers extra response headers
     */
    public ApiError(int status, String field, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.field = field;
        this.headers = Map.copyOf(headers);
    }

    /**
     * @param status HTTP status
     * @param field offending field or header, or null
     * @param message what is wrong and what is allowed
     */
    public ApiError(int status, String field, String message) {
        this(status, field, message, Map.of());
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the offending field or header, or null */
    public String field() {
        return field;
    }

    /** @return extra response headers */
    public Map<String, String> headers() {
        return headers;
    }

    /** @return the JSON body */
    public HttpBodies.ErrorBody body() {
        return new HttpBodies.ErrorBody(getMessage(), field, status);
    }

    /**
     * Shortens a value from a request for an error message (a request may send anything).
     *
     * @param s the value
     * @return it, cut to 80 characters
     */
    static String shown(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
