from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local import state
from deploy.local.control import cluster_labels
from deploy.local.fleet import cluster_names, start_order, stop_order
from deploy.local.processes import ProcessRecord


def test_cluster_names_are_stable_and_numbered() -> None:
    assert cluster_names(3) == ["cluster-1", "cluster-2", "cluster-3"]


COMPONENTS = [
    "cluster-2/kwok",
    "etcd",
    "cluster-1/kube-scheduler",
    "kafka",
    "cluster-1/kube-apiserver",
    "cluster-2/kube-apiserver",
    "cluster-1/kwok",
    "cluster-1/kube-controller-manager",
]


def test_start_order_puts_dependencies_first() -> None:
    assert start_order(COMPONENTS) == [
        "kafka",
        "etcd",
        "cluster-1/kube-apiserver",
        "cluster-1/kube-controller-manager",
        "cluster-1/kube-scheduler",
        "cluster-1/kwok",
        "cluster-2/kube-apiserver",
        "cluster-2/kwok",
    ]


def test_stop_order_stops_dependants_before_what_they_need() -> None:
    order = stop_order(COMPONENTS)
    assert order.index("cluster-1/kwok") < order.index("cluster-1/kube-apiserver")
    assert order.index("cluster-2/kube-apiserver") < order.index("etcd")
    assert order[-1] == "kafka"


def test_state_round_trips_through_its_file(tmp_path: Path) -> None:
    fleet = state.FleetState(kafka_port=1, kafka_controller_port=2, etcd_client_port=3, etcd_peer_port=4)
    fleet.clusters.append(state.ClusterState(name="cluster-1", apiserver_port=6443))
    record = ProcessRecord("etcd", pid=42, start_ticks=7, log="/l/etcd.log", argv=("etcd", "--x"))
    fleet.set_record("etcd", record)
    path = tmp_path / "fleet.json"
    state.save(path, fleet)
    loaded = state.load(path)
    assert loaded == fleet
    assert loaded is not None
    assert loaded.record("etcd") == record
    assert loaded.clusters[0].server == "https://127.0.0.1:6443"
    assert loaded.kafka_bootstrap == "127.0.0.1:1"


def test_missing_state_file_means_no_fleet(tmp_path: Path) -> None:
    assert state.load(tmp_path / "absent.json") is None


def test_cluster_labels_from_the_command_line() -> None:
    assert cluster_labels(["cluster-2:env=canary", "cluster-2:zone=a", "cluster-3:env="], NAMES) == {
        "cluster-2": {"env": "canary", "zone": "a"},
        "cluster-3": {"env": ""},
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("cluster-2", "expected CLUSTER:KEY=VALUE"),
        ("cluster-2:env", "expected CLUSTER:KEY=VALUE"),
        (":env=a", "expected CLUSTER:KEY=VALUE"),
        ("cluster-9:env=a", r"no cluster cluster-9 in this fleet \(cluster-1, cluster-2, cluster-3\)"),
    ],
)
def test_a_bad_label_argument_says_what_is_expected(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        cluster_labels([value], NAMES)


NAMES = ["cluster-1", "cluster-2", "cluster-3"]


def test_prometheus_starts_after_everything_it_scrapes_and_stops_first() -> None:
    components = ["prometheus", "cluster-1/spoke", "hub", "kafka", "cluster-1/kube-apiserver", "cluster-2/spoke"]
    assert start_order(components) == [
        "kafka",
        "cluster-1/kube-apiserver",
        "hub",
        "cluster-1/spoke",
        "cluster-2/spoke",
        "prometheus",
    ]
    assert stop_order(components)[0] == "prometheus"


def test_state_keeps_the_prometheus_port(tmp_path: Path) -> None:
    fleet = state.FleetState(kafka_port=1, kafka_controller_port=2, etcd_client_port=3, etcd_peer_port=4)
    assert fleet.prometheus_url is None
    fleet.prometheus_port = 9090
    path = tmp_path / "fleet.json"
    state.save(path, fleet)
    loaded = state.load(path)
    assert loaded is not None and loaded.prometheus_url == "http://127.0.0.1:9090"


@pytest.mark.parametrize("interval", ["5s", "1m", "1m30s", "500ms"])
def test_prometheus_interval_accepts_prometheus_durations(interval: str) -> None:
    from deploy.local.settings import DevSettings

    assert DevSettings(prometheus_interval=interval).prometheus_interval == interval


@pytest.mark.parametrize("interval", ["5", "five seconds", "5 s", ""])
def test_prometheus_interval_refuses_anything_else(interval: str) -> None:
    from pydantic import ValidationError

    from deploy.local.settings import DevSettings

    with pytest.raises(ValidationError):
        DevSettings(prometheus_interval=interval)
