#!/usr/bin/env bash
# Installs what a fresh machine lacks to run the local fleet and the tests, and says what it did.
#   Python >= 3.11 with venv, Java >= 17 and Maven (Kafka's jars), Go >= 1.26 (Kubernetes, etcd, kwok),
#   PostgreSQL (the tests run the hub on it as well as on SQLite).
# Java, Maven and PostgreSQL come from Debian's packages; Go, if missing or too old, from the Go module proxy's
# toolchain downloads into the fleetcast cache (Debian's Go is too old for Kubernetes 1.36).
# Prints the directory to prepend to PATH for Go, if it installed one.
set -euo pipefail

CACHE="${FLEETCAST_DEV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetcast}"
GO_VERSION="1.26.8"
GO_DIR="$CACHE/toolchains/go$GO_VERSION"
say() { echo "[prereqs] $*" >&2; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! command -v apt-get >/dev/null; then
    say "missing $*, and this is not a Debian-like system: install them and retry"; exit 1
  fi
  say "installing $* from Debian's packages"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

# Python 3.11+ with venv
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt_install python3 python3-venv
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "python3 >= 3.11 needed"; exit 1; }
fi

# Java 17+ and Maven
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
  apt_install openjdk-17-jre-headless
fi
command -v mvn >/dev/null || apt_install maven

# PostgreSQL: Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<major>/bin (any major
# will do: deploy/local/postgres.py picks the newest). The package also creates the postgres user that
# the tests' server runs as when we are root.
postgres_found() {
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    || { command -v initdb >/dev/null && command -v postgres >/dev/null; }
}
if ! postgres_found || { [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; }; then
  apt_install postgresql
fi

# Go 1.26+
go_ok() {
  local v
  v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [ "$(printf '%s\n' "1.26" "$v" | sort -V | head -1)" = "1.26" ]
}
if [ -x "$GO_DIR/bin/go" ]; then
  echo "$GO_DIR/bin"
elif command -v go >/dev/null && go_ok go; then
  :
else
  command -v unzip >/dev/null || apt_install unzip
  command -v curl >/dev/null || apt_install curl
  say "installing Go $GO_VERSION from the Go module proxy into $GO_DIR"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" \
    "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip"
  unzip -q "$tmp/go.zip" -d "$tmp"
  mkdir -p "$(dirname "$GO_DIR")"
  # The zip holds golang.org/toolchain@<version>/ with a complete GOROOT inside.
  mv "$tmp"/golang.org/toolchain@*/ "$GO_DIR"
  chmod +x "$GO_DIR"/bin/* "$GO_DIR"/pkg/tool/*/* 2>/dev/null || true
  rm -rf "$tmp"
  echo "$GO_DIR/bin"
fi
