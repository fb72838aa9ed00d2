"""Reading a directory into documents: a fleet repository (every `*.yaml`/`*.yml` under it, documents by
`kind`) or an application repository (a `fleetcast.yaml` at its root: one Application). Paths in
`chart:` and `manifests:` are resolved relative to the document's file; every problem is reported at
once, each with its file and line.

Files that are not Fleetcast documents are Kubernetes objects an Application's `manifests:` names, or
a template's manifests, or part of a chart (any directory holding a `Chart.yaml`): anything else is a
problem, so a file dropped in the wrong place is not silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from hub.charts.archive import ChartArchive, ChartError, load_path
from hub.fleetcode.documents import (
    APPLICATION,
    TEMPLATE,
    Document,
    Problem,
    RawDocument,
    document,
    duplicates,
    is_fleet_document,
    is_inventory,
    yaml_documents,
    yaml_error_line,
)
from hub.manifests import ManifestError, parse_manifests

APPLICATION_FILE = "fleetcast.yaml"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Loaded:
    """What a directory holds: its documents (paths resolved) and every problem found."""

    root: Path
    documents: list[Document]
    problems: list[Problem]
    application_repository: bool = False
    # Files read as an Application's manifests or a Template's (relative to the root).
    referenced: frozenset[str] = field(default_factory=frozenset)

    def of_kind(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind]


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _chart_directories(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("Chart.yaml") if not _hidden(p, root))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def yaml_files(root: Path) -> list[Path]:
    """The YAML files of a fleet repository, leaving out dot-directories (.git, .github) and charts."""
    charts = _chart_directories(root)
    return [
        p
        for p in sorted(root.rglob("*"))
        if p.suffix in YAML_SUFFIXES
        and p.is_file()
        and not _hidden(p, root)
        and not any(p.is_relative_to(c) for c in charts)
    ]


@dataclass
class _Resolution:
    """What resolving one document's paths found."""

    problems: list[Problem] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)


class _Resolver:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def matches(self, doc: Document, pattern: str) -> list[Path]:
        """The files a path or glob (relative to the document's file) names, inside the root only."""
        base = (self.root / doc.file).parent
        if any(ch in pattern for ch in "*?["):
            found = [p for p in sorted(base.glob(pattern)) if p.is_file()]
        else:
            candidate = base / pattern
            found = [candidate] if candidate.exists() else []
        return [p for p in found if self._inside(p)]

    def chart(self, doc: Document, at: int, out: _Resolution) -> ChartArchive | None:
        source = doc.spec.get("chart")
        if not isinstance(source, str) or not source:
            out.problems.append(Problem(doc.file, at, f"{doc.label}: chart must be a path (a directory or a .tgz)"))
            return None
        path = (self.root / doc.file).parent / source
        if not path.exists() or not self._inside(path):
            out.problems.append(Problem(doc.file, at, f"{doc.label}: chart {source}: no such file or directory"))
            return None
        try:
            archive = load_path(path)
        except (ChartError, OSError) as error:
            out.problems.append(Problem(doc.file, at, f"{doc.label}: chart {source}: {error}"))
            return None
        if path.is_dir():
            out.referenced |= {_relative(p, self.root) for p in path.resolve().rglob("*") if p.is_file()}
        else:
            out.referenced.add(_relative(path.resolve(), self.root))
        return archive

    def application_manifests(self, doc: Document, at: int, out: _Resolution) -> list[dict[str, Any]] | None:
        items = doc.spec.get("manifests")
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not items:
            out.problems.append(
                Problem(doc.file, at, f"{doc.label}: manifests must be a list of file paths (globs) or objects")
            )
            return None
        objects: list[Any] = []
        ok = True
        for item in items:
            if isinstance(item, dict):
                objects.append(item)
                continue
            if not isinstance(item, str) or not item:
                out.problems.append(Problem(doc.file, at, f"{doc.label}: manifests: {item!r} is not a path or object"))
                ok = False
                continue
            files = self.matches(doc, item)
            if not files:
                out.problems.append(Problem(doc.file, at, f"{doc.label}: manifests: no file matches {item}"))
                ok = False
            for path in files:
                name = _relative(path.resolve(), self.root)
                out.referenced.add(name)
                try:
                    objects += parse_manifests(path.read_text())
                except ManifestError as error:
                    out.problems += [Problem(name, 0, f"{doc.label}: {p}") for p in error.problems]
                    ok = False
                except (OSError, UnicodeDecodeError) as error:
                    out.problems.append(Problem(name, 0, f"{doc.label}: cannot read: {error}"))
                    ok = False
        if not ok:
            return None
        try:
            return parse_manifests(objects)
        except ManifestError as error:
            out.problems += [Problem(doc.file, at, f"{doc.label}: manifests: {p}") for p in error.problems]
            return None

    def template_manifests(self, doc: Document, at: int, out: _Resolution) -> list[str] | None:
        """A template's manifests stay text (Go templates over .Values are not YAML until rendered)."""
        items = doc.spec.get("manifests")
        if not isinstance(items, list) or not items:
            out.problems.append(
                Problem(doc.file, at, f"{doc.label}: manifests must be a list of file paths or template texts")
            )
            return None
        texts: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                out.problems.append(Problem(doc.file, at, f"{doc.label}: manifests: {item!r} is not a path or text"))
                continue
            if "\n" in item.strip():  # inline template text
                texts.append(item)
                continue
            files = self.matches(doc, item)
            if not files:
                out.problems.append(Problem(doc.file, at, f"{doc.label}: manifests: no file matches {item}"))
            for path in files:
                out.referenced.add(_relative(path.resolve(), self.root))
                texts.append(path.read_text())
        return texts if len(out.problems) == 0 else None

    def resolve(self, doc: Document) -> tuple[Document, _Resolution]:
        out = _Resolution()
        if doc.kind not in (APPLICATION, TEMPLATE):
            return doc, out
        # A Template has no `template` field (refused as unknown), so the same three cover both kinds.
        sources = [k for k in ("manifests", "chart", "template") if k in doc.spec]
        allowed = "manifests, chart or template" if doc.kind == APPLICATION else "manifests or chart"
        if len(sources) != 1:
            given = ", ".join(sources) or "none"
            out.problems.append(
                Problem(doc.file, doc.line, f"{doc.label}: give exactly one of {allowed} ({given} given)")
            )
            if "manifests" in sources and doc.kind == APPLICATION:
                # Still mark its files as referenced: they are not strays, only the document is wrong.
                seen = _Resolution()
                self.application_manifests(doc, doc.line, seen)
                out.referenced |= seen.referenced
            return doc, out
        source = sources[0]
        at = doc.line_of(source)
        spec = dict(doc.spec)
        chart = None
        if source == "chart":
            chart = self.chart(doc, at, out)
        elif source == "manifests" and doc.kind == APPLICATION:
            objects = self.application_manifests(doc, at, out)
            if objects is not None:
                spec["manifests"] = objects
        elif source == "manifests":
            texts = self.template_manifests(doc, at, out)
            if texts is not None:
                spec["manifests"] = texts
        return replace(doc, spec=spec, chart=chart), out


def _read(path: Path, root: Path) -> tuple[list[RawDocument] | None, Problem | None]:
    name = _relative(path, root)
    try:
        return yaml_documents(path.read_text()), None
    except yaml.YAMLError as error:
        return None, Problem(name, yaml_error_line(error), f"not valid YAML: {_first_line(error)}")
    except (OSError, UnicodeDecodeError) as error:
        return None, Problem(name, 0, f"cannot read: {error}")


def _first_line(error: yaml.YAMLError) -> str:
    return " ".join(str(error).split())


def load(root: Path) -> Loaded:
    """The documents under `root` (a fleet repository) or in its `fleetcast.yaml` (an application
    repository), with every problem found."""
    if not root.is_dir():
        return Loaded(root, [], [Problem(str(root), 0, "not a directory")])
    application_repository = (root / APPLICATION_FILE).is_file()
    files = [root / APPLICATION_FILE] if application_repository else yaml_files(root)
    resolver = _Resolver(root)
    documents: list[Document] = []
    problems: list[Problem] = []
    unreadable: dict[str, Problem] = {}
    strays: dict[str, Problem] = {}
    referenced: set[str] = set()
    for path in files:
        name = _relative(path, root)
        raws, error = _read(path, root)
        if raws is None:
            assert error is not None
            unreadable[name] = error
            continue
        for raw in raws:
            if is_inventory(raw.value):
                continue  # `fleetcast validate --inventory` reads it; it may well live in the repository
            if not is_fleet_document(raw.value):
                strays.setdefault(
                    name, Problem(name, raw.line, "not a Fleetcast document and not referenced by any manifests:")
                )
                continue
            doc, shape = document(raw, name)
            problems += shape
            if doc is None:
                continue
            resolved, resolution = resolver.resolve(doc)
            problems += resolution.problems
            referenced |= resolution.referenced
            documents.append(resolved)
    if application_repository:
        problems += _one_application(documents, unreadable, strays)
    else:
        problems += [p for name, p in unreadable.items() if name not in referenced]
        problems += [p for name, p in strays.items() if name not in referenced]
    problems += duplicates(documents)
    return Loaded(root, documents, _ordered(problems), application_repository, frozenset(referenced))


def _one_application(
    documents: list[Document], unreadable: dict[str, Problem], strays: dict[str, Problem]
) -> list[Problem]:
    problems = [*unreadable.values(), *strays.values()]
    if not unreadable and (len(documents) != 1 or documents[0].kind != APPLICATION):
        kinds = ", ".join(d.label for d in documents) or "nothing"
        problems.append(Problem(APPLICATION_FILE, 0, f"must hold exactly one Application document, found {kinds}"))
    return problems


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.message))
