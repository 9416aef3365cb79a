package ofa4j.cli.serve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may ask: the {@code Host} header must name an allowed host (a page on another site that
 * rebinds its DNS name to this address sends its own name, so it gets 403 and cannot read
 * answers), and when a token is set, {@code Authorization: Bearer <token>} must carry it (401
 * otherwise, compared in constant time).
 */
final class Access {

    /** Hosts every server allows: the loopback names. */
    static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

    /** Realm of the {@code WWW-Authenticate} challenge. */
    static final String REALM = "ofa serve";

    private final Set<String> hosts;
    private final boolean anyHost;
    private final byte[] tokenSha;

    /**
     * @param hosts allowed host names or addresses, without port ({@code *} allows any)
     * @param token the bearer token, or null for none
     */
    Access(Collection<String> hosts, String token) {
        TreeSet<String> h = new TreeSet<>();
        boolean any = false;
        for (String s : hosts) {
            if (s.equals("*")) {
                any = true;
            } else {
                h.add(normalise(s));
            }
        }
        this.hosts = Set.copyOf(h);
        this.anyHost = any;
        this.tokenSha = token == null ? null : sha256(token);
    }

    /** @return the allowed hosts, sorted ({@code *} when any host is) */
    Set<String> hosts() {
        if (anyHost) {
            return Set.of("*");
        }
        return new TreeSet<>(hosts);
    }

    /** @return whether requests need a bearer token */
    boolean tokenRequired() {
        return tokenSha != null;
    }

    /**
     * Checks one request.
     *
     * @param hostHeader its {@code Host} header, or null
     * @param authorization its {@code Authorization} header, or null
     * @throws ApiError 403 naming the host, or 401 with a {@code WWW-Authenticate} challenge
     */
    void check(String hostHeader, String authorization) {
        check(hostHeader, authorization, true);
    }

    /**
     * Checks one request, with or without its token: the page's own files (HTML, scripts, styles:
     * code, no data) are served to any allowed host so that a browser can load the page, which
     * then sends the token with every data request.
     *
     * @param hostHeader its {@code Host} header, or null
     * @param authorization its {@code Authorization} header, or null
     * @param needsToken whether the token rule applies
     * @throws ApiError 403 naming the host, or 401 with a {@code WWW-Authenticate} challenge
     */
    void check(String hostHeader, String authorization, boolean needsToken) {
        if (!anyHost) {
            if (hostHeader == null || hostHeader.isBlank()) {
                throw new ApiError(403, "Host", "a Host header is required; allowed hosts: " + hosts
                        + " (ofa serve --allow-host adds one)");
            }
            String host = hostOf(hostHeader);
            if (!hosts.contains(host)) {
                throw new ApiError(403, "Host", "host '" + ApiError.shown(host) + "' is not allowed; allowed hosts: " + hosts
                        + " (ofa serve --allow-host adds one)");
            }
        }
        if (tokenSha == null || !needsToken) {
            return;
        }
        String challenge = "Bearer realm=\"" + REALM + "\"";
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiError(401, "Authorization", "this server needs 'Authorization: Bearer <token>'",
                    Map.of("WWW-Authenticate", challenge));
        }
        byte[] given = sha256(authorization.substring(7).trim());
        if (!MessageDigest.isEqual(given, tokenSha)) { // constant time; equal lengths (digests)
            throw new ApiError(401, "Authorization", "the bearer token is not this server's",
                    Map.of("WWW-Authenticate", challenge + ", error=\"invalid_token\""));
        }
    }

    /**
     * The host of a {@code Host} header value: lower case, without the port; an IPv6 literal keeps
     * its brackets.
     *
     * @param header the header value
     * @return the host
     */
    static String hostOf(String header) {
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon >= 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
    }

    /** An allowed host as a {@code Host} header carries it: lower case, IPv6 literals in brackets. */
    static String normalise(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
            return "[" + h + "]";
        }
        return h;
    }

    /**
     * Whether an address to bind is loopback only.
     *
     * @param bind the address
     * @return true for a loopback address (127.0.0.0/8, ::1, localhost)
     */
    static boolean loopback(String bind) {
        try {
            return InetAddress.getByName(bind.startsWith("[") ? bind.substring(1, bind.length() - 1) : bind)
                    .isLoopbackAddress();
        } catch (UnknownHostException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
