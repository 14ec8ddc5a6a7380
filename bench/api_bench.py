"""Bounded load test of `cdp serve` on 127.0.0.1: requests/s, p50 and p99 per endpoint.

Builds a published snapshot of the sample generator's people through the real pipeline
(generate, ingest, resolve, dbt build, which publishes) under ``data/bench_api/people_<N>``
(ignored by git) and keeps it: a second run reuses each finished stage (a marker file each;
``--rebuild`` starts over), so the ~9 minute build at 100k people is paid once and can be
split over several bounded runs. Then it starts the server as a child process, sends a fixed
number of requests of each kind from a few client threads, and reports per endpoint the
requests per second, p50 and p99 latency and the server's CPU milliseconds per request
(its user + system time over the requests: what the machine's other load does not distort),
with the server's peak memory (VmHWM) and the load average before and after. The server is
stopped by its PID. Nothing runs unbounded.

    python -m bench.api_bench --people 100000 --requests 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def prepare(data_dir: Path, people: int, reuse: bool) -> dict[str, float]:
    """A published snapshot of ``people`` sample people; stage timings in seconds.

    With ``reuse``, stages finished by an earlier call (a marker file each) are skipped, so
    a large build can be split over several bounded runs. The dbt build publishes the
    snapshot; the last stage publishes only when it is missing."""
    from cdp import pipeline
    from core.settings import Settings
    from core.snapshot import publish_snapshot, snapshot_path

    settings = Settings(data_dir=data_dir)
    settings.ensure_dirs()
    timings = {}
    for name, step in (
        ("generate", lambda: pipeline.generate_sample(settings, people=people, batches=1)),
        ("ingest", lambda: pipeline.ingest_sources(settings)),
        ("resolve", lambda: pipeline.resolve_identities(settings)),
        ("dbt build", lambda: pipeline.build_marts(settings)),
        ("publish", lambda: publish_snapshot(settings, "bench")),
    ):
        marker = data_dir / f".bench_done_{name.replace(' ', '_')}"
        if reuse and marker.exists():
            continue
        if name == "publish" and snapshot_path(settings).exists():
            marker.write_text("published by the dbt build")
            continue
        started = time.perf_counter()
        step()
        timings[name] = round(time.perf_counter() - started, 1)
        marker.write_text(str(timings[name]))
        print(f"  {name}: {timings[name]} s", flush=True)
    return timings


def _samples(settings, n: int) -> dict[str, list]:
    from core.snapshot import open_snapshot

    con = open_snapshot(settings)
    try:
        ids = [
            r[0] for r in con.execute("select customer_id from marts.customer_profile").fetchall()
        ]
        emails = [
            r[0]
            for r in con.execute(
                "select email from marts.customer_profile where email is not null"
            ).fetchall()
        ]
        people = con.execute(
            "select first_name, last_name, email, phone, postcode from identity.identity_records "
            "where not is_anonymous and first_name is not null and last_name is not null"
        ).fetchall()
        customers = con.execute("select count(*) from marts.customer_profile").fetchone()[0]
    finally:
        con.close()
    rng = random.Random(7)
    persons = [
        dict(zip(("first_name", "last_name", "email", "phone", "postcode"), p, strict=True))
        for p in rng.choices(people, k=n)
    ]
    return {
        "ids": rng.choices(ids, k=n),
        "emails": rng.choices(emails, k=n),
        "people": persons,
        "customers": customers,
    }


def _wait_ready(base: str, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {base} did not answer within {timeout} s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    base: str, key: str, requests: list[tuple[str, str, dict]], threads: int, server_pid: int
) -> dict:
    """Send the requests from ``threads`` clients; latencies in ms, statuses, the server's
    CPU per request."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::threads] for i in range(threads)]

    def worker(chunk):
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as http:
            for method, url, kwargs in chunk:
                started = time.perf_counter()
                response = http.request(method, url, **kwargs)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    cpu_before = _cpu_seconds(server_pid)
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    cpu = _cpu_seconds(server_pid) - cpu_before
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "req_per_s": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "server_cpu_ms_per_request": round(cpu * 1000 / len(ordered), 2),
        "statuses": statuses,
    }


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="per lookup kind")
    parser.add_argument("--identify-requests", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--data-dir", type=Path, help="default: data/bench_api/people_<N>")
    parser.add_argument("--rebuild", action="store_true", help="build again, reusing nothing")
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir or PROJECT / "data" / "bench_api" / f"people_{args.people}"
    # the pipeline refuses the shipped default salt; this data is generated, and the bench's
    os.environ.setdefault("CDP_ERASURE_SALT", "api-bench-generated-data-only")

    from api.keys import add_key
    from core.settings import Settings

    print(f"snapshot of {args.people} people under {args.data_dir}", flush=True)
    if args.rebuild and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    timings = prepare(args.data_dir, args.people, reuse=not args.rebuild)
    if args.prepare_only:
        return {"prepare_s": timings}
    # a SIGTERM (timeout, Ctrl-C from a wrapper) still runs the finally that stops the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = Settings(data_dir=args.data_dir)
    key = add_key(settings.api_keys_path, f"bench-{os.getpid()}", ["admin"])
    started = time.perf_counter()
    samples = _samples(settings, args.requests)
    print(f"  samples read in {time.perf_counter() - started:.1f} s", flush=True)
    env = {**os.environ, "CDP_DATA_DIR": str(args.data_dir), "PYTHONPATH": str(PROJECT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cdp.cli", "serve", "--port", str(args.port)],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    results: dict = {
        "people": args.people,
        "customers": samples["customers"],
        "load_average_before": os.getloadavg(),
    }
    try:
        started = time.perf_counter()
        _wait_ready(base)
        # the serving copy of the snapshot is built before the server answers
        results["server_ready_s"] = round(time.perf_counter() - started, 1)
        print(f"  server {server.pid} ready in {results['server_ready_s']} s", flush=True)
        kinds = {
            "id lookup": [("GET", f"/v1/customers/{i}", {}) for i in samples["ids"]],
            "identifier lookup": [
                ("GET", "/v1/customers", {"params": {"email": e}}) for e in samples["emails"]
            ],
            "timeline": [
                ("GET", f"/v1/customers/{i}/timeline", {"params": {"limit": 20}})
                for i in samples["ids"]
            ],
            "identify": [
                ("POST", "/v1/identify", {"json": p})
                for p in samples["people"][: args.identify_requests]
            ],
        }
        for name, requests in kinds.items():
            _load(base, key, requests[:20], 1, server.pid)  # warm-up: each thread's cursor
            results[name] = _load(base, key, requests, args.threads, server.pid)
            print(f"  {name}: {results[name]}", flush=True)
        results["server_peak_rss_mb"] = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["load_average_after"] = os.getloadavg()
    header = ("endpoint", "requests", "req/s", "p50 ms", "p99 ms", "CPU ms/req")
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for name in ("id lookup", "identifier lookup", "timeline", "identify"):
        r = results[name]
        cells = (name, r["requests"], r["req_per_s"], r["p50_ms"], r["p99_ms"])
        print("| " + " | ".join(map(str, (*cells, r["server_cpu_ms_per_request"]))) + " |")
    print(
        f"customers: {results['customers']}; server ready in {results['server_ready_s']} s, "
        f"peak RSS {results['server_peak_rss_mb']} MB; "
        f"load average before {results['load_average_before']}, "
        f"after {results['load_average_after']}"
    )
    out = PROJECT / "bench" / "results" / "api_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
