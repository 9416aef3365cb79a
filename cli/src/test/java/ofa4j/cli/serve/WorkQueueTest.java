package ofa4j.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The queue's rules without HTTP: sharing, time limits, cancellation, failures, admission. */
class WorkQueueTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    /** Work that blocks until released or cancelled (bounded: 30 s), recording what it saw. */
    static final class Blocking implements Function<ServeBackend.Cancel, String> {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch sawCancel = new CountDownLatch(1);
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public String apply(ServeBackend.Cancel cancel) {
            runs.incrementAndGet();
            started.countDown();
            for (int i = 0; i < 3000; i++) {
                if (cancel.cancelled()) {
                    sawCancel.countDown();
                    cancel.check();
                }
                try {
                    if (release.await(10, TimeUnit.MILLISECONDS)) {
                        return "done";
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            }
            return "gave up";
        }
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void aTimedOutWaiterLeavesTheJobToTheOthers() throws Exception {
        try (WorkQueue q = new WorkQueue(1, 4)) {
            Blocking w = new Blocking();
            CompletableFuture<String> shortOne = q.join("k", w, Duration.ofSeconds(1));
            CompletableFuture<String> longOne = q.join("k", w, LONG);
            assertInstanceOf(WorkQueue.TimeLimitExceeded.class, failure(shortOne));
            assertTrue(failure(shortOne).getMessage().contains("time limit of 1 s"), failure(shortOne).getMessage());
            w.release.countDown();
            assertEquals("done", longOne.get(30, TimeUnit.SECONDS));
            assertEquals(1, w.runs.get(), "one job for both waiters");
            assertEquals(0, q.stats().cancelled());
            assertEquals(1, q.stats().timedOut());
        }
    }

    @Test
    void theLastWaiterLeavingCancelsTheJobAndTheNextRequestStartsAfresh() throws Exception {
        try (WorkQueue q = new WorkQueue(1, 4)) {
            Blocking w = new Blocking();
            CompletableFuture<String> a = q.join("k", w, LONG);
            assertTrue(w.started.await(30, TimeUnit.SECONDS));
            a.completeExceptionally(new WorkQueue.ClientGone()); // what the client watch does
            assertTrue(w.sawCancel.await(30, TimeUnit.SECONDS), "the running job saw its cancellation");
            assertEquals(1, q.stats().cancelled());
            Blocking again = new Blocking();
            CompletableFuture<String> b = q.join("k", again, LONG);
            again.release.countDown();
            assertEquals("done", b.get(30, TimeUnit.SECONDS));
            assertEquals(1, again.runs.get());
        }
    }

    @Test
    void aQueuedJobNobodyWaitsForNeverRuns() throws Exception {
        try (WorkQueue q = new WorkQueue(1, 4)) {
            Blocking first = new Blocking();
            CompletableFuture<String> a = q.join("a", first, LONG);
            assertTrue(first.started.await(30, TimeUnit.SECONDS));
            Blocking queued = new Blocking();
            CompletableFuture<String> b = q.join("b", queued, LONG);
            assertEquals(1, q.stats().waiting());
            b.cancel(false);
            first.release.countDown();
            assertEquals("done", a.get(30, TimeUnit.SECONDS));
            CompletableFuture<String> c = q.join("c", x -> "c", LONG); // runs after the skipped job
            assertEquals("c", c.get(30, TimeUnit.SECONDS));
            assertEquals(0, queued.runs.get());
        }
    }

    @Test
    void anErrorFailsEveryWaiterAndIsNotKept() throws Exception {
        try (WorkQueue q = new WorkQueue(1, 4)) {
            CountDownLatch go = new CountDownLatch(1);
            Function<ServeBackend.Cancel, String> broken = c -> {
                try {
                    go.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new OutOfMemoryError("test");
            };
            CompletableFuture<String> a = q.join("k", broken, LONG);
            CompletableFuture<String> b = q.join("k", broken, LONG);
            go.countDown();
            assertInstanceOf(OutOfMemoryError.class, failure(a));
            assertInstanceOf(OutOfMemoryError.class, failure(b));
            assertEquals("fine", q.join("k", c -> "fine", LONG).get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void beyondCapacityIs503WithRetryAfterAndSharingDoesNotCount() throws Exception {
        try (WorkQueue q = new WorkQueue(1, 2)) {
            Blocking w = new Blocking();
            CompletableFuture<String> a = q.join("a", w, LONG);
            CompletableFuture<String> b = q.join("b", w, LONG);
            CompletableFuture<String> a2 = q.join("a", w, LONG); // waits for a: no new job
            ApiError e = assertThrows(ApiError.class, () -> q.join("c", w, LONG));
            assertEquals(503, e.status());
            assertTrue(Long.parseLong(e.headers().get("Retry-After")) >= 1, e.headers().toString());
            assertTrue(e.getMessage().contains("limit 2") && e.getMessage().contains("--queue"), e.getMessage());
            assertEquals(1, q.stats().rejected());
            w.release.countDown();
            assertEquals("done", a.get(30, TimeUnit.SECONDS));
            assertEquals("done", a2.get(30, TimeUnit.SECONDS));
            assertEquals("done", b.get(30, TimeUnit.SECONDS));
            assertEquals(2, w.runs.get());
        }
    }
}
