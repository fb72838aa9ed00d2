"""Topic administration: the hub creates the shared topics at start and a cluster's desired topic when
the cluster registers (and, in case that failed, before the relay first publishes to it).

A topic that already exists gets the configs the hub relies on (`ENFORCED_CONFIGS`: compression and the
record size limit the API checks against) if it has other values, e.g. one made by an older hub; its
other settings are the operator's and are left as they are."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from hub.errors import is_retriable, retrying
from schemas.kafka import KafkaClientSettings, admin_kwargs
from schemas.v1.topics import TopicSpec

log = logging.getLogger(__name__)

# The topic configs the hub's size check and producers depend on: enforced on existing topics too.
ENFORCED_CONFIGS = ("compression.type", "max.message.bytes")
# DescribeConfigs' config_source of a value set on the topic itself (not a broker default).
_TOPIC_OVERRIDE = 1


def config_update(overrides: dict[str, str], wanted: dict[str, str]) -> dict[str, str] | None:
    """The whole set of topic overrides to write so that the enforced configs of `wanted` hold, keeping
    every other override; None when nothing needs to change. (AlterConfigs replaces a topic's overrides
    as a whole: a key left out would fall back to the broker default.)"""
    enforced = {key: value for key, value in wanted.items() if key in ENFORCED_CONFIGS}
    if all(overrides.get(key) == value for key, value in enforced.items()):
        return None
    return overrides | enforced


class TopicManager:
    def __init__(self, kafka: KafkaClientSettings, replication_factor: int) -> None:
        self._kafka = kafka
        self._replication_factor = replication_factor
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()
        self._known: set[str] = set()

    async def _client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**admin_kwargs(self._kafka, "topics", request_timeout_ms=10_000))
            try:
                await admin.start()
            except BaseException:
                await admin.close()
                raise
            self._admin = admin
        return self._admin

    async def _reset(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            try:
                await admin.close()
            except Exception:  # closing a broken client must not hide why it broke
                log.debug("closing the admin client failed", exc_info=True)

    async def _create(self, specs: list[TopicSpec]) -> None:
        admin = await self._client()
        try:
            response = await admin.create_topics(
                [NewTopic(s.name, s.partitions, self._replication_factor, topic_configs=s.configs) for s in specs]
            )
        except Exception:
            await self._reset()
            raise
        existing = []
        for topic, code, *message in response.topic_errors:
            error = for_code(code) if code else None
            if error is TopicAlreadyExistsError:
                existing.append(topic)
                continue
            if error is None:
                self._known.add(topic)
                continue
            raise error(f"creating topic {topic}: {message[0] if message else ''}")
        if existing:
            try:
                await self._align_configs(admin, [s for s in specs if s.name in existing])
            except Exception as error:
                if is_retriable(error):
                    raise
                # Refused for good (the hub may not alter configs, say): the topic works with its own
                # settings, but the API's size check may not match it. Say so, and what to set.
                wanted = "; ".join(
                    f"{s.name}: " + ", ".join(f"{k}={v}" for k, v in s.configs.items() if k in ENFORCED_CONFIGS)
                    for s in specs
                    if s.name in existing
                )
                log.error(
                    "existing topics' configs could not be aligned (%r); set them by hand (docs/architecture.md, "
                    "How big an application may be): %s",
                    error,
                    wanted,
                )
            self._known.update(existing)

    async def _align_configs(self, admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
        try:
            (described,) = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs]
            )
            current = {}
            for code, message, _type, name, entries in described.resources:
                if code:
                    raise for_code(code)(f"describing the configs of topic {name}: {message}")
                current[name] = {e[0]: e[1] for e in entries if e[3] == _TOPIC_OVERRIDE and e[1] is not None}
            updates = {s.name: u for s in specs if (u := config_update(current[s.name], s.configs)) is not None}
            if not updates:
                return
            responses = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name, configs=configs) for name, configs in updates.items()]
            )
        except Exception:
            await self._reset()
            raise
        for response in responses:
            for code, message, _type, name in response.resources:
                if code:
                    raise for_code(code)(f"setting the configs of topic {name}: {message}")
        for name, configs in updates.items():
            log.info("topic %s configs set: %s", name, {k: configs[k] for k in ENFORCED_CONFIGS if k in configs})

    async def ensure(self, specs: list[TopicSpec], *, give_up_after: float | None = 30.0) -> None:
        """Create the topics that do not exist yet; existing ones get the enforced configs of their spec."""
        if all(s.name in self._known for s in specs):
            return
        names = [s.name for s in specs if s.name not in self._known]
        async for attempt in retrying(f"creating topics {names}", give_up_after=give_up_after):
            with attempt:
                # The lock covers one attempt, never a backoff: a caller that gives up early is not
                # stuck behind one that keeps trying.
                async with self._lock:
                    missing = [s for s in specs if s.name not in self._known]
                    if missing:
                        await self._create(missing)
        log.info("topics ready: %s", ", ".join(names))

    async def partitions(self, topic: str) -> list[int]:
        """The topic's partition numbers; [] when it does not exist."""
        async with self._lock:
            admin = await self._client()
            try:
                (described,) = await admin.describe_topics([topic])
            except Exception:
                await self._reset()
                raise
        if described.get("error_code"):
            return []
        return sorted(int(p["partition"]) for p in described.get("partitions") or [])

    async def ping(self) -> None:
        async with self._lock:
            admin = await self._client()
            try:
                await admin.describe_cluster()
            except Exception:
                await self._reset()
                raise

    async def close(self) -> None:
        async with self._lock:
            await self._reset()
