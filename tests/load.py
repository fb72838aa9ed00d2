"""Run a command while the machine is busy, to prove tests do not depend on a quiet one:

    python -m tests.load --cpus 2 -- bash .ci/run
    python -m tests.load --cpus 2 -- .venv/bin/pytest tests/integration/hub/test_reports.py -k sqlite

starts `--cpus` processes that each spin one core (at normal priority, like any other busy job), runs the
command, stops them, and exits with the command's status. The load runs for exactly the command's duration.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

SPIN = "while True:\n    pass\n"


def start_load(cpus: int, nice: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", SPIN],
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(cpus)
    ]


def stop_load(spinners: list[subprocess.Popen[bytes]]) -> None:
    for spinner in spinners:
        if spinner.poll() is None:
            spinner.send_signal(signal.SIGKILL)
        spinner.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1, help="busy processes (default: one a core)")
    parser.add_argument("--nice", type=int, default=0, help="niceness of the busy processes (default 0: normal)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    spinners = start_load(args.cpus, args.nice)
    started = time.monotonic()
    print(f"[load] {args.cpus} busy process(es): {' '.join(str(s.pid) for s in spinners)}", file=sys.stderr)
    try:
        status = subprocess.call(command)
    except KeyboardInterrupt:
        status = 130
    finally:
        stop_load(spinners)
    print(
        f"[load] {' '.join(command)}: exit {status} after {time.monotonic() - started:.0f}s under load", file=sys.stderr
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
