#!/usr/bin/env bash
# Install the Debian packages that regscan's build, tests and local services need.
# Idempotent: asks dpkg which are missing and only then runs `apt-get update` once and
# `apt-get install -y` for those. Quiet on success. Needs root (or sudo) when installing.
set -euo pipefail

PACKAGES="build-essential cmake pkg-config librdkafka-dev libcurl4-openssl-dev libjansson-dev
libarchive-dev libhiredis-dev libssl-dev zlib1g-dev libzstd-dev zstd redis-server redis-tools
docker-registry skopeo kcat python3-cryptography python3-confluent-kafka apache2-utils
debootstrap maven curl python3-packaging ruby python3-apt python3-rpm python3-venv python3-pip clang libclang-rt-14-dev
python3-jmespath
libsqlite3-dev rpm db5.3-util sqlite3 libmicrohttpd-dev openssl stunnel4"

# Hyperscan, the secret scanner's multi-pattern matcher, exists for amd64 only; elsewhere
# the build uses its portable prefilter (common/index/secrets/).
if [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; then
	PACKAGES="$PACKAGES libhyperscan-dev"
fi
# ISA-L's igzip inflates gzip layers (common/index/gunzip.c); isal has the igzip
# program the benchmark measures against (scripts/bench.py)
case "$(dpkg --print-architecture 2>/dev/null)" in
amd64 | arm64) PACKAGES="$PACKAGES libisal-dev isal" ;;
esac

# java_ok: a java 17 or newer on PATH (Kafka 4 needs 17).
java_ok() {
	command -v java >/dev/null 2>&1 || return 1
	local v
	v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
	[ -n "$v" ] && [ "$v" -ge 17 ]
}

missing=()
for p in $PACKAGES; do
	if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
		missing+=("$p")
	fi
done
if ! java_ok; then
	missing+=(openjdk-17-jre-headless)
fi
# The differential tests' oracles (tests/versions/oracles.sh): node and npm for the npm
# `semver` package, Go (1.18 or newer: Debian 12 has 1.19) to build the golang.org/x/mod
# oracle. Asked for by command, not by package: NodeSource's nodejs provides npm and
# conflicts with Debian's npm package, and a Go from go.dev serves as well.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
# tests/integration/test_binaries.py builds a Rust program with cargo-auditable (installed by
# the test with `cargo install --locked` into ~/.cache/regscan) and a Go one.
command -v cargo >/dev/null 2>&1 || missing+=(cargo)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		{ echo "install-deps.sh: missing ${missing[*]} and not root (no sudo)" >&2; exit 1; }
	SUDO=sudo
fi
log=$(mktemp "${TMPDIR:-/tmp}/regscan-install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "install-deps.sh: apt-get update failed" >&2
	exit 1
fi
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${missing[@]}" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "install-deps.sh: apt-get install failed for: ${missing[*]}" >&2
	exit 1
fi
# Debian starts a system redis on 6379 when it installs redis-server (where an init system
# runs); the tests run their own instance on that port, so stop the one just installed.
for p in "${missing[@]}"; do
	if [ "$p" = redis-server ] && command -v service >/dev/null 2>&1; then
		$SUDO service redis-server stop >/dev/null 2>&1 || true
	fi
done
