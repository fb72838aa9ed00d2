"""Hooks and tests are left out of what a fleet applies, and named."""

from __future__ import annotations

import pytest

from hub.charts.errors import RenderError
from hub.charts.renderer import split_hooks


def test_hooks_are_left_out_and_named_in_order() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    migrate = {
        "kind": "Job",
        "metadata": {"name": "migrate", "annotations": {"helm.sh/hook": "pre-install,pre-upgrade"}},
    }
    test_pod = {"kind": "Pod", "metadata": {"name": "web-test", "annotations": {"helm.sh/hook": "test"}}}
    other = {"kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"note": "x"}}}
    rendering = split_hooks([deployment, migrate, other, test_pod], "web-1.0.0")
    assert rendering.objects == [deployment, other]
    assert rendering.skipped_hooks == ["Job/migrate (pre-install,pre-upgrade)", "Pod/web-test (test)"]


def test_a_document_that_is_not_an_object_names_the_chart() -> None:
    with pytest.raises(RenderError, match=r"^chart web-1\.0\.0: rendered a document that is not an object"):
        split_hooks(["just text"], "web-1.0.0")
