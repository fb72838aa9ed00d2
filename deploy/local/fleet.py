"""`fleetcast dev up | status | down`: the real local fleet as one unit.

`up` is idempotent: it starts only what is not running, keeps ports (so kubeconfigs stay valid) and
data across restarts, and if interrupted stops what it had started itself. `down` stops everything in
reverse dependency order and keeps the data unless asked to purge it.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from deploy.local import control, kafka, kube, processes
from deploy.local import prometheus as prom
from deploy.local import state as fleet_state
from deploy.local.artifacts import Artifacts, Binaries, PrometheusBinaries
from deploy.local.errors import ComponentError
from deploy.local.settings import DevSettings

Say = Callable[[str], None]

KUBE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def cluster_names(count: int) -> list[str]:
    return [f"cluster-{index}" for index in range(1, count + 1)]


def start_order(components: Iterable[str]) -> list[str]:
    """Kafka and etcd; each cluster's API server, controller-manager, scheduler and kwok; then the hub;
    then the spokes; then Prometheus, which scrapes them."""
    rank = {"kube-apiserver": 0, "kube-controller-manager": 1, "kube-scheduler": 2, "kwok": 3}

    def key(component: str) -> tuple[int, str, int]:
        if component == control.HUB:
            return (2, "", 0)
        if component == prom.COMPONENT:
            return (4, "", 0)
        if "/" not in component:
            return (0, "", 0 if component == "kafka" else 1)
        cluster, name = component.split("/", 1)
        if name == "spoke":
            return (3, cluster, 0)
        return (1, cluster, rank.get(name, len(rank)))

    return sorted(components, key=key)


def stop_order(components: Iterable[str]) -> list[str]:
    """Dependants first, so nothing runs on after what it depends on is gone."""
    return list(reversed(start_order(components)))


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    running: bool
    pid: int | None
    rss_mib: float | None
    endpoint: str
    log: str


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process as the kernel counts it (VmRSS), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class LocalFleet:
    def __init__(self, settings: DevSettings, say: Say, *, tie_to_parent: bool = False) -> None:
        self.settings = settings
        self.say = say
        # Test sessions tie the processes to themselves so a killed session leaves nothing behind;
        # `dev up` detaches them so the fleet outlives the command.
        self.tie_to_parent = tie_to_parent
        self.home = settings.state_dir
        self.state_path = self.home / "fleet.json"
        self.hub_home = self.home / "hub"
        self.admin_token_path = self.hub_home / control.ADMIN_TOKEN

    # --- files -----------------------------------------------------------------------------------

    def cluster_files(self, name: str) -> kube.ClusterFiles:
        return kube.ClusterFiles(name=name, home=self.home / "clusters" / name)

    def log(self, component: str) -> Path:
        if "/" in component:
            cluster, name = component.split("/", 1)
            return self.cluster_files(cluster).log(name)
        return self.home / "logs" / f"{component}.log"

    def load(self) -> fleet_state.FleetState | None:
        return fleet_state.load(self.state_path)

    def admin_token(self) -> str | None:
        """The local hub's admin token, once `up` has made it."""
        return self.admin_token_path.read_text().strip() if self.admin_token_path.exists() else None

    # --- up --------------------------------------------------------------------------------------

    def _initial_state(self) -> fleet_state.FleetState:
        return fleet_state.FleetState(
            kafka_port=self.settings.kafka_port or processes.free_port(),
            kafka_controller_port=processes.free_port(),
            etcd_client_port=processes.free_port(),
            etcd_peer_port=processes.free_port(),
        )

    async def up(self) -> fleet_state.FleetState:
        started = time.monotonic()
        state = self.load() or self._initial_state()
        known = {c.name for c in state.clusters}
        for index, name in enumerate(cluster_names(self.settings.clusters)):
            if name not in known:
                state.clusters.append(
                    fleet_state.ClusterState(
                        name=name,
                        apiserver_port=processes.free_port(),
                        labels=control.default_labels(name, index),
                        spoke_metrics_port=processes.free_port(),
                    )
                )
        # A state written by an older `up` lacks what came later: fill it in, keep the rest.
        for index, cluster in enumerate(state.clusters):
            if not cluster.labels:
                cluster.labels = control.default_labels(cluster.name, index)
            # Labels asked for on the command line win over the defaults (and, at the hub, over what it has).
            cluster.labels = {**cluster.labels, **self.settings.labels.get(cluster.name, {})}
            if not cluster.spoke_metrics_port:
                cluster.spoke_metrics_port = processes.free_port()
        if self.settings.run_fleetcast and not state.hub_port:
            wanted = self.settings.hub_port
            state.hub_port = wanted if wanted and not processes.port_in_use(wanted) else processes.free_port()
        if self.runs_prometheus and not state.prometheus_port:
            wanted = self.settings.prometheus_port
            taken = not wanted or processes.port_in_use(wanted)
            state.prometheus_port = processes.free_port() if taken else wanted
        fleet_state.save(self.state_path, state)

        artifacts = Artifacts(self.settings, self.say)
        libs, binaries, prometheus, helm = await asyncio.gather(
            artifacts.ensure_kafka(),
            artifacts.ensure_binaries(),
            self._prometheus_binaries(artifacts),
            self._helm_binary(artifacts),
        )

        started_here: list[str] = []
        try:
            await self._start_all(state, libs, binaries, started_here, helm)
            if prometheus is not None:
                await self._start_prometheus(state, prometheus, started_here)
            self._check_alive(state)
        except BaseException:
            # Interrupted or failed: leave nothing running that this call started.
            if started_here:
                self.say(f"stopping what this run started: {', '.join(started_here)}")
                self._stop(state, started_here)
            raise
        self.say(f"fleet ready in {time.monotonic() - started:.1f}s")
        return state

    @property
    def runs_prometheus(self) -> bool:
        """Prometheus scrapes the hub and the spokes: without them there is nothing for it to do."""
        return self.settings.run_fleetcast and self.settings.run_prometheus

    async def _prometheus_binaries(self, artifacts: Artifacts) -> PrometheusBinaries | None:
        return await artifacts.ensure_prometheus() if self.runs_prometheus else None

    async def _helm_binary(self, artifacts: Artifacts) -> Path | None:
        """The Helm the hub renders chart applications with: only a fleet that runs a hub needs it."""
        return await artifacts.ensure_helm() if self.settings.run_fleetcast else None

    def _ensure(
        self,
        state: fleet_state.FleetState,
        component: str,
        argv_or_start: list[str] | Callable[[], processes.ProcessRecord],
        started_here: list[str],
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> processes.ProcessRecord:
        record = state.record(component)
        if record and processes.is_alive(record):
            return record
        if port is not None and processes.port_in_use(port):
            raise ComponentError(component, f"port {port} is taken by another program", self.log(component))
        if callable(argv_or_start):
            record = argv_or_start()
        else:
            record = processes.spawn(
                component, argv_or_start, self.log(component), env=env, tie_to_parent=self.tie_to_parent
            )
        state.set_record(component, record)
        started_here.append(component)
        fleet_state.save(self.state_path, state)
        self.say(f"started {component} (pid {record.pid}, log {record.log})")
        return record

    async def _start_all(
        self,
        state: fleet_state.FleetState,
        libs: Path,
        binaries: Binaries,
        started_here: list[str],
        helm: Path | None = None,
    ) -> None:
        timeout = self.settings.ready_timeout
        # Kafka's JVM takes seconds to start: launch it first and check it last.
        kafka_ports = kafka.KafkaPorts(state.kafka_port, state.kafka_controller_port)
        broker = kafka.KafkaBroker(libs, self.home / "kafka", self.log("kafka"), self.settings.kafka_heap)
        kafka_record = self._ensure(
            state,
            "kafka",
            lambda: broker.start(kafka_ports, tie_to_parent=self.tie_to_parent),
            started_here,
            port=state.kafka_port,
        )

        etcd_ports = kube.EtcdPorts(state.etcd_client_port, state.etcd_peer_port)
        self._ensure(
            state,
            "etcd",
            kube.etcd_args(binaries.etcd, etcd_ports, self.home / "etcd"),
            started_here,
            port=etcd_ports.client,
        )

        apiservers = {}
        for cluster in state.clusters:
            files = self.cluster_files(cluster.name)
            files.ensure_credentials(cluster.apiserver_port)
            apiservers[cluster.name] = self._ensure(
                state,
                f"{cluster.name}/kube-apiserver",
                kube.apiserver_args(binaries.kube_apiserver, files, cluster.apiserver_port, etcd_ports),
                started_here,
                port=cluster.apiserver_port,
            )

        async def bring_up_cluster(cluster: fleet_state.ClusterState) -> None:
            files = self.cluster_files(cluster.name)
            took = await kube.wait_apiserver_ready(files, cluster.apiserver_port, apiservers[cluster.name], timeout)
            self.say(f"{cluster.name}: API server ready at {cluster.server} ({took:.1f}s)")
            name = cluster.name
            self._ensure(
                state,
                f"{name}/kube-controller-manager",
                kube.controller_manager_args(binaries.kube_controller_manager, files),
                started_here,
            )
            self._ensure(
                state,
                f"{name}/kube-scheduler",
                kube.scheduler_args(binaries.kube_scheduler, files),
                started_here,
            )
            kwok_argv = kube.kwok_args(binaries.kwok, binaries.kwok_stages, files)
            previous = state.record(f"{name}/kwok")
            if previous is None or not processes.is_alive(previous):
                await kube.release_node_lease(files)
            kwok = self._ensure(state, f"{name}/kwok", kwok_argv, started_here)
            took = await kube.ensure_node_ready(files, kwok, timeout)
            self.say(f"{name}: node {kube.NODE_NAME} Ready ({took:.1f}s)")

        await asyncio.gather(*(bring_up_cluster(c) for c in state.clusters))
        took = await kafka.wait_ready(kafka_record, state.kafka_bootstrap, timeout)
        self.say(f"kafka: ready at {state.kafka_bootstrap} (round trip through a real topic, {took:.1f}s)")
        if self.settings.run_fleetcast:
            await self._start_fleetcast(state, started_here, helm)

    async def _start_fleetcast(
        self, state: fleet_state.FleetState, started_here: list[str], helm: Path | None = None
    ) -> None:
        """The hub, the clusters registered with it, and a spoke per cluster under its own identity."""
        timeout = self.settings.ready_timeout
        url = control.hub_url(state.hub_port)
        self.hub_home.mkdir(parents=True, exist_ok=True)
        database = self.hub_home / "fleetcast.db"
        # Made before the hub starts (migrating its database first), so the hub is never without an admin.
        token = await control.ensure_admin_token(self.admin_token_path, database)
        hub = self._ensure(
            state,
            control.HUB,
            control.hub_args(state.hub_port, database, state.kafka_bootstrap),
            started_here,
            port=state.hub_port,
            env=control.hub_env(helm),
        )
        took = await control.wait_http_ok(control.HUB, f"{url}/readyz", hub, timeout)
        self.say(f"hub: ready at {url} ({took:.1f}s)")

        async def bring_up_spoke(cluster: fleet_state.ClusterState) -> None:
            if await control.register_cluster(url, token, cluster.name, cluster.labels):
                labels = ",".join(f"{k}={v}" for k, v in cluster.labels.items())
                self.say(f"hub: registered {cluster.name} ({labels})")
            elif cluster.name in self.settings.labels:
                labelled = await control.label_cluster(url, token, cluster.name, self.settings.labels[cluster.name])
                self.say(f"hub: {cluster.name} labels now {','.join(f'{k}={v}' for k, v in labelled.items())}")
            files = self.cluster_files(cluster.name)
            await control.grant_spoke_access(files)
            component = control.spoke_component(cluster.name)
            argv = control.spoke_args(
                cluster.name,
                files.component_kubeconfig(kube.SPOKE),
                state.kafka_bootstrap,
                cluster.spoke_metrics_port,
            )
            spoke = self._ensure(state, component, argv, started_here, port=cluster.spoke_metrics_port)
            health = f"http://127.0.0.1:{cluster.spoke_metrics_port}/healthz"
            took = await control.wait_http_ok(component, health, spoke, timeout)
            self.say(f"{cluster.name}: spoke healthy ({took:.1f}s)")

        await asyncio.gather(*(bring_up_spoke(c) for c in state.clusters))

    async def _start_prometheus(
        self, state: fleet_state.FleetState, binaries: PrometheusBinaries, started_here: list[str]
    ) -> None:
        """Prometheus scraping the hub and every spoke, with the shipped alert rules. The configuration is
        written on every `up` (clusters may have been added): a running Prometheus reloads it."""
        port = state.prometheus_port
        targets = prom.ScrapeTargets(
            hub=f"127.0.0.1:{state.hub_port}",
            spokes={c.name: f"127.0.0.1:{c.spoke_metrics_port}" for c in state.clusters},
        )
        config, data = prom.write_config(
            self.home / "prometheus", targets, [prom.ALERT_RULES], self.settings.prometheus_interval
        )
        previous = state.record(prom.COMPONENT)
        was_running = previous is not None and processes.is_alive(previous)
        argv = prom.prometheus_args(binaries.prometheus, config, data, port)
        record = self._ensure(state, prom.COMPONENT, argv, started_here, port=port)
        if was_running:
            await prom.reload(port)
        took = await prom.wait_ready(record, port, self.settings.ready_timeout)
        self.say(
            f"prometheus: ready at {prom.url(port)} ({took:.1f}s), scraping the hub and {len(state.clusters)} "
            f"spoke(s) every {self.settings.prometheus_interval}"
        )

    def _check_alive(self, state: fleet_state.FleetState) -> None:
        for component in state.processes:
            record = state.record(component)
            if record and not processes.is_alive(record):
                raise ComponentError(component, "exited", Path(record.log))

    # --- status ----------------------------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        state = self.load()
        if state is None:
            return []
        endpoints = {"kafka": state.kafka_bootstrap, "etcd": f"http://127.0.0.1:{state.etcd_client_port}"}
        if state.hub_url:
            endpoints[control.HUB] = state.hub_url
        if state.prometheus_url:
            endpoints[prom.COMPONENT] = state.prometheus_url
        for cluster in state.clusters:
            endpoints[f"{cluster.name}/kube-apiserver"] = cluster.server
            endpoints[control.spoke_component(cluster.name)] = f"http://127.0.0.1:{cluster.spoke_metrics_port}/metrics"
        rows = []
        for component in start_order(state.processes):
            record = state.record(component)
            assert record is not None
            alive = processes.is_alive(record)
            rows.append(
                ComponentStatus(
                    component=component,
                    running=alive,
                    pid=record.pid if alive else None,
                    rss_mib=rss_mib(record.pid) if alive else None,
                    endpoint=endpoints.get(component, ""),
                    log=record.log,
                )
            )
        return rows

    # --- down ------------------------------------------------------------------------------------

    def down(self, *, purge: bool = False) -> list[str]:
        state = self.load()
        stopped: list[str] = []
        if state is not None:
            stopped = self._stop(state, list(state.processes))
        if purge and self.home.exists():
            shutil.rmtree(self.home)
        return stopped

    def stop(self, components: list[str]) -> list[str]:
        """Stop some components (named as `status` names them), dependants first; `up` starts them again.
        The ones stopped; an unknown name is a ValueError naming the known ones."""
        state = self.load()
        if state is None:
            raise ValueError(f"no local fleet in {self.home}; start one with `fleetcast dev up`")
        unknown = [c for c in components if c not in state.processes]
        if unknown:
            known = ", ".join(start_order(state.processes))
            raise ValueError(f"no component {', '.join(unknown)} in this fleet; its components: {known}")
        return self._stop(state, components)

    def _stop(self, state: fleet_state.FleetState, components: list[str]) -> list[str]:
        stopped = []
        for component in stop_order(components):
            record = state.record(component)
            if record and processes.is_alive(record):
                processes.stop(record)
                stopped.append(component)
        if self.state_path.exists():
            fleet_state.save(self.state_path, state)
        return stopped
