from __future__ import annotations

import pytest

from deploy.local.artifacts import (
    KWOK_STAGES,
    GoBuild,
    helm_build,
    kubernetes_build,
    kwok_build,
    prometheus_build,
    staging_replaces,
    wrapper_go_mod,
)

KUBERNETES_GO_MOD = """
module k8s.io/kubernetes

go 1.26.0

require (
\tgithub.com/spf13/cobra v1.10.0
\tk8s.io/api v0.0.0
\tk8s.io/apimachinery v0.0.0
\tk8s.io/kube-openapi v0.0.0-20250910181357-589584f1c912
\tk8s.io/utils v0.0.0-20251002143259-bc988d571ff4
)

require (
\tk8s.io/cri-streaming v0.0.0 // indirect
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/sample-cli-plugin => ./staging/src/k8s.io/sample-cli-plugin
)
"""


def test_staging_replaces_cover_exactly_the_v0_0_0_requirements() -> None:
    replaces = staging_replaces(KUBERNETES_GO_MOD, "v1.36.3")
    # pseudo-versions (kube-openapi, utils) are real published versions and stay; modules only named in
    # `replace` but never required (sample-cli-plugin, which is not published) are left out.
    assert replaces == (
        ("k8s.io/api", "v0.36.3"),
        ("k8s.io/apimachinery", "v0.36.3"),
    )


def test_staging_replaces_skip_indirect_markers_only_when_not_v0_0_0() -> None:
    text = KUBERNETES_GO_MOD.replace("k8s.io/cri-streaming v0.0.0 // indirect", "k8s.io/cri-streaming v0.0.0")
    assert ("k8s.io/cri-streaming", "v0.36.3") in staging_replaces(text, "v1.36.3")


@pytest.mark.parametrize("version", ["1.36.3", "v1.36", "v2.0.0"])
def test_staging_replaces_reject_non_release_versions(version: str) -> None:
    with pytest.raises(ValueError):
        staging_replaces(KUBERNETES_GO_MOD, version)


def test_wrapper_go_mod_requires_the_module_and_pins_replaces() -> None:
    build = GoBuild(
        name="kubernetes",
        version="v1.36.3",
        module="k8s.io/kubernetes",
        binaries={"kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver"},
        replaces=(("k8s.io/api", "v0.36.3"),),
    )
    assert wrapper_go_mod(build, go_version="1.26.0") == (
        "module fleetcast.local/build/kubernetes\n\n"
        "go 1.26.0\n\n"
        "require k8s.io/kubernetes v1.36.3\n\n"
        "replace (\n\tk8s.io/api => k8s.io/api v0.36.3\n)\n"
    )


def test_wrapper_go_mod_without_replaces_has_no_replace_block() -> None:
    assert "replace" not in wrapper_go_mod(kwok_build("v0.8.0"), go_version="1.26.0")


def test_kubernetes_binaries_carry_their_release_version() -> None:
    build = kubernetes_build("v1.36.3")
    assert set(build.binaries) == {"kube-apiserver", "kube-controller-manager", "kube-scheduler"}
    assert "-X k8s.io/component-base/version.gitVersion=v1.36.3" in build.ldflags
    assert "-X k8s.io/component-base/version.gitMajor=1" in build.ldflags
    assert "-X k8s.io/component-base/version.gitMinor=36" in build.ldflags


def test_kwok_build_ships_node_and_pod_stages() -> None:
    sources = kwok_build("v0.8.0").assets[KWOK_STAGES]
    assert any("node-initialize" in s for s in sources)
    assert any("heartbeat-with-lease" in s for s in sources)
    assert any("pod-ready" in s for s in sources)


def test_prometheus_build_makes_both_binaries_with_the_release_version() -> None:
    build = prometheus_build("v0.315.0")
    assert build.module == "github.com/prometheus/prometheus"
    assert build.binaries == {
        "prometheus": "github.com/prometheus/prometheus/cmd/prometheus",
        "promtool": "github.com/prometheus/prometheus/cmd/promtool",
    }
    # module v0.315.0 is Prometheus 3.15.0: that is what build_info and --version must say
    assert "-X github.com/prometheus/common/version.Version=3.15.0" in build.ldflags
    assert build.tags == ("remove_all_sd",)
    assert "Version=3.1.2" in prometheus_build("v0.301.2").ldflags


def test_prometheus_wrapper_pins_the_cloud_module_the_proxy_resolves() -> None:
    go_mod = wrapper_go_mod(prometheus_build("v0.315.0"), go_version="1.26.0")
    assert "require github.com/prometheus/prometheus v0.315.0\n" in go_mod
    assert "\tcloud.google.com/go => cloud.google.com/go v0.123.0\n" in go_mod


@pytest.mark.parametrize("version", ["v3.15.0", "0.315.0", "v0.315", "v0.53.1"])
def test_prometheus_build_rejects_versions_that_are_not_module_versions(version: str) -> None:
    with pytest.raises(ValueError, match=r"v0\.3XX\.Y"):
        prometheus_build(version)


def test_prometheus_build_is_cached_under_its_own_name_and_version() -> None:
    from deploy.local.artifacts import Artifacts
    from deploy.local.settings import DevSettings

    settings = DevSettings()
    artifacts = Artifacts(settings, lambda _: None)
    build = prometheus_build(settings.prometheus_version)
    assert artifacts._bin_dir(build) == settings.cache_dir / "bin" / f"prometheus-{settings.prometheus_version}"


def test_helm_build_carries_its_release_version() -> None:
    build = helm_build("v3.22.0")
    assert build.module == "helm.sh/helm/v3"
    assert build.binaries == {"helm": "helm.sh/helm/v3/cmd/helm"}
    # Without it `helm version` says v3.x-dev, and charts' `.Capabilities.HelmVersion` sees that.
    assert build.ldflags == "-s -w -X helm.sh/helm/v3/internal/version.version=v3.22.0"
    assert "replace" not in wrapper_go_mod(build, go_version="1.26.0")


@pytest.mark.parametrize("version", ["3.22.0", "v4.0.0", "v3.22"])
def test_helm_build_rejects_what_is_not_a_helm_3_release(version: str) -> None:
    with pytest.raises(ValueError, match=r"v3\.Y\.Z"):
        helm_build(version)


def test_helm_is_cached_under_its_own_name_and_version() -> None:
    from deploy.local.artifacts import Artifacts
    from deploy.local.settings import DevSettings

    settings = DevSettings()
    build = helm_build(settings.helm_version)
    assert (
        Artifacts(settings, lambda _: None)._bin_dir(build)
        == settings.cache_dir / "bin" / f"helm-{settings.helm_version}"
    )
