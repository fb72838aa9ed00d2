"""A single-node Apache Kafka broker in KRaft mode, from the jars fetched by `artifacts`."""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from deploy.local import processes, readiness
from deploy.local.errors import ComponentError
from schemas.kafka import KafkaClientSettings, admin_kwargs, consumer_kwargs, producer_kwargs

LOG4J2_CONFIG = Path(__file__).parent / "kafka" / "log4j2.properties"
READY_TOPIC = "fleetcast.dev.ready"


@dataclass(frozen=True)
class KafkaPorts:
    broker: int
    controller: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker}"


def server_properties(ports: KafkaPorts, data_dir: Path) -> str:
    """One node that is both broker and KRaft controller, sized for a laptop or CI box."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{ports.controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{ports.broker},CONTROLLER://127.0.0.1:{ports.controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{ports.broker}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # One node: every internal topic must live with one replica or the broker refuses to start it.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Consumers in tests join groups often; the default 3 s delay would slow each join.
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


class KafkaBroker:
    def __init__(self, libs: Path, home: Path, log: Path, heap: str) -> None:
        self.libs = libs
        self.home = home
        self.log = log
        self.heap = heap

    @property
    def _classpath(self) -> str:
        return str(self.libs / "*")

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp",
            self._classpath,
            main,
            *args,
        ]

    def prepare(self, ports: KafkaPorts) -> Path:
        """Write the configuration and format the storage once (the cluster id is kept with the data)."""
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(server_properties(ports, self.home / "data"))
        id_file = self.home / "cluster.id"
        if not id_file.exists():
            # Kafka's cluster ids are URL-safe base64 of 16 random bytes; StorageTool random-uuid makes
            # the same, but costs a JVM start.
            id_file.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=") + "\n")
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                # One argument with `=`: an id may start with "-", which would read as an option.
                f"--cluster-id={id_file.read_text().strip()}",
                "-c",
                str(config),
                "--ignore-formatted",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as out:
            out.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise ComponentError("kafka", "formatting the storage failed", self.log)
        return config

    def start(self, ports: KafkaPorts, *, tie_to_parent: bool) -> processes.ProcessRecord:
        config = self.prepare(ports)
        return processes.spawn("kafka", self._java("kafka.Kafka", str(config)), self.log, tie_to_parent=tie_to_parent)


async def round_trip(bootstrap: str, timeout: float = 15.0) -> None:
    """Create a topic, produce a record and consume it back: the broker is ready for real work."""
    kafka = KafkaClientSettings(bootstrap=bootstrap, client_id="fleetcast-dev")
    admin = AIOKafkaAdminClient(**admin_kwargs(kafka, "ready", request_timeout_ms=int(timeout * 1000)))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(READY_TOPIC, num_partitions=1, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
    marker = f"ready-{uuid.uuid4()}".encode()
    producer = AIOKafkaProducer(**producer_kwargs(kafka, "ready", acks="all", enable_idempotence=True))
    await producer.start()
    try:
        sent = await producer.send_and_wait(READY_TOPIC, marker)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**consumer_kwargs(kafka, "ready", enable_auto_commit=False))
    await consumer.start()
    try:
        partition = TopicPartition(READY_TOPIC, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        batch = await consumer.getmany(partition, timeout_ms=int(timeout * 1000))
        values = [record.value for record in batch.get(partition, [])]
        if marker not in values:
            raise ComponentError("kafka", "a produced record could not be consumed back")
    finally:
        await consumer.stop()


async def wait_ready(record: processes.ProcessRecord, bootstrap: str, timeout: float) -> float:
    async def probe() -> str | None:
        try:
            await round_trip(bootstrap)
        except (KafkaError, OSError, ComponentError) as error:
            return str(error) or type(error).__name__
        return None

    return await readiness.wait_ready("kafka", record, probe, timeout, interval=1.0)
