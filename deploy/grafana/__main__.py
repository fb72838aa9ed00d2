"""`python -m deploy.grafana [--check] [--out DIR]`: write the dashboards' JSON, or check the committed files.
`python -m deploy.grafana --queries [--set cluster=c1]`: print every panel's PromQL, variables filled in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deploy.grafana.queries import UnknownVariable, panel_queries
from deploy.grafana.render import OUTPUT, differences, generate

# What --queries fills in unless told otherwise (Grafana's rate window); `cluster` must be given.
DEFAULT_VALUES = {"datasource": "prometheus", "__rate_interval": "1m"}


def _values(pairs: list[str]) -> dict[str, str]:
    values = dict(DEFAULT_VALUES)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: expected NAME=VALUE, e.g. cluster=cluster-1")
        values[name] = value
    return values


def print_queries(directory: Path, values: dict[str, str]) -> int:
    for path in sorted(directory.glob("*.json")):
        try:
            queries = panel_queries(json.loads(path.read_text()), values)
        except UnknownVariable as error:
            print(f"{path}: {error} (give it with --set NAME=VALUE)", file=sys.stderr)
            return 2
        for query in queries:
            print(f"{query.dashboard}\t{query.panel} ({query.ref_id})\t{query.expr}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.grafana", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where the JSON files are (default {OUTPUT})")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the files differ from the generated ones"
    )
    parser.add_argument(
        "--queries", action="store_true", help="print every panel's query (dashboard, panel, PromQL), tab-separated"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a variable's value for --queries"
    )
    args = parser.parse_args(argv)
    if args.queries:
        return print_queries(args.out, _values(args.set))
    generated = generate()
    if args.check:
        stale = differences(generated, args.out)
        for name in stale:
            print(f"{args.out / name}: differs from the generated dashboard", file=sys.stderr)
        if stale:
            print("regenerate with: python -m deploy.grafana", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in sorted({path.name for path in args.out.glob("*.json")} - set(generated)):
        (args.out / stale).unlink()  # a dashboard the code no longer builds
    for name, text in generated.items():
        (args.out / name).write_text(text)
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
