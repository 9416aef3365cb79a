package ofa4j.slicer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;

/**
 * A search space restricted by a {@link Constraint}: computes the costs of subnets, checks the
 * constraint, and samples, mutates and crosses subnets with bounded rejection sampling.
 *
 * <p>The constructor checks feasibility up front (no search ever loops on an impossible
 * constraint): the cheapest achievable value of each bound is the cost of the space's smallest
 * subnet (min kernel, expand and depth everywhere) at each allowed resolution, minimised over
 * those resolutions; for latency bounds the device's predicted latency of that subnet at each
 * allowed resolution. A bound below its cheapest value, resolution bounds that exclude every
 * resolution of the space, or bounds that no smallest subnet meets jointly raise {@link
 * InfeasibleConstraintException} naming the cheapest values (or the allowed resolutions).
 */
public final class ConstrainedSpace {

    private final SearchSpace space;
    private final Constraint constraint;
    private final CostTable table;
    private final List<Integer> resolutions;
    private final List<LatencyPredictor> devices;
    private final double[] maxLatency;
    private final List<ArchConfig> anchors;
    private final Map<String, Double> cheapest;

    /**
     * Restricts a space and checks feasibility.
     *
     * @param space the search space
     * @param constraint the constraint
     * @param extraDevices latency models whose predictions every accepted subnet's {@link ArchCosts}
     *     should also carry (e.g. a Pareto cost axis); may be empty
     * @throws InfeasibleConstraintException if no subnet can satisfy the constraint
     */
    public ConstrainedSpace(SearchSpace space, Constraint constraint, List<LatencyPredictor> extraDevices) {
        this(space, constraint, extraDevices, new CostTable(space));
    }

    /**
     * Restricts a space (sharing a cost table, e.g. across a fleet) and checks feasibility.
     *
     * @param space the search space
     * @param constraint the constraint
     * @param extraDevices latency models whose predictions accepted subnets also carry
     * @param table the cost table of {@code space}
     * @throws InfeasibleConstraintException if no subnet can satisfy the constraint
     */
    public ConstrainedSpace(
            SearchSpace space, Constraint constraint, List<LatencyPredictor> extraDevices, CostTable table) {
        if (table.space() != space && !table.space().equals(space)) {
            throw new IllegalArgumentException("cost table of space " + table.space().name()
                    + " does not belong to space " + space.name());
        }
        this.space = space;
        this.constraint = constraint;
        this.table = table;
        this.resolutions = allowedResolutions(space, constraint);
        List<LatencyPredictor> given = new ArrayList<>();
        List<LatencyPredictor> devs = new ArrayList<>();
        List<Double> bounds = new ArrayList<>();
        for (Constraint.LatencyBound b : constraint.latencyBounds()) {
            given.add(b.predictor());
            devs.add(TabulatedLatency.of(b.predictor()));
            bounds.add(b.maxMs());
        }
        for (LatencyPredictor p : extraDevices) {
            if (given.stream().noneMatch(d -> d == p || d.deviceName().equals(p.deviceName()))) {
                given.add(p);
                devs.add(TabulatedLatency.of(p));
                bounds.add(Double.POSITIVE_INFINITY);
            }
        }
        this.devices = List.copyOf(devs);
        this.maxLatency = bounds.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Double> cheap = new LinkedHashMap<>();
        List<ArchConfig> feasible = new ArrayList<>();
        List<String> perResolution = new ArrayList<>();
        for (int r : resolutions) {
            ArchConfig min = minConfig(r);
            ArchCosts c = costs(min);
            cheap.merge("macs", (double) c.macs(), Math::min);
            cheap.merge("params", (double) c.params(), Math::min);
            cheap.merge("peak_memory_bytes", (double) c.peakActivationBytes(), Math::min);
            for (Constraint.LatencyBound b : constraint.latencyBounds()) {
                String dev = b.predictor().deviceName();
                cheap.merge("latency_ms[" + dev + "]", c.latencyMs(dev), Math::min);
            }
            if (satisfies(c)) {
                feasible.add(min);
            }
            perResolution.add("r" + r + ": " + describeCosts(c, true));
        }
        this.cheapest = Map.copyOf(cheap);
        List<String> violations = new ArrayList<>();
        for (Constraint.LatencyBound b : constraint.latencyBounds()) {
            String dev = b.predictor().deviceName();
            double v = cheap.get("latency_ms[" + dev + "]");
            if (b.maxMs() < v) {
                violations.add(String.format(Locale.ROOT,
                        "max latency %.3f ms on %s is below the cheapest achievable %.3f ms", b.maxMs(), dev, v));
            }
        }
        bound(violations, constraint.maxMacs(), cheap.get("macs"), "max MACs", false);
        bound(violations, constraint.maxParams(), cheap.get("params"), "max params", false);
        bound(violations, constraint.maxPeakMemoryBytes(), cheap.get("peak_memory_bytes"), "max peak memory", true);
        if (!violations.isEmpty()) {
            throw new InfeasibleConstraintException(
                    "impossible constraint (" + constraint.describe() + ") for space " + space.name()
                            + " at resolutions " + resolutions + ": " + String.join("; ", violations)
                            + " (the smallest subnet: min kernel, expand and depth)", cheapest);
        }
        if (feasible.isEmpty()) {
            throw new InfeasibleConstraintException(
                    "impossible constraint (" + constraint.describe() + ") for space " + space.name()
                            + ": each bound alone is achievable but the smallest subnet meets them jointly at no"
                            + " allowed resolution; its costs: " + String.join("; ", perResolution), cheapest);
        }
        this.anchors = List.copyOf(feasible);
    }

    private static void bound(List<String> out, Long max, double cheapest, String what, boolean bytes) {
        if (max != null && max < cheapest) {
            long c = (long) cheapest;
            out.add(what + " " + (bytes ? Constraint.formatBytes(max) : Constraint.formatCount(max))
                    + " is below the cheapest achievable " + (bytes ? Constraint.formatBytes(c) : Constraint.formatCount(c)));
        }
    }

    /**
     * Restricts a space without extra devices.
     *
     * @param space the search space
     * @param constraint the constraint
     * @return the constrained space
     * @throws InfeasibleConstraintException if no subnet can satisfy the constraint
     */
    public static ConstrainedSpace of(SearchSpace space, Constraint constraint) {
        return new ConstrainedSpace(space, constraint, List.of());
    }

    /**
     * Returns the resolutions of the space that the constraint's resolution bounds allow.
     *
     * @param space the space
     * @param constraint the constraint
     * @return the allowed resolutions, ascending, not empty
     * @throws InfeasibleConstraintException if the bounds exclude every resolution; the message lists
     *     the space's resolutions
     */
    public static List<Integer> allowedResolutions(SearchSpace space, Constraint constraint) {
        List<Integer> out = new ArrayList<>();
        for (int r : space.resolutions()) {
            if ((constraint.minResolution() == null || r >= constraint.minResolution())
                    && (constraint.maxResolution() == null || r <= constraint.maxResolution())) {
                out.add(r);
            }
        }
        if (out.isEmpty()) {
            throw new InfeasibleConstraintException(
                    "resolution bounds [" + (constraint.minResolution() == null ? "-" : constraint.minResolution())
                            + ", " + (constraint.maxResolution() == null ? "-" : constraint.maxResolution())
                            + "] exclude every resolution of space " + space.name() + "; allowed resolutions: "
                            + space.resolutions(), Map.of());
        }
        return List.copyOf(out);
    }

    /** @return the search space */
    public SearchSpace space() {
        return space;
    }

    /** @return the constraint */
    public Constraint constraint() {
        return constraint;
    }

    /** @return the cost table */
    public CostTable table() {
        return table;
    }

    /** @return the resolutions the constraint allows, ascending */
    public List<Integer> resolutions() {
        return resolutions;
    }

    /**
     * Returns the latency models every {@link ArchCosts} of this space carries: the constraint's,
     * then extras ({@link DeviceProfile}s replaced by their exact {@link TabulatedLatency}).
     *
     * @return the models
     */
    public List<LatencyPredictor> devices() {
        return devices;
    }

    /**
     * Returns the cheapest achievable value of each bound (see the class comment), by name: {@code
     * macs}, {@code params}, {@code peak_memory_bytes}, {@code latency_ms[device]}.
     *
     * @return the values
     */
    public Map<String, Double> cheapestAchievable() {
        return cheapest;
    }

    /** @return the smallest subnets (one per allowed resolution) that satisfy the constraint */
    public List<ArchConfig> feasibleMinConfigs() {
        return anchors;
    }

    /**
     * Returns the smallest subnet of the space at one resolution.
     *
     * @param resolution the input resolution
     * @return min kernel, expand and depth everywhere
     */
    public ArchConfig minConfig(int resolution) {
        return space.uniform(space.kernels().get(0), space.expandRatios().get(0), space.depths().get(0), resolution);
    }

    /**
     * Computes all costs of a subnet (MACs, params, peak memory, latency on every device of {@link
     * #devices()}).
     *
     * @param arch the subnet
     * @return its costs
     */
    public ArchCosts costs(ArchConfig arch) {
        CostModel.Cost c = table.cost(arch);
        return new ArchCosts(c.macs(), c.params(), c.peakActivationBytes(), latencies(arch));
    }

    private Map<String, Double> latencies(ArchConfig arch) {
        if (devices.isEmpty()) {
            return Map.of();
        }
        if (devices.size() == 1) {
            return Map.of(devices.get(0).deviceName(), devices.get(0).predictMs(arch));
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (LatencyPredictor d : devices) {
            m.put(d.deviceName(), d.predictMs(arch));
        }
        return m;
    }

    /**
     * Returns whether costs satisfy every bound (resolution bounds are checked by {@link
     * #satisfies(ArchConfig)}).
     *
     * @param c the costs
     * @return true if within all cost bounds
     */
    public boolean satisfies(ArchCosts c) {
        if (constraint.maxMacs() != null && c.macs() > constraint.maxMacs()) {
            return false;
        }
        if (constraint.maxParams() != null && c.params() > constraint.maxParams()) {
            return false;
        }
        if (constraint.maxPeakMemoryBytes() != null && c.peakActivationBytes() > constraint.maxPeakMemoryBytes()) {
            return false;
        }
        for (Constraint.LatencyBound b : constraint.latencyBounds()) {
            if (c.latencyMs(b.predictor().deviceName()) > b.maxMs()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns whether a subnet lies in the space and satisfies every bound, resolution included.
     *
     * @param arch the subnet
     * @return true if it does
     */
    public boolean satisfies(ArchConfig arch) {
        return space.contains(arch) && resolutions.contains(arch.resolution()) && satisfies(costs(arch));
    }

    // ------------------------------------------------------------------ bounded rejection sampling

    /** A subnet that satisfies the constraint, with its costs. */
    record Feasible(ArchConfig arch, ArchCosts costs) {}

    /**
     * Checks one attempt, cheapest bounds first, recording its costs in {@code log}.
     *
     * @return the feasible subnet, or null if a bound is violated
     */
    Feasible tryAccept(ArchConfig arch, RejectionLog log) {
        log.attempts++;
        CostModel.Cost c = table.cost(arch);
        log.seen(c);
        boolean ok = (constraint.maxMacs() == null || c.macs() <= constraint.maxMacs())
                && (constraint.maxParams() == null || c.params() <= constraint.maxParams())
                && (constraint.maxPeakMemoryBytes() == null || c.peakActivationBytes() <= constraint.maxPeakMemoryBytes());
        if (!ok) {
            return null;
        }
        Map<String, Double> lat;
        if (devices.isEmpty()) {
            lat = Map.of();
        } else {
            double[] v = new double[devices.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = devices.get(i).predictMs(arch);
                log.seenLatency(i, v[i]);
                if (v[i] > maxLatency[i]) {
                    return null;
                }
            }
            if (v.length == 1) {
                lat = Map.of(devices.get(0).deviceName(), v[0]);
            } else {
                lat = new LinkedHashMap<>();
                for (int i = 0; i < v.length; i++) {
                    lat.put(devices.get(i).deviceName(), v[i]);
                }
            }
        }
        return new Feasible(arch, new ArchCosts(c.macs(), c.params(), c.peakActivationBytes(), lat));
    }

    /** Starts a log of rejection sampling for one search. */
    RejectionLog newLog() {
        return new RejectionLog(devices.size());
    }

    private static <T> T pick(List<T> values, RandomGenerator rng) {
        return values.get(rng.nextInt(values.size()));
    }

    /**
     * Draws a uniform subnet at an allowed resolution until one satisfies the constraint (OFA's
     * {@code random_valid_sample}), capped by the policy.
     *
     * @throws SearchGaveUpException when an unguided policy runs out of attempts
     */
    Feasible sample(RandomGenerator rng, RejectionPolicy policy, RejectionLog log) {
        int uniformAttempts = policy.guided() ? Math.max(1, policy.maxAttempts() / 2) : policy.maxAttempts();
        int guidedAttempts = policy.maxAttempts() - uniformAttempts;
        for (int a = 0; a < policy.maxAttempts(); a++) {
            ArchConfig arch =
                    space.sample(rng, space.kernels(), space.expandRatios(), space.depths(), resolutions);
            if (a >= uniformAttempts) {
                double bias = (a - uniformAttempts + 1) / (double) guidedAttempts;
                arch = towards(arch, pick(anchors, rng), bias, rng);
            }
            Feasible f = tryAccept(arch, log);
            if (f != null) {
                if (a >= uniformAttempts) {
                    log.guidedSamples++;
                }
                return f;
            }
        }
        if (policy.guided()) {
            // unreachable in theory: the last guided attempt is a feasible anchor
            Feasible f = tryAccept(anchors.get(0), log);
            if (f != null) {
                return f;
            }
        }
        log.sampleGiveUps++;
        throw new SearchGaveUpException(
                "random sampling gave up after " + policy.maxAttempts() + " attempts: no subnet of space "
                        + space.name() + " satisfied (" + constraint.describe() + "); cheapest seen: "
                        + log.cheapestSeen(devices) + "; cheapest achievable: " + describeCheapest()
                        + " (use a guided RejectionPolicy, more attempts or a looser bound)");
    }

    /** Takes every gene from {@code anchor} with probability {@code bias}, else from {@code arch}. */
    private ArchConfig towards(ArchConfig arch, ArchConfig anchor, double bias, RandomGenerator rng) {
        if (bias >= 1) {
            return anchor;
        }
        List<BlockChoice> blocks = new ArrayList<>(arch.blocks().size());
        for (int i = 0; i < arch.blocks().size(); i++) {
            BlockChoice x = arch.blocks().get(i);
            BlockChoice y = anchor.blocks().get(i);
            int k = rng.nextDouble() < bias ? y.kernel() : x.kernel();
            int e = rng.nextDouble() < bias ? y.expand() : x.expand();
            blocks.add(new BlockChoice(k, e));
        }
        List<Integer> ds = new ArrayList<>(arch.depths().size());
        for (int s = 0; s < arch.depths().size(); s++) {
            ds.add(rng.nextDouble() < bias ? anchor.depths().get(s) : arch.depths().get(s));
        }
        int r = rng.nextDouble() < bias ? anchor.resolution() : arch.resolution();
        return new ArchConfig(blocks, ds, r);
    }

    /**
     * Mutates a feasible parent until the child is feasible (OFA's {@code mutate_sample}: each
     * kernel, expand ratio and depth resampled with {@code archProb}, the resolution with {@code
     * resolutionProb}, among the allowed resolutions); after the cap, returns the parent and counts a
     * give-up.
     */
    Feasible mutate(Feasible parent, RandomGenerator rng, double archProb, double resolutionProb,
            RejectionPolicy policy, RejectionLog log) {
        for (int a = 0; a < policy.maxAttempts(); a++) {
            ArchConfig child = space.mutate(parent.arch(), rng, archProb, archProb, 0.0);
            if (rng.nextDouble() < resolutionProb) {
                child = new ArchConfig(child.blocks(), child.depths(), pick(resolutions, rng));
            }
            Feasible f = tryAccept(child, log);
            if (f != null) {
                return f;
            }
        }
        log.mutationGiveUps++;
        return parent;
    }

    /**
     * Crosses two feasible parents until the child is feasible (OFA's {@code crossover_sample}: each
     * gene from either parent with probability 1/2); after the cap, returns the first parent and
     * counts a give-up.
     */
    Feasible crossover(Feasible a, Feasible b, RandomGenerator rng, RejectionPolicy policy, RejectionLog log) {
        for (int t = 0; t < policy.maxAttempts(); t++) {
            Feasible f = tryAccept(space.crossover(a.arch(), b.arch(), rng), log);
            if (f != null) {
                return f;
            }
        }
        log.crossoverGiveUps++;
        return a;
    }

    /** @return the cheapest achievable values as text */
    String describeCheapest() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> e : new java.util.TreeMap<>(cheapest).entrySet()) {
            parts.add(e.getKey() + " " + format(e.getKey(), e.getValue()));
        }
        return String.join(", ", parts);
    }

    static String format(String bound, double v) {
        if (bound.startsWith("latency")) {
            return String.format(Locale.ROOT, "%.3f ms", v);
        }
        if (bound.equals("peak_memory_bytes")) {
            return Constraint.formatBytes((long) v);
        }
        return Constraint.formatCount((long) v);
    }

    static String describeCosts(ArchCosts c, boolean withLatency) {
        StringBuilder sb = new StringBuilder();
        sb.append("MACs ").append(Constraint.formatCount(c.macs()));
        sb.append(", params ").append(Constraint.formatCount(c.params()));
        sb.append(", peak memory ").append(Constraint.formatBytes(c.peakActivationBytes()));
        if (withLatency) {
            for (Map.Entry<String, Double> e : c.latencyMs().entrySet()) {
                sb.append(String.format(Locale.ROOT, ", latency[%s] %.3f ms", e.getKey(), e.getValue()));
            }
        }
        return sb.toString();
    }

    /** Counts attempts and give-ups of one search, and the cheapest cost seen per bound. */
    static final class RejectionLog {
        long attempts;
        long guidedSamples;
        long sampleGiveUps;
        long mutationGiveUps;
        long crossoverGiveUps;
        long minMacs = Long.MAX_VALUE;
        long minParams = Long.MAX_VALUE;
        long minPeak = Long.MAX_VALUE;
        final double[] minLatency;

        RejectionLog(int devices) {
            minLatency = new double[devices];
            java.util.Arrays.fill(minLatency, Double.POSITIVE_INFINITY);
        }

        void seen(CostModel.Cost c) {
            minMacs = Math.min(minMacs, c.macs());
            minParams = Math.min(minParams, c.params());
            minPeak = Math.min(minPeak, c.peakActivationBytes());
        }

        void seenLatency(int device, double ms) {
            minLatency[device] = Math.min(minLatency[device], ms);
        }

        String cheapestSeen(List<LatencyPredictor> devices) {
            if (minMacs == Long.MAX_VALUE) {
                return "nothing (no attempt)";
            }
            StringBuilder sb = new StringBuilder();
            sb.append("MACs ").append(Constraint.formatCount(minMacs));
            sb.append(", params ").append(Constraint.formatCount(minParams));
            sb.append(", peak memory ").append(Constraint.formatBytes(minPeak));
            for (int i = 0; i < minLatency.length; i++) {
                sb.append(", latency[").append(devices.get(i).deviceName()).append("] ");
                sb.append(Double.isInfinite(minLatency[i]) ? "not computed (other bounds failed first)"
                        : String.format(Locale.ROOT, "%.3f ms", minLatency[i]));
            }
            return sb.toString();
        }

        /** Notes for the result: give-ups with the constraint and the cheapest costs seen. */
        List<String> notes(ConstrainedSpace cs, RejectionPolicy policy) {
            List<String> out = new ArrayList<>();
            if (guidedSamples > 0) {
                out.add(guidedSamples + " random samples needed the guided fallback (uniform sampling found no subnet"
                        + " within " + Math.max(1, policy.maxAttempts() / 2) + " attempts) under ("
                        + cs.constraint.describe() + "); cheapest seen: " + cheapestSeen(cs.devices));
            }
            if (mutationGiveUps > 0 || crossoverGiveUps > 0) {
                out.add("rejection sampling gave up " + mutationGiveUps + " mutations and " + crossoverGiveUps
                        + " crossovers after " + policy.maxAttempts() + " attempts each (the parent was kept) under ("
                        + cs.constraint.describe() + "); cheapest seen: " + cheapestSeen(cs.devices));
            }
            return out;
        }
    }
}
