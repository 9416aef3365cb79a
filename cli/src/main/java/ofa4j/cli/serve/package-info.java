/** {@code ofa serve}: the HTTP service that slices subnets on demand. */
package ofa4j.cli.serve;
