"""A benchmark's run as a process tree: its resident memory and CPU seconds, sampled while
it runs, its children (Spark's driver JVM) and given daemons (a standalone cluster's master
and worker, whose executors are the worker's children) included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


def processes(pids: list[int]) -> Iterator:
    """The live ``psutil.Process`` of each of ``pids`` and of their descendants."""
    import psutil

    for pid in pids:
        try:
            root = psutil.Process(pid)
            yield from [root, *root.children(recursive=True)]
        except psutil.Error:
            continue


def tree_usage(pids: list[int], cpu: dict[int, float]) -> int:
    """Resident bytes of ``pids`` and their descendants now; ``cpu`` keeps each process's
    last seen CPU seconds (user + system), so those that exited still count."""
    import psutil

    total = 0
    for process in processes(pids):
        try:
            with process.oneshot():
                total += process.memory_info().rss
                times = process.cpu_times()
                cpu[process.pid] = times.user + times.system
        except psutil.Error:
            continue
    return total


def progress(**fields) -> None:
    """One line on stderr as a run goes: a run stopped early still says how far it got (the
    figures on stdout come only at its end)."""
    print(json.dumps({"at": time.strftime("%H:%M:%S"), **fields}), file=sys.stderr, flush=True)


@dataclass
class TreeRun:
    """How a sampled command ended: exit code (None: stopped at its timeout), peak resident
    bytes of its tree, and the CPU seconds its tree spent (the daemons' earlier ones not)."""

    code: int | None
    peak_bytes: int
    cpu_seconds: float


def run_sampled(
    command: list[str],
    env: dict[str, str],
    daemons: list[int],
    timeout: float,
    pulse: Callable[..., None] | None = None,
) -> TreeRun:
    """Run ``command``, sampling its tree and the ``daemons``' every 0.2 s; every minute,
    ``pulse(elapsed=, cpu_s=, rss_mb=, peak_mb=, load=)``: a long run's figures in the log
    as it goes."""
    cpu: dict[int, float] = {}
    baseline: dict[int, float] = {}
    tree_usage(daemons, baseline)  # the daemons were running before this run
    process = subprocess.Popen(command, env=env)
    peak, done = 0, threading.Event()

    def spent() -> float:
        return sum(cpu.values()) - sum(baseline.values())

    def sample() -> None:
        nonlocal peak
        started = last = time.monotonic()
        while not done.wait(0.2):
            now_bytes = tree_usage([process.pid, *daemons], cpu)
            peak = max(peak, now_bytes)
            if pulse and time.monotonic() - last >= 60:
                last = time.monotonic()
                pulse(
                    elapsed=round(last - started),
                    cpu_s=round(spent()),
                    rss_mb=round(now_bytes / 2**20),
                    peak_mb=round(peak / 2**20),
                    load=round(os.getloadavg()[0], 1),
                )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        code: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    except BaseException:  # the bench itself stopped: so is the run
        process.kill()
        raise
    finally:
        done.set()
        sampler.join()
    return TreeRun(code, peak, round(spent(), 1))
