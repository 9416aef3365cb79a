#!/usr/bin/env python3
"""Reliability figures of `ofa serve`, from a server this script starts on loopback and stops.

Measures, with bounded loops only:
  1. the latency of GET /v1/devices while N concurrent distinct slice requests run, and how many
     of those got 503 (queue full) and how fast;
  2. the server's RSS warm, and after M distinct requests sent with bounded concurrency;
  3. the status of a 50 MB chunked POST, and the RSS before and after it.

Python 3 standard library only. See reliability/README.md for how to run it.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, flush=True)


def percentile(values, p):
    """Nearest-rank percentile of a list (None when empty)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def fmt_s(v):
    return "n/a" if v is None else "%.3f s" % v


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def jvm_memory(pid):
    """After a full GC (jcmd): live heap, committed heap and, when the server runs with
    -XX:NativeMemoryTracking=summary, everything the JVM committed (MB). {} without jcmd."""
    jcmd = shutil.which("jcmd")
    if not jcmd:
        return {}
    out = {}
    try:
        subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, timeout=60, check=True)
        info = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, timeout=60, check=True,
                              text=True).stdout
        m = re.search(r"total (\d+)K, used (\d+)K", info)
        if m:
            out["heap_committed_mb"] = int(m.group(1)) / 1024.0
            out["live_heap_mb"] = int(m.group(2)) / 1024.0
        nmt = subprocess.run([jcmd, str(pid), "VM.native_memory", "summary"], capture_output=True, timeout=60,
                             text=True).stdout
        m = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", nmt)
        if m:
            out["jvm_committed_mb"] = int(m.group(1)) / 1024.0
    except (subprocess.SubprocessError, OSError):
        pass
    return out


def describe_jvm(mem, rss):
    parts = []
    if "live_heap_mb" in mem:
        parts.append("live heap %.0f MB of %.0f MB committed" % (mem["live_heap_mb"], mem["heap_committed_mb"]))
    if "jvm_committed_mb" in mem:
        parts.append("JVM committed %.0f MB, outside the JVM (native libraries) %.0f MB"
                     % (mem["jvm_committed_mb"], rss - mem["jvm_committed_mb"]))
    return "; ".join(parts) or "no jcmd"


class Client:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout

    def request(self, method, path, body=None, headers=None):
        """One request on its own connection: (status, headers, body bytes, seconds)."""
        h = {"Host": "127.0.0.1:%d" % self.port}
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, dict(r.getheaders()), data, time.monotonic() - t0
        except (OSError, http.client.HTTPException) as e:
            return -1, {}, str(e).encode(), time.monotonic() - t0
        finally:
            conn.close()

    def slice(self, payload):
        return self.request("POST", "/v1/slice", json.dumps(payload))


class GetSampler(threading.Thread):
    """GETs /v1/devices every `every` seconds until stopped; records each latency and status."""

    def __init__(self, client, every=0.1):
        super().__init__(daemon=True)
        self.client = client
        self.every = every
        self.latencies = []
        self.failures = 0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            status, _, _, s = self.client.request("GET", "/v1/devices")
            if status == 200:
                self.latencies.append(s)
            else:
                self.failures += 1
            self.stop_flag.wait(self.every)

    def stop(self):
        self.stop_flag.set()
        self.join(60)

    def report(self, label):
        lat = self.latencies
        log("  GET /v1/devices during %s: %d answered, %d failed; p50 %s, p99 %s, max %s"
            % (label, len(lat), self.failures, fmt_s(percentile(lat, 50)), fmt_s(percentile(lat, 99)),
               fmt_s(max(lat) if lat else None)))
        return {"answered": len(lat), "failed": self.failures, "p50_s": percentile(lat, 50),
                "p99_s": percentile(lat, 99), "max_s": max(lat) if lat else None}


def start_server(run_dir, args):
    cmd = [os.path.join(ROOT, "ofa"), "serve", "--run", run_dir, "--host", "127.0.0.1", "--port", "0", "-q",
           "--queue", str(args.queue), "--request-timeout", str(args.request_timeout)]
    env = dict(os.environ)
    env.pop("OFA_SERVE_TOKEN", None)
    if args.java_opts is not None:
        env["OFA_JAVA_OPTS"] = args.java_opts
    log("OFA_JAVA_OPTS=%s" % env.get("OFA_JAVA_OPTS", "(unset: the launcher's -Xmx384m for serve)"))
    log("starting: " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                         start_new_session=True)
    deadline = time.monotonic() + args.start_timeout
    port = None
    lines = []
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            if p.poll() is not None:
                break
            continue
        lines.append(line.rstrip())
        m = re.search(r"on http://127\.0\.0\.1:(\d+)/v1/", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        stop_server(p)
        raise SystemExit("the server did not start within %d s:\n%s" % (args.start_timeout, "\n".join(lines[-20:])))
    # keep draining its output so that it never blocks on a full pipe
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    log(lines[-1])
    return p, port


def stop_server(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)  # the launcher execs java: the group is ours
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)


def concurrent_phase(client, device, n):
    """n distinct slice requests at once, a GET sampler running throughout."""
    sampler = GetSampler(client)
    sampler.start()
    results = [None] * n

    def one(i):
        # distinct bounds spread over the fmnist space's MACs (1.41 M .. 8.75 M)
        results[i] = client.slice({"device": device, "max_macs": 2_000_000 + i * 70_001})

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(client.timeout + 30)
    wall = time.monotonic() - t0
    sampler.stop()
    by_status = {}
    for r in results:
        st = r[0] if r else -2
        by_status.setdefault(st, []).append(r[3] if r else None)
    log("  %d concurrent distinct POST /v1/slice in %.1f s: %s" % (
        n, wall, ", ".join("%d x %s" % (len(v), k) for k, v in sorted(by_status.items()))))
    ok = [s for s in by_status.get(200, []) if s is not None]
    busy = [s for s in by_status.get(503, []) if s is not None]
    retry = sorted({r[1].get("Retry-After") for r in results if r and r[0] == 503})
    log("  200: p50 %s, p99 %s, max %s" % (fmt_s(percentile(ok, 50)), fmt_s(percentile(ok, 99)),
                                           fmt_s(max(ok) if ok else None)))
    log("  503: p50 %s, max %s (Retry-After values %s)" % (fmt_s(percentile(busy, 50)),
                                                          fmt_s(max(busy) if busy else None), retry))
    get = sampler.report("the concurrent requests")
    return {"n": n, "wall_s": wall, "status_counts": {str(k): len(v) for k, v in by_status.items()},
            "ok_p50_s": percentile(ok, 50), "ok_p99_s": percentile(ok, 99), "ok_max_s": max(ok) if ok else None,
            "busy_p50_s": percentile(busy, 50), "busy_max_s": max(busy) if busy else None, "get": get}


def many_phase(client, device, n, workers, offset):
    """n distinct slice requests, `workers` at a time; a 503 is retried after its Retry-After (bounded)."""
    sampler = GetSampler(client, every=0.5)
    sampler.start()
    counts = {}
    lock = threading.Lock()
    next_i = [0]

    def worker():
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= n:
                return
            payload = {"device": device, "max_macs": 3_000_000 + offset + i * 4_999}
            status = None
            for _ in range(30):  # bounded retries of a 503
                status, headers, _, _ = client.slice(payload)
                if status != 503:
                    break
                time.sleep(min(5.0, float(headers.get("Retry-After", "1"))))
            with lock:
                counts[status] = counts.get(status, 0) + 1

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    sampler.stop()
    log("  %d distinct POST /v1/slice, %d at a time, in %.1f s: %s" % (
        n, workers, wall, ", ".join("%d x %s" % (v, k) for k, v in sorted(counts.items()))))
    get = sampler.report("the %d requests" % n)
    return {"n": n, "workers": workers, "wall_s": wall, "status_counts": {str(k): v for k, v in counts.items()},
            "get": get}


def chunked_phase(port, total_bytes):
    """A chunked POST of total_bytes generated bytes; returns (status, bytes the client got to send, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(b"POST /v1/slice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"{" * 65536 + b"\r\n"
    sent = [0]

    def writer():  # stops when the server stops reading and closes
        try:
            while sent[0] < total_bytes:
                s.sendall(chunk)
                sent[0] += 65536
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass

    t0 = time.monotonic()
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    data = b""
    try:
        while b"\r\n" not in data:
            part = s.recv(4096)
            if not part:
                break
            data += part
    except OSError as e:
        data = data or ("no answer: %s" % e).encode()
    took = time.monotonic() - t0
    s.close()
    w.join(30)
    m = re.match(rb"HTTP/1\.1 (\d+)", data)
    return (int(m.group(1)) if m else -1), sent[0], took


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="run directory of 'ofa run' (default: a new smoke run in a temporary directory)")
    ap.add_argument("--concurrent", type=int, default=100, help="concurrent distinct requests (default 100)")
    ap.add_argument("--requests", type=int, default=1000, help="distinct requests for the RSS figure (default 1000)")
    ap.add_argument("--workers", type=int, default=8, help="concurrency of those requests (default 8)")
    ap.add_argument("--queue", type=int, default=8, help="the server's --queue (default 8)")
    ap.add_argument("--request-timeout", type=int, default=120, help="the server's --request-timeout (default 120)")
    ap.add_argument("--settle", type=int, default=30, help="idle seconds before the second RSS reading (default 30)")
    ap.add_argument("--chunked-mb", type=int, default=50, help="size of the chunked body (default 50 MB)")
    ap.add_argument("--start-timeout", type=int, default=600, help="seconds to wait for the server to start")
    ap.add_argument("--java-opts", help="JVM options of the server (OFA_JAVA_OPTS; default: the environment's, else"
                    " the launcher's -Xmx384m for serve)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    for name in ("concurrent", "requests", "workers", "queue", "request_timeout", "chunked_mb"):
        if getattr(args, name) < 1:
            raise SystemExit("--%s must be >= 1, found %d" % (name.replace("_", "-"), getattr(args, name)))

    tmp = None
    run_dir = args.run
    if run_dir is None:
        tmp = tempfile.mkdtemp(prefix="ofa-reliability-")
        run_dir = os.path.join(tmp, "run")
        log("no --run given: ./ofa run --preset smoke --out " + run_dir)
        subprocess.run([os.path.join(ROOT, "ofa"), "run", "--preset", "smoke", "--out", run_dir, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
    figures = {"run": run_dir}
    server, port = start_server(run_dir, args)
    try:
        client = Client(port, timeout=args.request_timeout + 60)
        status, _, body, _ = client.request("GET", "/v1/devices")
        if status != 200:
            raise SystemExit("GET /v1/devices answered %d: %s" % (status, body[:200]))
        device = json.loads(body)["devices"][0]
        # warm: one search and its model, then a few cheap requests
        status, _, body, s = client.slice({"device": device, "max_macs": 8_000_000})
        log("warm-up slice: %d in %.2f s" % (status, s))
        if status == 200:
            client.request("GET", json.loads(body)["onnx"])
        for _ in range(20):
            client.request("GET", "/v1/devices")
        figures["rss_warm_mb"] = rss_mb(server.pid)
        figures["jvm_warm"] = jvm_memory(server.pid)
        figures["rss_warm_after_gc_mb"] = rss_mb(server.pid)
        log("RSS warm: %.0f MB (after a full GC %.0f MB: %s)" % (
            figures["rss_warm_mb"], figures["rss_warm_after_gc_mb"],
            describe_jvm(figures["jvm_warm"], figures["rss_warm_after_gc_mb"])))

        log("phase 1: %d concurrent distinct requests (queue %d)" % (args.concurrent, args.queue))
        figures["concurrent"] = concurrent_phase(client, device, args.concurrent)
        figures["rss_after_concurrent_mb"] = rss_mb(server.pid)

        log("phase 2: %d distinct requests, %d at a time" % (args.requests, args.workers))
        figures["many"] = many_phase(client, device, args.requests, args.workers, offset=7)
        figures["rss_after_many_mb"] = rss_mb(server.pid)
        time.sleep(args.settle)
        figures["rss_after_many_idle_mb"] = rss_mb(server.pid)
        log("RSS %.0f MB right after, %.0f MB after %d s idle" % (
            figures["rss_after_many_mb"], figures["rss_after_many_idle_mb"], args.settle))
        figures["jvm_after_many"] = jvm_memory(server.pid)
        figures["rss_after_many_after_gc_mb"] = rss_mb(server.pid)
        log("RSS after %d distinct requests: %.0f MB (%+.0f MB over warm); after a full GC %.0f MB (%s)" % (
            args.requests, figures["rss_after_many_mb"], figures["rss_after_many_mb"] - figures["rss_warm_mb"],
            figures["rss_after_many_after_gc_mb"],
            describe_jvm(figures["jvm_after_many"], figures["rss_after_many_after_gc_mb"])))
        status, _, body, _ = client.request("GET", "/v1/health")
        figures["health"] = json.loads(body) if status == 200 else None
        if figures["health"]:
            for c in figures["health"]["caches"]:
                log("  cache %-55s %7d / %-7d entries %9.1f / %.1f MB, %d evicted" % (
                    c["name"], c["entries"], c["max_entries"], c["bytes"] / 2**20, c["max_bytes"] / 2**20,
                    c["evictions"]))

        log("phase 3: a %d MB chunked POST" % args.chunked_mb)
        before = rss_mb(server.pid)
        status, sent, took = chunked_phase(port, args.chunked_mb << 20)
        time.sleep(2)
        after = rss_mb(server.pid)
        figures["chunked"] = {"status": status, "client_sent_bytes": sent, "seconds": took, "rss_before_mb": before,
                              "rss_after_mb": after}
        log("  status %d after %.3f s; the client got %.1f MB out before the server closed; RSS %.0f -> %.0f MB (%+.1f)"
            % (status, took, sent / 2**20, before, after, after - before))
        alive = client.request("GET", "/v1/devices")[0]
        log("  GET /v1/devices afterwards: %d" % alive)
    finally:
        stop_server(server)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    c = figures["concurrent"]
    targets = [
        ("GET /v1/devices <= 0.5 s throughout (max during phases 1 and 2)",
         max(x for x in (c["get"]["max_s"], figures["many"]["get"]["max_s"]) if x is not None) <= 0.5),
        ("503 at once beyond the queue (max 503 latency <= 0.5 s)", c["busy_max_s"] is not None and c["busy_max_s"] <= 0.5),
        ("RSS after %d distinct requests within +300 MB of warm" % args.requests,
         figures["rss_after_many_mb"] - figures["rss_warm_mb"] <= 300),
        ("%d MB chunked -> 413 with RSS within +20 MB" % args.chunked_mb,
         figures["chunked"]["status"] == 413 and figures["chunked"]["rss_after_mb"] - figures["chunked"]["rss_before_mb"] <= 20),
    ]
    log("targets:")
    for name, ok in targets:
        log("  [%s] %s" % ("met" if ok else "MISSED", name))
    figures["targets"] = {name: ok for name, ok in targets}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
