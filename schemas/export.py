"""Export the JSON Schema of every v1 event (and of the webhook notification document) to
`schemas/v1/jsonschema/`, for non-Python consumers.

python -m schemas.export          # write the files
python -m schemas.export --check  # exit 1 if the files differ from the models (CI runs this as a test)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.v1 import (
    BundleEvent,
    DryRunReplyEvent,
    DryRunRequestEvent,
    Event,
    HeartbeatEvent,
    KubeEventsEvent,
    RemovalEvent,
    StatusEvent,
)
from schemas.v1.notifications import Notification

JSONSCHEMA_DIR = Path(__file__).parent / "v1" / "jsonschema"

_MODELS: dict[str, Any] = {
    "bundle-event": BundleEvent,
    "removal-event": RemovalEvent,
    "status-event": StatusEvent,
    "heartbeat-event": HeartbeatEvent,
    "dry-run-request-event": DryRunRequestEvent,
    "dry-run-reply-event": DryRunReplyEvent,
    "kube-events-event": KubeEventsEvent,
    "event": Event,
    # What a webhook receives (format json): hub/notifications, docs/notifications.md.
    "notification": Notification,
}


def rendered() -> dict[str, str]:
    """File name -> content, exactly as it must be on disk."""
    files = {}
    for name, model in _MODELS.items():
        schema = TypeAdapter(model).json_schema(mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://fleetcast.dev/schemas/v1/{name}.json",
            **schema,
        }
        files[f"{name}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def differences(directory: Path = JSONSCHEMA_DIR) -> list[str]:
    expected = rendered()
    problems = []
    for name, content in expected.items():
        path = directory / name
        if not path.exists():
            problems.append(f"{path} is missing")
        elif path.read_text() != content:
            problems.append(f"{path} differs from the models")
    problems += [f"{p} is not a v1 schema" for p in sorted(directory.glob("*.json")) if p.name not in expected]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `python -m schemas.export` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    JSONSCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in rendered().items():
        (JSONSCHEMA_DIR / name).write_text(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
