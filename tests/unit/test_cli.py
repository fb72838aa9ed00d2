from __future__ import annotations

import httpx
import pytest

from deploy.cli import build_parser
from hub.client import commands
from hub.client.http import HubError, _problem
from hub.client.tables import or_dash, render_table


def test_tables_align_columns_and_trim_trailing_space() -> None:
    text = render_table(["NAME", "STATE"], [["cluster-1", "ready"], ["c2", "-"]])
    assert text.splitlines() == ["NAME       STATE", "cluster-1  ready", "c2         -"]


@pytest.mark.parametrize(("value", "shown"), [(None, "-"), ("", "-"), ([], "-"), (["a", "b"], "a,b"), (3, "3")])
def test_empty_values_show_as_a_dash(value: object, shown: str) -> None:
    assert or_dash(value) == shown


def test_labels_parse_as_key_value_pairs() -> None:
    assert commands._parse_labels(["env=prod", "tier=", "a.b/c=d=e"]) == {"env": "prod", "tier": "", "a.b/c": "d=e"}
    with pytest.raises(HubError, match="not key=value"):
        commands._parse_labels(["env"])


def test_hub_errors_become_one_readable_line() -> None:
    plain = httpx.Response(
        422, json={"detail": "invalid manifests: document 3 (Deployment/web): missing metadata.name"}
    )
    assert _problem(plain) == "invalid manifests: document 3 (Deployment/web): missing metadata.name"
    listed = httpx.Response(422, json={"detail": [{"loc": ["body", "selector"], "msg": "bad selector"}]})
    assert _problem(listed) == "selector: bad selector"
    text = httpx.Response(502, text="Bad Gateway")
    assert _problem(text) == "Bad Gateway"


def test_label_changes_set_and_remove_like_kubectl() -> None:
    labels = {"env": "prod", "tier": "web"}
    assert commands.changed_labels(labels, ["env=staging", "tier-", "region=eu"]) == {"env": "staging", "region": "eu"}
    assert labels == {"env": "prod", "tier": "web"}


def test_the_command_line_knows_every_user_command() -> None:
    parser = build_parser()
    for argv in (
        ["clusters", "-l", "env=prod"],
        ["cluster", "register", "c1", "--label", "env=prod"],
        ["apply", "web", "-f", "app.yaml", "--selector", "env in (a,b)"],
        ["status", "web", "-o", "json"],
        ["versions", "--image", "nginx"],
        ["releases", "web"],
        ["delete", "web"],
        ["dev", "status", "-o", "json"],
    ):
        assert parser.parse_args(argv).command == argv[0]
