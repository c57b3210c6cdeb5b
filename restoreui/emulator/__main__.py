"""python -m restoreui.emulator: serve the emulator until SIGINT or SIGTERM."""

import argparse
import signal
import sys
import threading
from dataclasses import fields

from restoreui.emulator.server import (
    DEFAULT_API_KEY,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SEED,
    Emulator,
    Faults,
)
from restoreui.emulator.store import DEFAULT_MAX_BACKUPS, DEFAULT_MAX_INDEXES


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m restoreui.emulator", description="A local Pinecone control plane for backups and restores."
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jobs", type=int, default=None, help="seeded restore jobs (default 260)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="clock multiplier for restores and new backups (1.0: a restore takes a minute plus ~4 s per GB of backup)",
    )
    parser.add_argument(
        "--extra-indexes",
        type=int,
        default=0,
        help="seed this many more indexes (bulk-0000...), two backups each, every other one scheduled",
    )
    parser.add_argument("--max-backups", type=int, default=DEFAULT_MAX_BACKUPS)
    parser.add_argument("--max-indexes", type=int, default=DEFAULT_MAX_INDEXES)
    parser.add_argument(
        "--limited-api-key",
        metavar="KEY",
        help="a second key that gets 403 PERMISSION_DENIED on backup and restore endpoints",
    )
    behaviour = parser.add_argument_group("behaviour", "departures from the real service, off by default")
    behaviour.add_argument(
        "--report-progress", action="store_true", help="running restores go InProgress with a rising percent_complete"
    )
    behaviour.add_argument(
        "--send-metric", action="store_true", help="backups carry a top-level metric (2025-10, 2026-04)"
    )
    behaviour.add_argument(
        "--plan-gate",
        action="store_true",
        help="backup and restore endpoints answer 403 FORBIDDEN: the plan lacks backups",
    )
    faults = parser.add_argument_group("faults", "rates are shares of requests, 0.0 to 1.0")
    for f in fields(Faults):
        faults.add_argument(f"--{f.name.replace('_', '-')}", type=float, default=f.default)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fault_settings = {f.name: getattr(args, f.name) for f in fields(Faults)}
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            seed=args.seed,
            speed=args.speed,
            jobs=args.jobs,
            max_backups=args.max_backups,
            max_indexes=args.max_indexes,
            limited_api_key=args.limited_api_key,
            report_progress=args.report_progress,
            send_metric=args.send_metric,
            plan_gate=args.plan_gate,
            extra_indexes=args.extra_indexes,
            **fault_settings,
        )
    except ValueError as e:
        sys.exit(f"error: {e}")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        emulator.start()
    except OSError as e:
        sys.exit(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}")
    print(f"Pinecone emulator listening on {emulator.url} (seed {args.seed}, speed {args.speed:g})", flush=True)
    stop.wait()
    emulator.stop()


if __name__ == "__main__":
    main()
