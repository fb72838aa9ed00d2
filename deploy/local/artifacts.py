"""Fetching Kafka from Maven Central and building the Kubernetes binaries from Go modules, cached by version.

A first run takes minutes (about 5 on 2 cores: module downloads, then Kubernetes compiling), so every
step says what it does and keeps saying so while it runs. A cache entry counts only once its `.complete` marker exists:
an interrupted build is redone, never half-used. A lock per entry keeps two runs (say `dev up` and a
test session) from building the same thing at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.errors import ComponentError
from deploy.local.settings import DevSettings

Say = Callable[[str], None]

KAFKA_POM = Path(__file__).parent / "kafka" / "pom.xml"
_COMPLETE = ".complete"
# A progress line every few seconds: a cold build of Kubernetes or Prometheus takes minutes.
_HEARTBEAT_SECONDS = 5.0


@dataclass(frozen=True)
class GoBuild:
    """One Go module version built into one or more binaries through a wrapper module."""

    name: str
    version: str
    module: str
    binaries: Mapping[str, str]  # binary name -> package path
    ldflags: str = ""
    replaces: tuple[tuple[str, str], ...] = field(default=())
    tags: tuple[str, ...] = field(default=())
    # Files made from the module's source next to the binaries: output name -> source paths to join.
    assets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def staging_replaces(kubernetes_go_mod: str, version: str) -> tuple[tuple[str, str], ...]:
    """k8s.io/kubernetes requires its staging modules at v0.0.0 and points them at ./staging with
    `replace`, which only works inside its own repository. Outside it, each must be replaced by the
    published staging module of the same release: Kubernetes vX.Y.Z ships them as v0.Y.Z."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"not a Kubernetes release version: {version!r}")
    staging_version = f"v0.{match[1]}.{match[2]}"
    modules = sorted(set(re.findall(r"^\s*(k8s\.io/[\w.-]+) v0\.0\.0\s*$", kubernetes_go_mod, re.MULTILINE)))
    return tuple((module, staging_version) for module in modules)


def wrapper_go_mod(build: GoBuild, go_version: str) -> str:
    lines = [
        f"module fleetcast.local/build/{build.name}",
        "",
        f"go {go_version}",
        "",
        f"require {build.module} {build.version}",
    ]
    if build.replaces:
        lines += ["", "replace ("]
        lines += [f"\t{module} => {module} {version}" for module, version in build.replaces]
        lines.append(")")
    return "\n".join(lines) + "\n"


def kubernetes_build(version: str) -> GoBuild:
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+", version)
    if not match:
        raise ValueError(f"not a Kubernetes release version: {version!r}")
    # Without these the binaries report v0.0.0 and clients refuse or misjudge the server version.
    ldflags = " ".join(
        [
            "-s -w",
            f"-X k8s.io/component-base/version.gitVersion={version}",
            f"-X k8s.io/component-base/version.gitMajor={match[1]}",
            f"-X k8s.io/component-base/version.gitMinor={match[2]}",
            "-X k8s.io/component-base/version.gitTreeState=clean",
        ]
    )
    return GoBuild(
        name="kubernetes",
        version=version,
        module="k8s.io/kubernetes",
        binaries={c: f"k8s.io/kubernetes/cmd/{c}" for c in _KUBE_COMPONENTS},
        ldflags=ldflags,
    )


_KUBE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def etcd_build(version: str) -> GoBuild:
    return GoBuild(
        name="etcd",
        version=version,
        module="go.etcd.io/etcd/server/v3",
        binaries={"etcd": "go.etcd.io/etcd/server/v3"},
        ldflags="-s -w",
    )


def kwok_build(version: str) -> GoBuild:
    return GoBuild(
        name="kwok",
        version=version,
        module="sigs.k8s.io/kwok",
        binaries={"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
        ldflags=f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={version}",
        # The bare kwok binary has no built-in stages and exits without them. These are the ones
        # kwokctl uses by default: nodes initialise and keep a lease, pods become Ready, Jobs' pods
        # complete, deleted pods go away.
        assets={
            KWOK_STAGES: (
                "kustomize/stage/node/fast/node-initialize.yaml",
                "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                "kustomize/stage/pod/fast/pod-ready.yaml",
                "kustomize/stage/pod/fast/pod-complete.yaml",
                "kustomize/stage/pod/fast/pod-delete.yaml",
            )
        },
    )


KWOK_STAGES = "stages.yaml"


def prometheus_build(version: str) -> GoBuild:
    """Prometheus and promtool from the Go module: module v0.3XX.Y is Prometheus 3.XX.Y (v0.315.0 is 3.15.0)."""
    match = re.fullmatch(r"v0\.(3\d\d)\.(\d+)", version)
    if not match:
        raise ValueError(f"not a Prometheus 3 Go module version (v0.3XX.Y for Prometheus 3.XX.Y): {version!r}")
    return GoBuild(
        name="prometheus",
        version=version,
        module="github.com/prometheus/prometheus",
        binaries={
            "prometheus": "github.com/prometheus/prometheus/cmd/prometheus",
            "promtool": "github.com/prometheus/prometheus/cmd/promtool",
        },
        # Without the version the binaries report 0.0.0 in build_info and `--version`.
        ldflags=f"-s -w -X github.com/prometheus/common/version.Version=3.{int(match[1]) - 300}.{match[2]}",
        # The module's go.mod requires a cloud.google.com/go the proxy no longer resolves together with
        # the other Google modules it pins; the release next to them does.
        replaces=(("cloud.google.com/go", "v0.123.0"),),
        # Service discovery for clouds we never use: faster build, a third smaller binary. Static and
        # file_sd targets, all we write, stay.
        tags=("remove_all_sd",),
    )


def helm_build(version: str) -> GoBuild:
    """Helm 3 from its Go module (`helm.sh/helm/v3` vX.Y.Z is Helm X.Y.Z): what the hub renders charts with."""
    if not re.fullmatch(r"v3\.\d+\.\d+", version):
        raise ValueError(f"not a Helm 3 release version (v3.Y.Z): {version!r}")
    return GoBuild(
        name="helm",
        version=version,
        module="helm.sh/helm/v3",
        binaries={"helm": "helm.sh/helm/v3/cmd/helm"},
        # Without it `helm version` says v3.x-dev and charts' `kubeVersion`/`.Capabilities.HelmVersion` see that.
        ldflags=f"-s -w -X helm.sh/helm/v3/internal/version.version={version}",
    )


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kwok: Path
    kwok_stages: Path


@dataclass(frozen=True)
class PrometheusBinaries:
    prometheus: Path
    promtool: Path


class Artifacts:
    def __init__(self, settings: DevSettings, say: Say) -> None:
        self.settings = settings
        self.cache = settings.cache_dir
        self.say = say

    # --- Kafka -----------------------------------------------------------------------------------

    def kafka_libs_dir(self) -> Path:
        return self.cache / f"kafka-{self.settings.kafka_version}" / "libs"

    async def ensure_kafka(self) -> Path:
        libs = self.kafka_libs_dir()
        if (libs / _COMPLETE).exists():
            return libs
        with self._lock(f"kafka-{self.settings.kafka_version}"):
            if (libs / _COMPLETE).exists():
                return libs
            if shutil.which("mvn") is None:
                raise ComponentError("kafka", "Maven (mvn) is not installed; it fetches the broker's jars")
            staging = libs.with_name("libs.partial")
            shutil.rmtree(staging, ignore_errors=True)
            self.say(f"fetching Apache Kafka {self.settings.kafka_version} jars from Maven Central (once)")
            await self._run(
                "kafka",
                [
                    "mvn",
                    "-B",
                    "-q",
                    "-f",
                    str(KAFKA_POM),
                    f"-Dmaven.repo.local={self.cache / 'm2'}",
                    f"-Dkafka.version={self.settings.kafka_version}",
                    f"-Dlog4j.version={self.settings.log4j_version}",
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    f"-DoutputDirectory={staging}",
                ],
                cwd=KAFKA_POM.parent,
                log=self.cache / "logs" / f"kafka-{self.settings.kafka_version}-fetch.log",
            )
            shutil.rmtree(libs, ignore_errors=True)
            staging.rename(libs)
            (libs / _COMPLETE).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
            return libs

    # --- Go binaries -----------------------------------------------------------------------------

    async def ensure_binaries(self) -> Binaries:
        s = self.settings
        builds = [
            etcd_build(s.etcd_version),
            kwok_build(s.kwok_version),
            kubernetes_build(s.kubernetes_version),
        ]
        missing = [b for b in builds if not self._built(b)]
        if missing:
            names = ", ".join(f"{b.name} {b.version}" for b in missing)
            self.say(
                f"building {names} from Go modules into {self.cache / 'bin'}: first run only, "
                "about 5 minutes on 2 cores (more on a slow network); later runs reuse the cache."
            )
        paths: dict[str, Path] = {}
        for build in builds:
            paths.update(await self.ensure_go_build(build))
        return Binaries(
            etcd=paths["etcd"],
            kube_apiserver=paths["kube-apiserver"],
            kube_controller_manager=paths["kube-controller-manager"],
            kube_scheduler=paths["kube-scheduler"],
            kwok=paths["kwok"],
            kwok_stages=paths[KWOK_STAGES],
        )

    async def ensure_prometheus(self) -> PrometheusBinaries:
        build = prometheus_build(self.settings.prometheus_version)
        if not self._built(build):
            self.say(
                f"building Prometheus and promtool {build.version} from Go modules into {self.cache / 'bin'}: "
                "first run only, about 3 minutes on 2 cores; later runs reuse the cache."
            )
        paths = await self.ensure_go_build(build)
        return PrometheusBinaries(prometheus=paths["prometheus"], promtool=paths["promtool"])

    def cached_helm(self) -> Path | None:
        """The pinned Helm if a finished build of it is in the cache (`<cache>/bin/helm-<version>/helm`)."""
        build = helm_build(self.settings.helm_version)
        return self._bin_dir(build) / "helm" if self._built(build) else None

    async def ensure_helm(self) -> Path:
        build = helm_build(self.settings.helm_version)
        if not self._built(build):
            self.say(
                f"building Helm {build.version} from its Go module into {self.cache / 'bin'}: "
                "first run only, about 2 minutes on 2 cores; later runs reuse the cache."
            )
        return (await self.ensure_go_build(build))["helm"]

    def _bin_dir(self, build: GoBuild) -> Path:
        return self.cache / "bin" / f"{build.name}-{build.version}"

    def _built(self, build: GoBuild) -> bool:
        bin_dir = self._bin_dir(build)
        outputs = [*build.binaries, *build.assets, _COMPLETE]
        return all((bin_dir / name).exists() for name in outputs)

    async def ensure_go_build(self, build: GoBuild) -> dict[str, Path]:
        bin_dir = self._bin_dir(build)
        paths = {name: bin_dir / name for name in [*build.binaries, *build.assets]}
        if self._built(build):
            return paths
        with self._lock(f"{build.name}-{build.version}"):
            if self._built(build):
                return paths
            if shutil.which("go") is None:
                raise ComponentError(build.name, "Go is not installed; the binaries are built from Go modules")
            env = self._go_env()
            log = self.cache / "logs" / f"{build.name}-{build.version}-build.log"
            if build.name == "kubernetes":
                build = await self._with_staging_replaces(build, env, log)
            src = self.cache / "src" / f"{build.name}-{build.version}"
            src.mkdir(parents=True, exist_ok=True)
            go_mod = wrapper_go_mod(build, go_version="1.26.0")
            if not (src / "go.mod").exists() or (src / "go.mod").read_text() != go_mod:
                (src / "go.mod").write_text(go_mod)
                (src / "go.sum").unlink(missing_ok=True)
            bin_dir.mkdir(parents=True, exist_ok=True)
            for binary, package in build.binaries.items():
                self.say(f"building {binary} {build.version} (log: {log})")
                started = time.monotonic()
                partial = bin_dir / f".{binary}.partial"
                await self._run(
                    f"{build.name}/{binary}",
                    [
                        "go",
                        "build",
                        "-v",
                        "-trimpath",
                        *(["-tags", ",".join(build.tags)] if build.tags else []),
                        "-ldflags",
                        build.ldflags,
                        "-o",
                        str(partial),
                        package,
                    ],
                    cwd=src,
                    env=env,
                    log=log,
                )
                partial.rename(bin_dir / binary)
                self.say(f"built {binary} in {time.monotonic() - started:.0f}s")
            if build.assets:
                module_dir = Path(json.loads(await self._download(build, env, log))["Dir"])
                for asset, sources in build.assets.items():
                    text = "\n---\n".join((module_dir / source).read_text().strip() for source in sources)
                    (bin_dir / asset).write_text(text + "\n")
            (bin_dir / _COMPLETE).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
        return paths

    async def _download(self, build: GoBuild, env: dict[str, str], log: Path) -> str:
        """`go mod download -json` of the build's module: where its source is, and its go.mod."""
        return await self._run(
            build.name,
            ["go", "mod", "download", "-json", f"{build.module}@{build.version}"],
            cwd=self.cache,
            env=env,
            log=log,
            capture=True,
        )

    async def _with_staging_replaces(self, build: GoBuild, env: dict[str, str], log: Path) -> GoBuild:
        go_mod = Path(json.loads(await self._download(build, env, log))["GoMod"]).read_text()
        return dataclasses.replace(build, replaces=staging_replaces(go_mod, build.version))

    def _go_env(self) -> dict[str, str]:
        return {
            "GOMODCACHE": str(self.cache / "go" / "mod"),
            "GOCACHE": str(self.cache / "go" / "build"),
            "GOFLAGS": "-mod=mod -buildvcs=false",
            "CGO_ENABLED": "0",
            # An older local Go fetches the toolchain the go.mod asks for from the module proxy.
            "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "auto"),
        }

    # --- helpers ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        path = self.cache / "locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.say(f"another run is preparing {key}; waiting for it")
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    async def _run(
        self,
        component: str,
        argv: list[str],
        *,
        cwd: Path,
        log: Path,
        env: Mapping[str, str] | None = None,
        capture: bool = False,
    ) -> str:
        """Run a build step with its output in `log`, saying every half minute that it still runs."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            out.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE if capture else asyncio.subprocess.STDOUT,
        )
        if capture:
            stdout, stderr = await proc.communicate()
            with log.open("ab") as out:
                out.write(stderr)
        else:
            await self._stream(component, proc, log, started)
        code = await proc.wait()
        if code != 0:
            raise ComponentError(component, f"`{' '.join(argv[:3])} ...` failed with exit code {code}", log)
        return stdout.decode() if capture else ""

    async def _stream(self, component: str, proc: asyncio.subprocess.Process, log: Path, started: float) -> None:
        assert proc.stdout is not None
        lines = 0
        latest = ""
        last_beat = started
        with log.open("ab") as out:
            while True:
                try:
                    line: bytes | None = await asyncio.wait_for(proc.stdout.readline(), timeout=_HEARTBEAT_SECONDS)
                except TimeoutError:
                    line = None
                if line == b"":
                    return
                if line:
                    out.write(line)
                    lines += 1
                    latest = line.decode(errors="replace").strip()
                now = time.monotonic()
                if now - last_beat >= _HEARTBEAT_SECONDS:
                    last_beat = now
                    # `go build -v` names each package as it compiles it: the last one shows it moves.
                    self.say(f"  ... {component}: {now - started:.0f}s, {lines} log lines; {latest[:100]}")
