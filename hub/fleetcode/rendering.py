"""The steps `fleetcast validate` runs offline with the hub's own code: charts and templates rendered by
a real Helm exactly as the hub renders them (values, per-cluster values, `${cluster...}`, the template's
rule, image overrides, namespaces), the template's parameter checks, and the CEL policies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub.charts.archive import ChartError, load_path
from hub.charts.renderer import HelmRenderer
from hub.fleetcode.documents import Document
from hub.fleetcode.templatedocs import template_body
from hub.fleetcode.validate import Finding, ManifestRenderer, RenderError
from hub.overrides.spec import OverrideError, parse_overrides
from hub.policies.evaluate import evaluate
from hub.policies.spec import Policy, PolicyError, enabled_split, parse_spec
from hub.sources.change import document_change, next_source
from hub.sources.facts import ClusterFacts
from hub.sources.render import RenderFailed, RenderJob, render_for
from hub.sources.spec import MANIFESTS, SourceError, SourceKind
from hub.templates.document import template_body as template_files
from hub.templates.spec import DOCUMENT_FIELDS, TemplateError, TemplateIn, TemplateSpec, parse_template
from hub.templates.values import check_values, template_rule


class TemplateSpecs:
    """Each Template document of a validate run parsed once (the parameter schema's meta-check is the
    costly part), however many applications are made from it; shared by the renderer and the checks."""

    def __init__(self) -> None:
        self._parsed: dict[str, TemplateSpec | Exception] = {}

    def get(self, template: Document) -> TemplateSpec:
        """The template's spec; its TemplateError (or ValueError) again each time it is asked for."""
        if template.name not in self._parsed:
            try:
                self._parsed[template.name] = parse_template(template.name, template_body(template))
            except (TemplateError, ValueError) as error:
                self._parsed[template.name] = error
        found = self._parsed[template.name]
        if isinstance(found, Exception):
            raise found
        return found


class HelmValidateRenderer:
    """Renders each chart or template application for all the clusters it selects at once (Helm once per
    distinct input, as the hub does); plain manifests as the hub sends them."""

    def __init__(self, helm: HelmRenderer, specs: TemplateSpecs) -> None:
        self.helm = helm
        self.specs = specs
        self.manifests = ManifestRenderer()
        self.loop = asyncio.new_event_loop()
        self.rendered: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def prepare(
        self, application: Document, clusters: Sequence[ClusterFacts], templates: Mapping[str, Document]
    ) -> str | None:
        if "manifests" in application.spec or not clusters:
            return None
        try:
            source = next_source(MANIFESTS, False, document_change(application.spec, application.chart))
            overrides = parse_overrides(application.spec.get("imageOverrides") or {})
        except (SourceError, OverrideError) as error:
            return str(error)
        if source.kind is SourceKind.TEMPLATE:
            template = templates.get(str(source.template))
            if template is None:
                return None  # reported by the reference checks
            try:
                spec = self.specs.get(template)
            except (TemplateError, ValueError) as error:
                return f"template {template.name} does not parse: {error}"
            job = RenderJob(application.name, source, spec.source, overrides, template_rule(spec, source))
        else:
            assert application.chart is not None
            job = RenderJob(application.name, source, application.chart, overrides)
        try:
            rendered = self.loop.run_until_complete(render_for(self.helm, job, clusters))
        except RenderFailed as failed:
            return "does not render: " + "; ".join(failed.problems)
        for cluster, objects in rendered.items():
            self.rendered[(application.name, cluster)] = objects
        return None

    def render(
        self, application: Document, cluster: ClusterFacts, templates: Mapping[str, Document]
    ) -> list[dict[str, Any]] | None:
        if "manifests" in application.spec:
            return self.manifests.render(application, cluster, templates)
        found = self.rendered.get((application.name, cluster.name))
        if found is None:
            raise RenderError("not rendered")
        return found


class TemplateValuesCheck:
    """The template's parameter checks on an application's values, as the hub makes them."""

    def __init__(self, specs: TemplateSpecs) -> None:
        self.specs = specs

    def check(self, application: Document, template: Document) -> list[str]:
        try:
            spec = self.specs.get(template)
            source = next_source(MANIFESTS, False, document_change(application.spec, application.chart))
        except (TemplateError, SourceError, ValueError):
            return []  # the template's or the application's own problems are reported elsewhere
        pairs = source.cluster_value_pairs()
        return check_values(spec, source.values, pairs)


class CelPolicyCheck:
    """The repository's Policy documents, compiled once, evaluated as the hub evaluates them."""

    def __init__(self) -> None:
        self.compiled: dict[str, Policy | str] = {}

    def _policies(self, documents: Sequence[Document]) -> tuple[list[Policy], list[Finding]]:
        policies: list[Policy] = []
        broken: list[Finding] = []
        for doc in documents:
            if doc.name not in self.compiled:
                try:
                    spec, enabled = enabled_split(doc.spec)
                    self.compiled[doc.name] = parse_spec(doc.name, spec) if enabled else "disabled"
                except PolicyError as error:
                    self.compiled[doc.name] = "; ".join(error.problems)
            found = self.compiled[doc.name]
            if isinstance(found, Policy):
                policies.append(found)
            elif found != "disabled":
                broken.append(Finding(doc.name, "-", f"does not compile: {found}", deny=True))
        return policies, broken

    def check(
        self, policies: Sequence[Document], cluster: ClusterFacts, objects: Sequence[dict[str, Any]]
    ) -> list[Finding]:
        compiled, broken = self._policies(policies)
        findings = evaluate(compiled, [(cluster, objects)])
        return broken + [Finding(f.policy, f.object, f.message, deny=f.action == "deny") for f in findings]


def offline_renderer(helm: HelmRenderer, cluster: ClusterFacts) -> Callable[..., list[dict[str, Any]]]:
    """`fleetcast policy test`'s renderer: an Application document made from a chart (a path relative to
    its file) or a template (its Template document among the files given) rendered for `cluster` as the
    hub renders it; ValueError naming the problem."""

    def render(
        where: str, name: str, spec: dict[str, Any], base: Path, templates: dict[str, tuple[dict[str, Any], Path]]
    ) -> list[dict[str, Any]]:
        chart = None
        if isinstance(spec.get("chart"), str):
            try:
                chart = load_path(base / spec["chart"])
            except (ChartError, OSError) as error:
                raise ValueError(f"chart {spec['chart']}: {error}") from error
        try:
            source = next_source(MANIFESTS, False, document_change(spec, chart))
            overrides = parse_overrides(spec.get("imageOverrides") or {})
        except (SourceError, OverrideError) as error:
            raise ValueError(str(error)) from error
        if source.kind is SourceKind.TEMPLATE:
            found = templates.get(str(source.template))
            if found is None:
                raise ValueError(f"template {source.template}: pass its Template document with -f")
            try:
                spec_of = parse_template(
                    str(source.template),
                    TemplateIn.model_validate(
                        template_files({DOCUMENT_FIELDS.get(k, k): v for k, v in found[0].items()}, found[1])
                    ),
                )
            except (TemplateError, ValueError) as error:
                raise ValueError(f"template {source.template}: {error}") from error
            problems = check_values(spec_of, source.values, source.cluster_value_pairs())
            if problems:
                raise ValueError(f"template {source.template} refuses its values: " + "; ".join(problems))
            job = RenderJob(name, source, spec_of.source, overrides, template_rule(spec_of, source))
        else:
            assert chart is not None
            job = RenderJob(name, source, chart, overrides)
        try:
            return asyncio.run(render_for(helm, job, [cluster]))[cluster.name]
        except RenderFailed as failed:
            raise ValueError("does not render: " + "; ".join(failed.problems)) from failed

    return render
