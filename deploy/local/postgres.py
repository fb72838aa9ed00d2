"""A real PostgreSQL server from the machine's own binaries (Debian's `postgresql` package), for tests.

`initdb` makes a data directory with trust authentication for loopback and the local socket only, and
`postgres` serves it on 127.0.0.1 at a free port with its socket inside the server's own directory: it
never touches a system cluster, /var/run/postgresql or port 5432.

PostgreSQL refuses to run as root. When we are root, initdb and the server run as the `postgres` system
user (the package creates it) through `setpriv`, which execs rather than forks, so the process we
record is the postmaster itself and a parent-death signal can still be set after the user switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from deploy.local import processes, readiness
from deploy.local.errors import ComponentError

COMPONENT = "postgres"
SUPERUSER = "postgres"
OS_USER = "postgres"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
BIN_DIR_ENV = "FLEETCAST_POSTGRES_BIN_DIR"
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# What a client sees while the server is not (yet) there: refused, timed out, "starting up".
_CLIENT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

# A throwaway server for tests: nothing is kept across an OS crash, so flushing to disk buys nothing
# and would make every CREATE DATABASE and commit wait for the disk, which CI shares.
THROWAWAY_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def major_key(name: str) -> tuple[int, ...]:
    """Sort key of a directory under /usr/lib/postgresql ("9.6", "15", "17"); non-versions sort last."""
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return ()


def pick_bin_dir(candidates: Iterable[Path]) -> Path | None:
    """The first candidate that holds both initdb and postgres."""
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return directory
    return None


def debian_bin_dirs(root: Path = DEBIAN_ROOT) -> list[Path]:
    """/usr/lib/postgresql/<major>/bin, newest major first."""
    if not root.is_dir():
        return []
    majors = sorted((entry.name for entry in root.iterdir() if major_key(entry.name)), key=major_key, reverse=True)
    return [root / major / "bin" for major in majors]


def find_bin_dir() -> Path:
    """$FLEETCAST_POSTGRES_BIN_DIR, else the initdb on PATH, else the newest Debian major version."""
    candidates: list[Path] = []
    if override := os.environ.get(BIN_DIR_ENV):
        candidates.append(Path(override))
    if on_path := shutil.which("initdb"):
        # Debian links nothing into PATH, but a user may have: follow it to the real bin directory,
        # where postgres finds its share/ and lib/ relative to itself.
        candidates.append(Path(on_path).resolve().parent)
    candidates += debian_bin_dirs()
    found = pick_bin_dir(candidates)
    if found is None:
        raise ComponentError(
            COMPONENT, "initdb and postgres not found: run deploy/local/prereqs.sh (installs Debian's postgresql)"
        )
    return found


def run_as(uid: int, gid: int, *, die_with_parent: bool) -> list[str]:
    """Command prefix that runs the rest as uid:gid with that user's groups.

    The kernel clears a parent-death signal when a process changes its user, so the one set by
    processes.spawn would be lost: setpriv sets it again after the switch.
    """
    prefix = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups"]
    if die_with_parent:
        prefix.append("--pdeathsig=KILL")
    return [*prefix, "--"]


def initdb_args(bin_dir: Path, data_dir: Path, superuser: str = SUPERUSER) -> list[str]:
    return [
        str(bin_dir / "initdb"),
        f"--pgdata={data_dir}",
        f"--username={superuser}",
        # initdb's pg_hba.conf allows host connections from 127.0.0.1/32 and ::1/128 only, and the
        # server listens on loopback only: trust is for this machine's own processes.
        "--auth-local=trust",
        "--auth-host=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
    ]


def server_settings(port: int, socket_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(socket_dir),
        "log_line_prefix": "%m [%p] %q%u@%d ",
        **(extra or {}),
    }


def server_args(bin_dir: Path, data_dir: Path, settings: Mapping[str, str]) -> list[str]:
    """The postmaster in the foreground (not pg_ctl), so the recorded pid is the server itself."""
    argv = [str(bin_dir / "postgres"), "-D", str(data_dir)]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    return argv


def quote_database(name: str) -> str:
    """A database name for CREATE DATABASE; only plain lower-case names, so quoting cannot go wrong."""
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database name {name!r} must match {_DATABASE_NAME.pattern}")
    return f'"{name}"'


def database_url(port: int, database: str, user: str = SUPERUSER) -> str:
    return f"postgresql+asyncpg://{user}@127.0.0.1:{port}/{database}"


@dataclass(frozen=True)
class OsUser:
    uid: int
    gid: int


class PostgresServer:
    """One server in `home` (data/ and run/ inside it), its output appended to `log`.

    When we are root, `home` must be reachable by the postgres user: a directory under /tmp works, one
    under pytest's basetemp (mode 0700, owned by root) does not.
    """

    def __init__(
        self,
        home: Path,
        log: Path,
        *,
        port: int | None = None,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] = THROWAWAY_SETTINGS,
    ) -> None:
        self.home = home
        self.log = log
        self.port = port or processes.free_port()
        self.bin_dir = bin_dir or find_bin_dir()
        self.extra_settings = dict(settings)
        self.record: processes.ProcessRecord | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    def url(self, database: str = "postgres") -> str:
        return database_url(self.port, database)

    def _os_user(self) -> OsUser | None:
        """Whom to run as: None when we are not root (then we run as ourselves)."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(OS_USER)
        except KeyError:
            raise ComponentError(
                COMPONENT,
                f"running as root and there is no {OS_USER!r} user to run PostgreSQL as: "
                "install Debian's postgresql (deploy/local/prereqs.sh)",
            ) from None
        return OsUser(entry.pw_uid, entry.pw_gid)

    def _prefix(self, *, die_with_parent: bool) -> list[str]:
        user = self._os_user()
        return [] if user is None else run_as(user.uid, user.gid, die_with_parent=die_with_parent)

    def _append_log(self, text: str) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as out:
            out.write(text)

    def _failed(self, problem: str) -> ComponentError:
        # The log lives in a temporary directory that CI does not keep: carry its end in the message.
        return ComponentError(COMPONENT, f"{problem}\n{processes.tail(self.log)}", self.log)

    def prepare(self) -> None:
        """Make home and run/ (owned by the server's user), and initdb once."""
        for directory in (self.home, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
            if (user := self._os_user()) is not None:
                os.chown(directory, user.uid, user.gid)
        if (self.data_dir / "PG_VERSION").exists():
            return
        prefix = self._prefix(die_with_parent=False)
        if prefix and subprocess.run([*prefix, "test", "-w", str(self.home)], check=False).returncode != 0:
            raise ComponentError(COMPONENT, f"the {OS_USER} user cannot write {self.home}: choose a home under /tmp")
        result = subprocess.run(
            [*prefix, *initdb_args(self.bin_dir, self.data_dir)],
            cwd=self.home,  # initdb complains if it cannot return to a cwd its user may not enter
            capture_output=True,
            text=True,
            check=False,
        )
        self._append_log(f"=== initdb\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise self._failed(f"initdb failed with status {result.returncode}")

    def start(self, *, tie_to_parent: bool) -> processes.ProcessRecord:
        self.prepare()
        settings = server_settings(self.port, self.socket_dir, self.extra_settings)
        argv = [*self._prefix(die_with_parent=tie_to_parent), *server_args(self.bin_dir, self.data_dir, settings)]
        try:
            self.record = processes.spawn(COMPONENT, argv, self.log, cwd=self.home, tie_to_parent=tie_to_parent)
        except OSError as error:
            raise self._failed(f"could not start: {error}") from error
        return self.record

    async def _connect(self, database: str = "postgres", timeout: float = 5.0) -> asyncpg.Connection:
        return await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, database=database, timeout=timeout
        )

    async def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds until a real client connection ran a query; fails at once if the server exits."""

        async def probe() -> str | None:
            try:
                # Short attempts: a port taken by something that never answers must not eat the deadline
                # before we notice that our server has exited.
                connection = await self._connect(timeout=2.0)
                try:
                    await connection.fetchval("SELECT 1")
                finally:
                    await connection.close()
            except _CLIENT_ERRORS as error:
                return repr(error)
            return None

        return await readiness.wait_ready(COMPONENT, self.record, probe, timeout, interval=0.1, fail=self._failed)

    async def create_database(self, name: str) -> str:
        """CREATE DATABASE `name` and return its SQLAlchemy async URL."""
        statement = f"CREATE DATABASE {quote_database(name)}"
        try:
            connection = await self._connect()
            try:
                await connection.execute(statement)
            finally:
                await connection.close()
        except _CLIENT_ERRORS as error:
            raise ComponentError(COMPONENT, f"{statement} failed: {error}", self.log) from error
        return self.url(name)

    async def server_version(self) -> str:
        connection = await self._connect()
        try:
            version: str = await connection.fetchval("SHOW server_version")
        finally:
            await connection.close()
        return version

    def stop(self, grace: float = 15.0) -> None:
        """Fast shutdown (SIGINT: roll back open sessions, checkpoint, exit), then kill what is left."""
        record = self.record
        if record is None:
            return
        if processes.is_alive(record):
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGINT)
            deadline = time.monotonic() + grace
            while processes.is_alive(record) and time.monotonic() < deadline:
                time.sleep(0.05)
        processes.stop(record, grace=1.0)
        # The postmaster is our child: reap it, or it stays a zombie until the session ends.
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(record.pid, os.WNOHANG)
        self.record = None
