"""Reading a local git repository for sync: the tree at a ref, extracted with `git archive` into a
temporary directory (no work tree is touched), and the origin to record (the repository's `origin`
remote URL or its path, the directory, the commit).

A directory synced from a work tree records HEAD's commit; when the directory has uncommitted changes
the commit is recorded as `<sha>-dirty`, so nobody mistakes what was synced for that commit.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from hub.sources.origin import Origin


class GitError(RuntimeError):
    """A git command failed; the message says which and why."""


def _git(repository: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, check=False)
    except FileNotFoundError as error:
        raise GitError("git is not installed") from error
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)} in {repository}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _text(repository: Path, *args: str) -> str:
    return _git(repository, *args).decode().strip()


def without_credentials(url: str) -> str:
    """A remote URL as it may be recorded: `https://user:token@host/x.git` -> `https://host/x.git` (the
    audit log must never hold a secret). scp-like `git@host:x.git` names a user, not a secret: kept."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def repository_name(top: Path) -> str:
    """The `origin` remote's URL (without credentials), or the repository's absolute path when it has none."""
    try:
        return without_credentials(_text(top, "config", "--get", "remote.origin.url"))
    except GitError:
        return str(top.resolve())


def resolve_commit(repository: Path, ref: str) -> str:
    return _text(repository, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")


def extract(repository: Path, commit: str, path: str, into: Path) -> Path:
    """The tree of `path` at `commit`, written under `into`; the directory that holds it."""
    normal = path.strip("/") or "."
    data = _git(repository, "archive", "--format=tar", commit, "--", normal)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / normal


def ref_origin(repository: Path, commit: str, path: str) -> Origin:
    top = Path(_text(repository, "rev-parse", "--show-toplevel")) if not _bare(repository) else repository
    return Origin(repository=repository_name(top), path=path.strip("/") or ".", commit=commit)


def _bare(repository: Path) -> bool:
    return _text(repository, "rev-parse", "--is-bare-repository") == "true"


def directory_origin(directory: Path) -> Origin:
    """Where a directory comes from: in a git work tree, its repository, its path in it and HEAD (with
    `-dirty` when it has uncommitted changes there); otherwise the directory itself."""
    directory = directory.resolve()
    try:
        top = Path(_text(directory, "rev-parse", "--show-toplevel")).resolve()
        commit = _text(directory, "rev-parse", "--verify", "HEAD")
    except GitError:
        return Origin(repository=str(directory), path=".", commit=None)
    path = directory.relative_to(top).as_posix() or "."
    dirty = _text(top, "status", "--porcelain", "--", path)
    return Origin(repository=repository_name(top), path=path, commit=f"{commit}-dirty" if dirty else commit)
