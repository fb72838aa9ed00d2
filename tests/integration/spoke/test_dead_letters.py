"""Bad input never stops the line: a malformed record goes to the DLQ and the spoke keeps going."""

from __future__ import annotations

import uuid

from prometheus_client import CollectorRegistry

from schemas.v1.topics import DLQ_TOPIC
from tests.integration.spoke.conftest import Fleet, configmap, running_spoke
from tests.kafka import first_record


async def _dead_letter(fleet: Fleet, key: bytes, timeout: float = 30.0) -> tuple[bytes | None, dict[str, bytes]]:
    record = await first_record(
        fleet.bootstrap, DLQ_TOPIC, lambda r: r.key == key, timeout, what=f"dead letter with key {key!r}"
    )
    return record.value, record.headers


async def test_a_malformed_record_is_dead_lettered_and_later_bundles_still_apply(fleet: Fleet) -> None:
    broken, app = f"broken-{uuid.uuid4().hex[:6]}", f"after-{uuid.uuid4().hex[:6]}"
    registry = CollectorRegistry()
    async with running_spoke(fleet.settings(), registry):
        await fleet.publish_raw(broken.encode(), b"{not json")
        await fleet.publish_bundle(app, 1, [configmap(app, "default", fine="yes")])

        value, headers = await _dead_letter(fleet, broken.encode())
        assert value == b"{not json"
        assert headers["reason"] == b"malformed-json"
        assert headers["source-topic"] == fleet.topic.encode()
        assert headers["source-offset"] == b"0"
        assert headers["cluster"] == fleet.cluster.encode()
        assert headers["detail"]

        await fleet.status(app, lambda r: r.last_applied_revision == 1)
        assert await fleet.get("v1", "ConfigMap", app, "default") is not None
        malformed = {"cluster": fleet.cluster, "reason": "malformed-json"}
        assert registry.get_sample_value("fleetcast_spoke_dlq_total", malformed) == 1
