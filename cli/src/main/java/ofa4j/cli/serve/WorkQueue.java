package ofa4j.cli.serve;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The expensive work of the server (searches, ONNX builds) on threads of its own, so that Jetty's
 * threads stay free for cheap requests. Jobs are keyed: requests for a key that is queued or running
 * wait for the same job. At most {@code capacity} jobs are admitted at once (running and waiting);
 * beyond that {@link #join} refuses at once with 503 and a {@code Retry-After} estimate.
 *
 * <p>Each waiting request has its own future with its own time limit. When the last request
 * waiting for a job leaves (time limit, client gone), the job is cancelled: a queued job never
 * starts, a running one sees {@link ServeBackend.Cancel#cancelled()}. A job that fails with any
 * {@link Throwable}, an {@link Error} included, completes exceptionally and is forgotten, so the
 * next identical request starts a new job instead of waiting forever.
 */
final class WorkQueue implements AutoCloseable {

    /** Thrown to a waiting request whose time limit passed. */
    static final class TimeLimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TimeLimitExceeded(Duration limit) {
            super("no answer within the request time limit of " + limit.toSeconds() + " s (ofa serve --request-timeout);"
                    + " the search was cancelled unless another request waits for it");
        }
    }

    /** Thrown to a waiting request whose client closed the connection. */
    static final class ClientGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientGone() {
            super("the client closed the connection");
        }
    }

    /** One unit of work and the requests waiting for it. */
    private final class Job<T> {
        final String key;
        final Function<ServeBackend.Cancel, T> work;
        final CompletableFuture<T> result = new CompletableFuture<>();
        /** Requests waiting (guarded by the queue). */
        int waiters;
        volatile boolean cancelled;

        Job(String key, Function<ServeBackend.Cancel, T> work) {
            this.key = key;
            this.work = work;
        }

        void run() {
            long t0 = System.nanoTime();
            try {
                if (!cancelled) {
                    running.incrementAndGet();
                    try {
                        result.complete(work.apply(() -> cancelled));
                    } finally {
                        running.decrementAndGet();
                        recordSeconds((System.nanoTime() - t0) / 1e9);
                    }
                }
            } catch (Throwable t) { // Errors too: a job never stays incomplete
                synchronized (WorkQueue.this) {
                    jobs.remove(key, this); // forgotten before anyone sees the failure, or a retry could join it
                }
                result.completeExceptionally(t);
            } finally {
                result.completeExceptionally(new CancellationException("job " + key + " was cancelled before it ran"));
                synchronized (WorkQueue.this) {
                    admitted--;
                    jobs.remove(key, this);
                }
            }
        }
    }

    private final int capacity;
    private final int threads;
    private final ThreadPoolExecutor executor;
    private final ScheduledThreadPoolExecutor timer;
    /** Jobs queued or running, by key (guarded by this). */
    private final Map<String, Job<?>> jobs = new HashMap<>();
    /** Jobs admitted and not yet finished, cancelled ones still running included (guarded by this). */
    private int admitted;
    private final AtomicInteger running = new AtomicInteger();
    private long rejected;
    private long timedOut;
    private long cancelledJobs;
    /** Mean seconds of a job, exponentially weighted (guarded by this); 0 before the first. */
    private double meanSeconds;

    /**
     * Creates the queue and its threads.
     *
     * @param threads jobs run at once (>= 1)
     * @param capacity jobs admitted at once, running and waiting (>= threads)
     */
    WorkQueue(int threads, int capacity) {
        this.threads = threads;
        this.capacity = capacity;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ofa-serve-search-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ofa-serve-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Waits for the job of a key, starting it when none is queued or running.
     *
     * @param key what the job computes (equal keys, equal results)
     * @param work the job, given its cancellation token
     * @param limit this request's time limit
     * @param <T> the result type
     * @return this request's future: the job's result, or {@link TimeLimitExceeded}, {@link
     *     ClientGone} (see {@link #leave}) or the job's failure; completing it by any other means
     *     (e.g. {@code completeExceptionally}) makes this request leave the job
     * @throws ApiError 503 with {@code Retry-After} when the queue is full
     */
    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> join(String key, Function<ServeBackend.Cancel, T> work, Duration limit) {
        Job<T> job;
        synchronized (this) {
            job = (Job<T>) jobs.get(key);
            if (job == null) {
                if (admitted >= capacity) {
                    rejected++;
                    long retry = retryAfterSeconds();
                    throw new ApiError(503, null, "the server is busy: " + admitted + " searches running or queued (limit "
                            + capacity + ", ofa serve --queue); retry in about " + retry + " s",
                            Map.of("Retry-After", Long.toString(retry)));
                }
                job = new Job<>(key, work);
                Job<T> j = job;
                try {
                    executor.execute(j::run);
                } catch (RejectedExecutionException e) {
                    throw new ApiError(503, null, "the server is shutting down");
                }
                jobs.put(key, job);
                admitted++;
            }
            job.waiters++;
        }
        CompletableFuture<T> mine = new CompletableFuture<>();
        Job<T> j = job;
        AtomicBoolean left = new AtomicBoolean();
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            if (mine.completeExceptionally(new TimeLimitExceeded(limit))) {
                synchronized (this) {
                    timedOut++;
                }
            }
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        mine.whenComplete((r, e) -> {
            deadline.cancel(false);
            if (left.compareAndSet(false, true)) {
                leave(j);
            }
        });
        j.result.whenComplete((r, e) -> {
            if (e != null) {
                mine.completeExceptionally(e);
            } else {
                mine.complete(r);
            }
        });
        return mine;
    }

    /** One request stops waiting for a job; the last one to leave an unfinished job cancels it. */
    private void leave(Job<?> job) {
        synchronized (this) {
            job.waiters--;
            if (job.waiters > 0 || job.result.isDone()) {
                return;
            }
            job.cancelled = true;
            cancelledJobs++;
            jobs.remove(job.key, job); // an identical request from now on starts afresh
        }
        job.result.completeExceptionally(new CancellationException("no request waits for job " + job.key));
    }

    /** Seconds a new request should wait before trying again: the queue's work at the mean job time. */
    private long retryAfterSeconds() {
        double mean = meanSeconds > 0 ? meanSeconds : 5;
        return Math.max(1, Math.min(3600, (long) Math.ceil(mean * admitted / threads)));
    }

    private synchronized void recordSeconds(double s) {
        meanSeconds = meanSeconds == 0 ? s : 0.8 * meanSeconds + 0.2 * s;
    }

    /** @return sizes and counters now */
    synchronized HttpBodies.QueueBody stats() {
        int r = running.get();
        return new HttpBodies.QueueBody(r, Math.max(0, admitted - r), capacity, threads, rejected, timedOut, cancelledJobs);
    }

    /** Stops the threads; queued jobs do not start and running ones are interrupted. */
    @Override
    public void close() {
        executor.shutdownNow();
        timer.shutdownNow();
    }
}
