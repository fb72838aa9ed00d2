"""Origins from git and trees read at a ref (a real git on a repository in a temp dir), and documents
as the sync API takes them."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from hub.charts.archive import load_archive
from hub.fleetcode.git import directory_origin, extract, ref_origin, resolve_commit, without_credentials
from hub.fleetcode.loader import load
from hub.fleetcode.wire import wire_document
from tests.unit.hub.fleetcode.test_loader import DEPLOYMENT, WEB, write


def git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_a_ref_is_read_without_a_work_tree_and_recorded_with_its_commit(tmp_path: Path) -> None:
    repository = write(
        tmp_path / "repo", {"prod/web.yaml": WEB, "prod/manifests/d.yaml": DEPLOYMENT, "dev/other.yaml": "x: 1\n"}
    )
    git(repository, "init", "-q", "-b", "main")
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "one")
    first = git(repository, "rev-parse", "HEAD")
    (repository / "prod/web.yaml").unlink()
    git(repository, "commit", "-q", "-am", "two")

    assert resolve_commit(repository, "main~1") == first
    root = extract(repository, first, "prod", tmp_path / "out")
    loaded = load(root)
    assert loaded.problems == [] and [d.name for d in loaded.documents] == ["web"]
    origin = ref_origin(repository, first, "prod")
    assert (origin.repository, origin.path, origin.commit) == (str(repository.resolve()), "prod", first)
    assert wire_document(loaded.documents[0], origin.path)["file"] == "prod/web.yaml"

    git(repository, "remote", "add", "origin", "git@example.test:fleet.git")
    head = git(repository, "rev-parse", "HEAD")
    assert directory_origin(repository / "prod").model_dump() == {
        "repository": "git@example.test:fleet.git",
        "path": "prod",
        "commit": head,
        "file": None,
    }
    (repository / "prod/new.yaml").write_text(WEB)
    assert directory_origin(repository / "prod").commit == f"{head}-dirty"
    assert directory_origin(repository / "dev").commit == head
    outside = write(tmp_path / "plain", {"a.yaml": WEB})
    assert directory_origin(outside).commit is None


def test_a_chart_travels_as_base64_of_its_archive(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "charts/web/templates/d.yaml": "kind: {{ .Values.kind }}\n",
            "web.yaml": WEB.replace("manifests: [manifests/*.yaml]", "chart: charts/web"),
        },
    )
    (doc,) = load(root).documents
    sent = wire_document(doc)["spec"]["chart"]
    assert doc.chart is not None
    assert load_archive(base64.b64decode(sent["archive"])).digest == doc.chart.digest


def test_credentials_in_a_remote_url_are_never_recorded() -> None:
    assert without_credentials("https://ci:ghp_secret@github.com/acme/fleet.git") == "https://github.com/acme/fleet.git"
    assert without_credentials("git@github.com:acme/fleet.git") == "git@github.com:acme/fleet.git"
    assert without_credentials("/srv/git/fleet") == "/srv/git/fleet"
