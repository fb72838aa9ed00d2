from __future__ import annotations

from pathlib import Path

from deploy.local import kube
from deploy.local.kafka import KafkaPorts, server_properties


def parse_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_kafka_is_a_single_kraft_node_on_loopback() -> None:
    props = parse_properties(server_properties(KafkaPorts(9092, 9093), Path("/data")))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert props["log.dirs"] == "/data"
    # one node: internal topics must not ask for more replicas than there are brokers
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert props[key] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_kafka_bootstrap_is_the_broker_port() -> None:
    assert KafkaPorts(broker=19092, controller=19093).bootstrap == "127.0.0.1:19092"


def flags(argv: list[str]) -> dict[str, str]:
    return dict(arg[2:].split("=", 1) for arg in argv[1:] if "=" in arg)


def test_apiserver_keeps_each_cluster_under_its_own_etcd_prefix() -> None:
    files = kube.ClusterFiles("cluster-7", Path("/state/clusters/cluster-7"))
    argv = kube.apiserver_args(Path("/bin/kube-apiserver"), files, 6443, kube.EtcdPorts(2379, 2380))
    f = flags(argv)
    assert argv[0] == "/bin/kube-apiserver"
    assert f["etcd-servers"] == "http://127.0.0.1:2379"
    assert f["etcd-prefix"] == "/fleetcast/cluster-7"
    assert f["secure-port"] == "6443"
    assert f["bind-address"] == "127.0.0.1"
    assert f["authorization-mode"] == "Node,RBAC"
    assert f["client-ca-file"] == "/state/clusters/cluster-7/pki/ca.crt"
    assert f["service-account-signing-key-file"] == "/state/clusters/cluster-7/pki/sa.key"


def test_controllers_run_as_their_own_service_accounts() -> None:
    files = kube.ClusterFiles("c", Path("/s"))
    f = flags(kube.controller_manager_args(Path("/bin/kcm"), files))
    assert f["use-service-account-credentials"] == "true"
    assert f["kubeconfig"] == "/s/components/kube-controller-manager.kubeconfig"
    assert f["leader-elect"] == "false"


def test_kwok_manages_only_annotated_nodes_with_stages() -> None:
    files = kube.ClusterFiles("c", Path("/s"))
    argv = kube.kwok_args(Path("/bin/kwok"), Path("/bin/stages.yaml"), files)
    f = flags(argv)
    assert f["manage-all-nodes"] == "false"
    assert f["manage-nodes-with-annotation-selector"] == "kwok.x-k8s.io/node=fake"
    # kwok's own stages, then ours (a file shipped with the package)
    configs = [a.removeprefix("--config=") for a in argv if a.startswith("--config=")]
    assert configs == ["/bin/stages.yaml", str(kube.KWOK_FAULT_STAGES)]
    assert kube.KWOK_FAULT_STAGES.is_file()


def test_fake_node_carries_the_annotation_kwok_selects() -> None:
    node = kube.node_manifest("n1")
    metadata = node["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert metadata["labels"]["kubernetes.io/hostname"] == "n1"


def test_etcd_listens_on_loopback_only() -> None:
    f = flags(kube.etcd_args(Path("/bin/etcd"), kube.EtcdPorts(2379, 2380), Path("/d")))
    assert f["listen-client-urls"] == "http://127.0.0.1:2379"
    assert f["listen-peer-urls"] == "http://127.0.0.1:2380"
    assert f["initial-cluster"] == "fleetcast=http://127.0.0.1:2380"
