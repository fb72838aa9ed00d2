"""The planner: apply order, namespace defaulting and labels, and the prune rules of invariant 3."""

from __future__ import annotations

from typing import Any

from schemas.v1 import Bundle, ObjectRef, Removal
from spoke.inventory import Inventory
from spoke.objects import APPLICATION_LABEL, MANAGED_BY_LABEL, ObjectKey, key_of_ref, ref_of
from spoke.planner import crd_scopes, plan, prune_candidates

CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


def scopes(api_version: str, kind: str) -> bool | None:
    if api_version.startswith("example.com/"):
        return None  # a custom kind the API server does not serve yet
    return kind not in CLUSTER_SCOPED


def obj(api_version: str, kind: str, name: str, namespace: str | None = "ns") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def bundle(*manifests: dict[str, Any], generation: int = 1) -> Bundle:
    return Bundle.build("app", generation, generation, list(manifests))


def ours(application: str = "app") -> dict[str, Any]:
    return {"metadata": {"labels": {APPLICATION_LABEL: application}}}


def inventory_of(*manifests: dict[str, Any]) -> Inventory:
    return Inventory("app", tuple(ref_of(m) for m in manifests), 1, 1)


def names(refs: tuple[ObjectRef, ...]) -> list[str]:
    return [f"{r.kind}/{r.name}" for r in refs]


def test_apply_order_puts_definitions_and_namespaces_first_and_webhooks_and_custom_resources_last() -> None:
    the_plan = plan(
        bundle(
            obj("example.com/v1", "Widget", "w"),
            obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook", None),
            obj("apps/v1", "Deployment", "web"),
            obj("v1", "Service", "web"),
            obj("v1", "ConfigMap", "cfg"),
            obj("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
            obj("v1", "ServiceAccount", "sa"),
            obj("v1", "Secret", "s"),
            obj("v1", "Namespace", "ns", None),
            obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com", None),
        ),
        {},
        None,
        scopes=scopes,
    )
    assert [m["kind"] for m in the_plan.apply] == [
        "CustomResourceDefinition",
        "Namespace",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "RoleBinding",
        "Service",
        "Deployment",
        "ValidatingWebhookConfiguration",
        "Widget",
    ]
    assert the_plan.prune == ()


def test_objects_are_labelled_and_namespaced_ones_default_to_the_default_namespace() -> None:
    the_plan = plan(
        bundle(obj("v1", "ConfigMap", "cfg", None), obj("v1", "Namespace", "ns", "stray")), {}, None, scopes=scopes
    )
    namespace, configmap = the_plan.apply
    assert configmap["metadata"]["namespace"] == "default"
    assert "namespace" not in namespace["metadata"]  # cluster-scoped: dropped
    for manifest in the_plan.apply:
        assert manifest["metadata"]["labels"] == {MANAGED_BY_LABEL: "fleetcast", APPLICATION_LABEL: "app"}


def test_the_bundle_is_not_modified() -> None:
    manifest = obj("v1", "ConfigMap", "cfg", None)
    plan(bundle(manifest), {}, None, scopes=scopes)
    assert manifest == obj("v1", "ConfigMap", "cfg", None)


def test_a_new_release_prunes_what_it_dropped_in_reverse_order() -> None:
    old = [obj("v1", "Namespace", "gone", None), obj("v1", "ConfigMap", "cfg"), obj("apps/v1", "Deployment", "web")]
    kept = obj("v1", "Service", "svc")
    live = {key_of_ref(ref_of(m)): ours() for m in old}
    the_plan = plan(bundle(kept, generation=2), live, inventory_of(*old, kept), scopes=scopes)
    assert names(the_plan.prune) == ["Deployment/web", "ConfigMap/cfg", "Namespace/gone"]


def test_nothing_is_pruned_without_an_inventory_or_when_everything_is_still_desired() -> None:
    manifests = [obj("v1", "ConfigMap", "cfg"), obj("v1", "Service", "svc")]
    assert plan(bundle(*manifests), {}, None, scopes=scopes).prune == ()
    # A restarted spoke reading its inventory back: same desired state, nothing to prune.
    assert prune_candidates(bundle(*manifests), inventory_of(*manifests), scopes) == []


def test_objects_that_are_gone_or_not_ours_any_more_are_left_alone() -> None:
    gone, taken = obj("v1", "ConfigMap", "gone"), obj("v1", "ConfigMap", "taken")
    live = {key_of_ref(ref_of(gone)): None, key_of_ref(ref_of(taken)): ours("another-app")}
    the_plan = plan(bundle(obj("v1", "Service", "svc")), live, inventory_of(gone, taken), scopes=scopes)
    assert the_plan.prune == ()
    assert [ref.name for ref, _ in the_plan.left_alone] == ["taken"]


def test_an_object_absent_from_live_is_never_pruned() -> None:
    # Missing from `live` means the shell did not see it: no deletion on a guess.
    cfg = obj("v1", "ConfigMap", "cfg")
    assert plan(bundle(obj("v1", "Service", "svc")), {}, inventory_of(cfg), scopes=scopes).prune == ()


def test_a_removal_prunes_the_whole_inventory() -> None:
    objects = [obj("v1", "Namespace", "ns", None), obj("v1", "ConfigMap", "cfg"), obj("apps/v1", "Deployment", "web")]
    live = {key_of_ref(ref_of(m)): ours() for m in objects}
    removal = Removal(application="app", revision=1, generation=2, reason="deleted")
    the_plan = plan(removal, live, inventory_of(*objects), scopes=scopes)
    assert the_plan.apply == ()
    assert names(the_plan.prune) == ["Deployment/web", "ConfigMap/cfg", "Namespace/ns"]


def test_a_moved_api_version_is_the_same_object() -> None:
    old = obj("apps/v1beta2", "Deployment", "web")
    live = {key_of_ref(ref_of(old)): ours()}
    the_plan = plan(bundle(obj("apps/v1", "Deployment", "web")), live, inventory_of(old), scopes=scopes)
    assert the_plan.prune == ()


def test_an_object_of_a_kind_not_served_yet_is_not_pruned_on_a_guess_about_its_namespace() -> None:
    recorded = obj("example.com/v1", "Widget", "w", "team")
    live = {key_of_ref(ref_of(recorded)): ours()}
    the_plan = plan(bundle(obj("example.com/v1", "Widget", "w", None)), live, inventory_of(recorded), scopes=scopes)
    assert the_plan.prune == ()


def test_crd_scopes_come_from_the_bundle_itself() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"}},
    }
    assert crd_scopes([crd]) == {("example.com", "Widget"): True}
    the_plan = plan(bundle(crd, obj("example.com/v1", "Widget", "w", None)), {}, None, scopes=scopes)
    assert the_plan.apply[-1]["metadata"]["namespace"] == "default"


def test_repeated_objects_are_applied_once() -> None:
    the_plan = plan(bundle(obj("v1", "ConfigMap", "cfg"), obj("v1", "ConfigMap", "cfg")), {}, None, scopes=scopes)
    assert len(the_plan.apply) == 1
    assert ObjectKey("", "ConfigMap", "ns", "cfg") == key_of_ref(the_plan.desired_refs[0])


def test_the_planner_is_pure_it_does_not_load_the_kubernetes_client() -> None:
    import subprocess
    import sys

    code = "import sys, spoke.planner; print(sorted(m for m in sys.modules if m.startswith('kubernetes')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_intend_then_decide_is_the_plan() -> None:
    from spoke.planner import decide, intend

    old, kept = obj("v1", "ConfigMap", "old"), obj("v1", "ConfigMap", "kept")
    inventory = inventory_of(old, kept)
    intent = intend(bundle(kept, generation=2), inventory, scopes)
    assert [r.name for r in intent.prune_candidates] == ["old"]
    live = {key_of_ref(ref_of(old)): ours()}
    decided = decide(intent, live)
    assert names(decided.prune) == ["ConfigMap/old"]
    assert decided == plan(bundle(kept, generation=2), live, inventory, scopes=scopes)
