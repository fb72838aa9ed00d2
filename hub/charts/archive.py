"""Chart archives: a chart's files, read from a directory or a packaged `.tgz`, checked, and packed
again deterministically. Pure (bytes in, bytes out).

A chart travels to the hub as a `.tgz` (base64 in JSON). Its identity is the digest of its files' paths
and contents, not of the archive bytes: the same chart packed twice (other mtimes, owners, order) is the
same chart, so syncing an unchanged directory makes no new release.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Bounds on what the hub unpacks from an upload: a chart is text, and a few MiB is a very large one.
MAX_FILES = 2000
MAX_TOTAL_BYTES = 16 * 1024 * 1024


class ChartError(ValueError):
    """A chart that cannot be used; the message names the chart (or archive) and what is wrong."""


@dataclass(frozen=True)
class ChartArchive:
    """A chart: `files` maps paths relative to the chart's root (`Chart.yaml`, `templates/x.yaml`,
    `values.schema.json`, `charts/sub/...`) to their contents."""

    name: str
    version: str
    files: Mapping[str, bytes] = field(repr=False)

    @property
    def digest(self) -> str:
        """sha256 over the sorted paths and contents: the chart's identity."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            content = self.files[path]
            h.update(path.encode())
            h.update(b"\0")
            h.update(str(len(content)).encode())
            h.update(b"\0")
            h.update(content)
        return "sha256:" + h.hexdigest()

    @property
    def label(self) -> str:
        """How errors name it: `web-1.2.0`."""
        return f"{self.name}-{self.version}"

    @property
    def has_schema(self) -> bool:
        return "values.schema.json" in self.files


def _metadata(files: Mapping[str, bytes], where: str) -> tuple[str, str]:
    raw = files.get("Chart.yaml")
    if raw is None:
        raise ChartError(f"{where}: no Chart.yaml at the chart's root")
    try:
        meta: Any = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise ChartError(f"{where}: Chart.yaml is not YAML: {error}") from error
    if not isinstance(meta, dict):
        raise ChartError(f"{where}: Chart.yaml must be a mapping")
    name, version = meta.get("name"), meta.get("version")
    if not isinstance(name, str) or not name:
        raise ChartError(f"{where}: Chart.yaml has no name")
    if not isinstance(version, str | int | float) or str(version) == "":
        raise ChartError(f"{where}: Chart.yaml of chart {name} has no version")
    return name, str(version)


def _checked_path(path: str, where: str) -> str:
    normal = posixpath.normpath(path)
    if normal.startswith(("/", "../")) or normal == ".." or "\\" in path:
        raise ChartError(f"{where}: unsafe path in archive: {path!r}")
    return normal


def chart(files: Mapping[str, bytes], where: str = "chart") -> ChartArchive:
    """A chart from its files (paths relative to its root); ChartError when it is not one."""
    if len(files) > MAX_FILES:
        raise ChartError(f"{where}: {len(files)} files, more than the {MAX_FILES} a chart may have")
    total = sum(len(c) for c in files.values())
    if total > MAX_TOTAL_BYTES:
        raise ChartError(f"{where}: {total} bytes unpacked, more than the {MAX_TOTAL_BYTES} a chart may have")
    checked = {_checked_path(p, where): c for p, c in files.items()}
    name, version = _metadata(checked, where)
    return ChartArchive(name, version, checked)


def load_archive(data: bytes, where: str = "chart archive") -> ChartArchive:
    """A chart from a `.tgz` as `helm package` writes it: one top-level directory holding the chart."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 (closed by the `with` below)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ChartError(f"{where}: not a gzipped tar archive: {error}") from error
    files: dict[str, bytes] = {}
    roots: set[str] = set()
    total = 0
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ChartError(f"{where}: corrupt archive: {error}") from error
        for member in members:
            if member.isdir():
                continue
            if not member.isfile():
                raise ChartError(f"{where}: {member.name!r} is not a regular file (links are not allowed)")
            path = _checked_path(member.name, where)
            root, _, rest = path.partition("/")
            if not rest:
                raise ChartError(f"{where}: {path!r} is outside the chart's directory")
            roots.add(root)
            total += member.size
            if total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
                raise ChartError(f"{where}: larger than a chart may be ({MAX_FILES} files, {MAX_TOTAL_BYTES} bytes)")
            extracted = tar.extractfile(member)
            assert extracted is not None
            files[rest] = extracted.read()
    if len(roots) != 1:
        raise ChartError(f"{where}: must hold exactly one chart directory, found {sorted(roots) or 'none'}")
    return chart(files, where)


def load_directory(path: Path) -> ChartArchive:
    """A chart from its directory (what `helm create` makes). Honours no `.helmignore` beyond skipping
    dot-directories such as `.git`."""
    if not (path / "Chart.yaml").is_file():
        raise ChartError(f"{path}: not a chart directory (no Chart.yaml)")
    files: dict[str, bytes] = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if any(part.startswith(".") and part not in (".helmignore",) for part in relative.parts):
            continue
        if file.is_file():
            files[relative.as_posix()] = file.read_bytes()
    return chart(files, str(path))


def load_path(path: Path) -> ChartArchive:
    """A chart from a directory or a packaged `.tgz`."""
    return load_directory(path) if path.is_dir() else load_archive(path.read_bytes(), str(path))


def pack(archive: ChartArchive) -> bytes:
    """The chart as a `.tgz` under `<name>/`, the same bytes for the same chart (sorted, mtime 0, no
    owners), which `helm template` reads and `load_archive` reads back."""
    out = io.BytesIO()
    # gzip's own header carries a time too: mtime=0 keeps it stable.
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for path in sorted(archive.files):
            content = archive.files[path]
            info = tarfile.TarInfo(f"{archive.name}/{path}")
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()
