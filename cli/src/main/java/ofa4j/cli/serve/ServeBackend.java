package ofa4j.cli.serve;

import java.util.List;
import java.util.concurrent.CancellationException;
import ofa4j.slicer.LruCache;

/** What the slicing server serves: a trained supernet with its predictors and device profiles. */
public interface ServeBackend {

    /** Thrown for a device name that has no profile. */
    final class UnknownDeviceException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * @param device the name asked for
         * @param known the names that exist
         */
        public UnknownDeviceException(String device, List<String> known) {
            super("unknown device '" + ApiError.shown(device) + "'; known devices: " + known);
        }
    }

    /**
     * Tells a running search that nobody waits for it any more (its clients left, or their time
     * limits passed). Searches check it between steps and stop with {@link #check()}.
     */
    interface Cancel {
        /** A token that is never cancelled. */
        Cancel NEVER = () -> false;

        /** @return whether the search should stop */
        boolean cancelled();

        /**
         * Stops the search when it was cancelled.
         *
         * @throws CancellationException if {@link #cancelled()}
         */
        default void check() {
            if (cancelled()) {
                throw new CancellationException("search cancelled: no request waits for it any more");
            }
        }
    }

    /** @return the search space and the checkpoint it was trained to */
    HttpBodies.SpaceBody space();

    /** @return the device profile names */
    List<String> devices();

    /**
     * The precisions a device can be searched in (a request of another one is refused by {@link
     * #check}): by default every one of {@link SliceRequest#PRECISIONS}.
     *
     * @param device a device of {@link #devices()}
     * @return the precisions
     */
    default List<String> precisions(String device) {
        return SliceRequest.PRECISIONS;
    }

    /**
     * Checks a request before it is queued, cheaply (no search): by default nothing.
     *
     * @param request the parsed request
     * @throws UnknownDeviceException for an unknown device
     * @throws IllegalArgumentException for a constraint no subnet can meet (message names the cheapest value)
     * @throws ApiError (422, field {@code precision}) for a precision the device has no latency profile of
     */
    default void check(SliceRequest request) {}

    /**
     * Searches the best subnet for a request (expensive: the server caches results and runs it on
     * its search threads).
     *
     * @param request the checked request
     * @param cancel polled between steps; when it is cancelled the search may stop with a {@link
     *     CancellationException}
     * @return the delivered subnet; the server adds {@code id}, {@code onnx} and {@code cached}
     * @throws UnknownDeviceException for an unknown device
     * @throws IllegalArgumentException for an impossible constraint (message names the cheapest value)
     */
    HttpBodies.SliceAnswer slice(SliceRequest request, Cancel cancel);

    /**
     * Builds the ONNX model of a result returned by {@link #slice}.
     *
     * @param result that result
     * @return the model bytes
     * @throws Exception if extraction or export fails
     */
    byte[] onnx(HttpBodies.SliceAnswer result) throws Exception;

    /** Budget axes of {@link #front}: the web page's slider moves along one of them. */
    List<String> METRICS = List.of("latency", "macs", "params");

    /**
     * The predicted Pareto front of a device along one budget axis, the range of every axis, and
     * the candidates measured so far (expensive: the server caches the front and runs it on its
     * search threads).
     *
     * @param device a device of {@link #devices()}
     * @param metric one of {@link #METRICS}
     * @param cancel polled between steps
     * @return the front
     * @throws UnsupportedOperationException by default: this backend draws no front
     */
    default HttpBodies.FrontBody front(String device, String metric, Cancel cancel) {
        throw new UnsupportedOperationException("this server has no Pareto front to show");
    }

    /**
     * The run report of the served run, as the report page shows it.
     *
     * @return its data, or null when the backend serves no run directory
     * @throws java.io.IOException naming a run file that cannot be read
     */
    default Object report() throws java.io.IOException {
        return null;
    }

    /** @return sizes and limits of the backend's own caches, for {@code GET /v1/health} (none by default) */
    default List<LruCache.Stats> caches() {
        return List.of();
    }
}
