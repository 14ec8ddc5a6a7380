"""Every benchmark in turn, at the sizes the issues set: `make bench` (about 35 minutes).

    .venv/bin/python -m bench.run_all [--only ingestion identity ...]

Each benchmark runs in its own process (peak memory is per process) and prints its own
figures; this only sequences them and reports which ones failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHMARKS = {
    "ingestion": ["bench.ingestion_bench", "--rows", "1000000"],
    "identity": ["bench.identity_bench", "--records", "100000", "1000000"],
    "dbt": ["bench.dbt_bench", "--people", "100000"],
    "quality": ["bench.quality_bench", "--rows", "1000000"],
    "export": ["bench.export_bench", "--customers", "1000000"],
    "public": ["bench.public_bench"],  # FEBRL 1-4 through a source definition, vs bare Splink
    # ours vs bare Splink, GoldenMatch and e-mail/phone stitching on several populations
    "accuracy": ["bench.accuracy_bench"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args()
    failed = []
    for name in args.only:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", *BENCHMARKS[name]])
        print(f"=== {name}: exit {result.returncode} in {time.perf_counter() - started:.0f} s")
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
