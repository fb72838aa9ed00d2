from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.postgres import (
    THROWAWAY_SETTINGS,
    database_url,
    debian_bin_dirs,
    initdb_args,
    major_key,
    pick_bin_dir,
    quote_database,
    run_as,
    server_args,
    server_settings,
)


def settings_of(argv: list[str]) -> dict[str, str]:
    """The `-c key=value` pairs of a postgres command line."""
    pairs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"]
    return dict(pair.split("=", 1) for pair in pairs)


def test_initdb_trusts_only_local_clients_in_utf8() -> None:
    argv = initdb_args(Path("/pg/bin"), Path("/home/pg/data"))
    assert argv[0] == "/pg/bin/initdb"
    assert "--pgdata=/home/pg/data" in argv
    assert "--username=postgres" in argv
    assert {"--auth-local=trust", "--auth-host=trust", "--encoding=UTF8"} <= set(argv)
    # Never a password or a broader auth method on the command line.
    assert not [arg for arg in argv if arg.startswith(("--pwfile", "--auth=", "-A"))]


def test_server_listens_on_loopback_only_with_its_socket_in_its_own_directory() -> None:
    argv = server_args(Path("/pg/bin"), Path("/home/pg/data"), server_settings(54321, Path("/home/pg/run")))
    assert argv[:3] == ["/pg/bin/postgres", "-D", "/home/pg/data"]
    settings = settings_of(argv)
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["port"] == "54321"
    assert settings["unix_socket_directories"] == "/home/pg/run"


def test_throwaway_settings_are_passed_through_and_cannot_move_the_listener() -> None:
    settings = server_settings(5433, Path("/run"), THROWAWAY_SETTINGS)
    assert settings["fsync"] == "off"
    assert settings["listen_addresses"] == "127.0.0.1"
    # Extra settings come last: the caller may override, e.g. to keep a durable server.
    assert server_settings(5433, Path("/run"), {"fsync": "on"})["fsync"] == "on"


def test_setting_values_with_spaces_stay_one_argument() -> None:
    argv = server_args(Path("/b"), Path("/d"), {"log_line_prefix": "%m [%p] "})
    assert argv[-2:] == ["-c", "log_line_prefix=%m [%p] "]


def test_run_as_switches_user_and_keeps_the_parent_death_signal() -> None:
    assert run_as(101, 104, die_with_parent=True) == [
        "setpriv",
        "--reuid=101",
        "--regid=104",
        "--init-groups",
        "--pdeathsig=KILL",
        "--",
    ]
    assert "--pdeathsig=KILL" not in run_as(101, 104, die_with_parent=False)


def test_major_versions_sort_numerically() -> None:
    names = ["9.6", "15", "13", "17", "common"]
    ordered = sorted((name for name in names if major_key(name)), key=major_key, reverse=True)
    assert ordered == ["17", "15", "13", "9.6"]


def make_bin(root: Path, major: str, tools: tuple[str, ...] = ("initdb", "postgres")) -> Path:
    bin_dir = root / major / "bin"
    bin_dir.mkdir(parents=True)
    for tool in tools:
        (bin_dir / tool).write_text("#!/bin/sh\n")
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def test_the_newest_complete_debian_major_version_is_chosen(tmp_path: Path) -> None:
    make_bin(tmp_path, "15")
    make_bin(tmp_path, "16", tools=("initdb",))  # a client-only or half-removed install
    make_bin(tmp_path, "9.6")
    (tmp_path / "README").write_text("")
    candidates = debian_bin_dirs(tmp_path)
    assert candidates == [tmp_path / "16" / "bin", tmp_path / "15" / "bin", tmp_path / "9.6" / "bin"]
    assert pick_bin_dir(candidates) == tmp_path / "15" / "bin"


def test_no_postgres_anywhere_is_none(tmp_path: Path) -> None:
    assert debian_bin_dirs(tmp_path / "missing") == []
    assert pick_bin_dir([tmp_path]) is None


def test_database_names_are_plain_identifiers() -> None:
    assert quote_database("hub_0123abcd") == '"hub_0123abcd"'
    for bad in ('x"; DROP DATABASE postgres; --', "Hub", "1hub", "", "a" * 64):
        with pytest.raises(ValueError):
            quote_database(bad)


def test_database_url_is_for_sqlalchemy_asyncpg_on_loopback() -> None:
    assert database_url(5433, "hub_1") == "postgresql+asyncpg://postgres@127.0.0.1:5433/hub_1"
