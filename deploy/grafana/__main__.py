"""`python -m deploy.grafana [--check] [--out DIR]`: write the dashboards' JSON, or check the committed files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy.grafana.render import OUTPUT, differences, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.grafana", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where the JSON files go (default {OUTPUT})")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the files differ from the generated ones"
    )
    args = parser.parse_args(argv)
    generated = generate()
    if args.check:
        stale = differences(generated, args.out)
        for name in stale:
            print(f"{args.out / name}: differs from the generated dashboard", file=sys.stderr)
        if stale:
            print("regenerate with: python -m deploy.grafana", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in sorted(set(path.name for path in args.out.glob("*.json")) - set(generated)):
        (args.out / stale).unlink()  # a dashboard the code no longer builds
    for name, text in generated.items():
        (args.out / name).write_text(text)
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
