"""`fleetcast validate`: load a directory, check its documents and references, then render each
application for each inventory cluster it selects and run the policies over what it renders. Every
problem is reported at once.

Rendering charts and templates (Helm) and evaluating policies (CEL) are steps given to `validate`
(the `Renderer`, `TemplateCheck` and `PolicyCheck` protocols below), so this module stays pure and the
CLI wires the real ones. Without them, plain manifests are "rendered" as they are (with their image
overrides) and no policy is run; the report says what was skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hub.fleetcode.checks import reference_problems
from hub.fleetcode.documents import APPLICATION, POLICY, TEMPLATE, Document, Problem
from hub.fleetcode.loader import Loaded
from hub.overrides.render import render
from hub.overrides.spec import OverrideError, parse_overrides
from hub.selectors import SelectorError, parse_selector
from hub.sources.facts import ClusterFacts


class RenderError(ValueError):
    """An application that cannot be rendered for a cluster; the message names the chart, template and line."""


class Renderer(Protocol):
    def prepare(
        self, application: Document, clusters: Sequence[ClusterFacts], templates: Mapping[str, Document]
    ) -> str | None:
        """Get ready to render `application` for all of `clusters` at once (Helm runs them side by side);
        what is wrong with it for all of them (reported once), or None."""

    def render(
        self, application: Document, cluster: ClusterFacts, templates: Mapping[str, Document]
    ) -> list[dict[str, Any]] | None:
        """The objects `application` makes on `cluster`; None when this renderer cannot render its
        kind of source (counted as skipped); RenderError when it does not render."""


class TemplateCheck(Protocol):
    def check(self, application: Document, template: Document) -> list[str]:
        """Why the application's values are not allowed by the template (empty: they are)."""


@dataclass(frozen=True)
class Finding:
    policy: str
    object: str  # Kind/namespace/name
    message: str
    deny: bool


class PolicyCheck(Protocol):
    def check(
        self, policies: Sequence[Document], cluster: ClusterFacts, objects: Sequence[dict[str, Any]]
    ) -> list[Finding]:
        """The policies' findings on the objects rendered for `cluster`. A policy that fails to
        evaluate is a denying finding, never a pass."""


class ManifestRenderer:
    """Plain manifests with their image overrides: what the hub sends for a manifests application.
    Charts and templates need Helm: None (skipped) here."""

    def prepare(
        self, application: Document, clusters: Sequence[ClusterFacts], templates: Mapping[str, Document]
    ) -> str | None:
        return None

    def render(
        self, application: Document, cluster: ClusterFacts, templates: Mapping[str, Document]
    ) -> list[dict[str, Any]] | None:
        manifests = application.spec.get("manifests")
        if not isinstance(manifests, list):
            return None
        try:
            overrides = parse_overrides(application.spec.get("imageOverrides") or {})
        except OverrideError as error:
            raise RenderError(str(error)) from error
        return render(manifests, overrides).manifests


@dataclass
class Report:
    problems: list[Problem]
    applications: int = 0
    clusters: int = 0
    rendered: int = 0  # (application, cluster) pairs rendered
    skipped: int = 0  # pairs no renderer could render (charts, templates without Helm wired)
    warnings: list[Problem] = field(default_factory=list)
    policies_run: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{self.applications} applications x {self.clusters} clusters: {self.rendered} rendered",
        ]
        if self.skipped:
            parts.append(f"{self.skipped} not rendered (no chart/template renderer)")
        if not self.policies_run:
            parts.append("policies not evaluated (no policy engine)")
        parts.append(f"{len(self.warnings)} warnings, {len(self.problems)} problems in {self.seconds:.1f} s")
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in self.problems],
            "warnings": [{"file": p.file, "line": p.line, "message": p.message} for p in self.warnings],
            "applications": self.applications,
            "clusters": self.clusters,
            "rendered": self.rendered,
            "skipped": self.skipped,
            "policies_run": self.policies_run,
            "seconds": round(self.seconds, 3),
        }


def _object_name(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return "/".join(str(p) for p in (obj.get("kind"), namespace, metadata.get("name")) if p)


def validate(
    loaded: Loaded,
    clusters: Sequence[ClusterFacts],
    *,
    renderer: Renderer | None = None,
    template_check: TemplateCheck | None = None,
    policy_check: PolicyCheck | None = None,
    progress: Callable[[str], None] | None = None,
    progress_every: float = 3.0,
    monotonic: Callable[[], float] = time.monotonic,
) -> Report:
    """Everything wrong with the loaded directory for these clusters. `progress` hears a line every
    `progress_every` seconds while rendering goes on."""
    started = monotonic()
    renderer = renderer or ManifestRenderer()
    problems = list(loaded.problems)
    problems += reference_problems(loaded.documents, whole_fleet=not loaded.application_repository)
    templates = {d.name: d for d in loaded.of_kind(TEMPLATE)}
    policies = loaded.of_kind(POLICY)
    applications = loaded.of_kind(APPLICATION)
    report = Report(problems, len(applications), len(clusters), policies_run=policy_check is not None)
    if template_check is not None:
        for app in applications:
            template = templates.get(str(app.spec.get("template")))
            if template is not None:
                for why in template_check.check(app, template):
                    problems.append(Problem(app.file, app.line_of("values"), f"{app.label}: {why}"))
    # Applications whose files did not load (manifests unresolved, chart unreadable) are not rendered:
    # their problems are reported already, and rendering them would only repeat them.
    broken = {p.message.split(":", 1)[0] for p in loaded.problems}
    last_said = started
    for index, app in enumerate(applications, start=1):
        if app.label in broken:
            continue
        try:
            selector = parse_selector(app.spec.get("selector"))
        except SelectorError:
            continue  # reported by the reference checks
        selected = [c for c in clusters if selector.matches(c.labels)]
        failure = renderer.prepare(app, selected, templates)
        if failure is not None:
            problems.append(Problem(app.file, app.line, f"{app.label}: {failure}"))
            continue
        for cluster in selected:
            try:
                objects = renderer.render(app, cluster, templates)
            except RenderError as error:
                problems.append(Problem(app.file, app.line, f"{app.label} on cluster {cluster.name}: {error}"))
                continue
            if objects is None:
                report.skipped += 1
                continue
            report.rendered += 1
            if policy_check is None:
                continue
            for finding in policy_check.check(policies, cluster, objects):
                where = Problem(
                    app.file,
                    app.line,
                    f"{app.label} on cluster {cluster.name}: policy {finding.policy}: {finding.object}: "
                    f"{finding.message}",
                )
                (problems if finding.deny else report.warnings).append(where)
        now = monotonic()
        if progress is not None and now - last_said >= progress_every:
            progress(f"rendered {index}/{len(applications)} applications ({report.rendered} renderings)")
            last_said = now
    report.seconds = monotonic() - started
    return report


def object_label(obj: dict[str, Any]) -> str:
    """How findings name an object: Kind/namespace/name."""
    return _object_name(obj)


def steps(helm_binary: Path | None = None) -> tuple[Renderer | None, TemplateCheck | None, PolicyCheck | None]:
    """The rendering, template and policy steps `fleetcast validate` runs: charts and templates rendered
    by Helm as the hub renders them (None without a Helm: they are counted as not rendered, a problem),
    the templates' parameter checks, and the CEL policies."""
    from hub.charts.binary import HelmNotFound, find_helm
    from hub.charts.renderer import HelmRenderer
    from hub.fleetcode.rendering import CelPolicyCheck, HelmValidateRenderer, TemplateSpecs, TemplateValuesCheck

    specs = TemplateSpecs()
    try:
        renderer: Renderer | None = HelmValidateRenderer(HelmRenderer(find_helm(helm_binary)), specs)
    except HelmNotFound:
        renderer = None
    return renderer, TemplateValuesCheck(specs), CelPolicyCheck()
