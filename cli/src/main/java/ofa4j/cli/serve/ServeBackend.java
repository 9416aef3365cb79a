package ofa4j.cli.serve;

import java.util.List;

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
            super("unknown device '" + device + "'; known devices: " + known);
        }
    }

    /** @return the search space and the checkpoint it was trained to */
    HttpBodies.SpaceBody space();

    /** @return the device profile names */
    List<String> devices();

    /**
     * Searches the best subnet for a request (expensive: the server caches results).
     *
     * @param request the checked request
     * @return the delivered subnet; the server adds {@code id}, {@code onnx} and {@code cached}
     * @throws UnknownDeviceException for an unknown device
     * @throws IllegalArgumentException for an impossible constraint (message names the cheapest value)
     */
    HttpBodies.SliceAnswer slice(SliceRequest request);

    /**
     * Builds the ONNX model of a result returned by {@link #slice(SliceRequest)}.
     *
     * @param result that result
     * @return the model bytes
     * @throws Exception if extraction or export fails
     */
    byte[] onnx(HttpBodies.SliceAnswer result) throws Exception;
}
