#!/bin/sh
# oracles.sh - installs the reference implementations that the differential
# tests (tests/versions/diff_<name>.py) compare against, from the package
# registries through their ordinary clients, into
# ${XDG_CACHE_HOME:-$HOME/.cache}/regscan/oracles/<name>/. Idempotent and
# quiet: prints nothing on success, a short reason on stderr and a non-zero
# exit when an oracle cannot be installed (the diff test then skips).
#
# usage: tests/versions/oracles.sh NAME...    (no NAME: every oracle below)
# One section per oracle: a function oracle_<name> and its name in ALL.
set -eu

ORACLES="${XDG_CACHE_HOME:-$HOME/.cache}/regscan/oracles"
ALL="cvss dpkg apk rpm semver go nuget pep440 rubygems maven"
mkdir -p "$ORACLES"

# Runs "$@" with its output in $log; on failure shows the log's tail.
quietly() {
    if ! "$@" >>"$log" 2>&1; then
        echo "oracles.sh: failed: $* (log: $log)" >&2
        tail -n 5 "$log" >&2
        return 1
    fi
}

# --- cvss: the `cvss` package from PyPI (RedHatProductSecurity/cvss), pinned,
# in a venv of Debian's python3; `pip install --target` where venv is missing.
# Use: $ORACLES/cvss/python (a wrapper that can import cvss).
CVSS_VERSION=3.6
oracle_cvss() {
    dir="$ORACLES/cvss"
    stamp="$dir/.installed-$CVSS_VERSION"
    [ -f "$stamp" ] && return 0
    rm -rf "$dir"
    mkdir -p "$dir"
    log="$dir/install.log"
    if /usr/bin/python3 -m venv "$dir/venv" >>"$log" 2>&1 &&
        [ -x "$dir/venv/bin/pip" ]; then
        quietly "$dir/venv/bin/pip" install --disable-pip-version-check -q \
            "cvss==$CVSS_VERSION" || return 1
        printf '#!/bin/sh\nexec "%s/venv/bin/python" "$@"\n' "$dir" >"$dir/python"
    else
        rm -rf "$dir/venv"
        quietly /usr/bin/python3 -m pip install --disable-pip-version-check -q \
            --target "$dir/lib" "cvss==$CVSS_VERSION" || return 1
        printf '#!/bin/sh\nPYTHONPATH="%s/lib" exec /usr/bin/python3 "$@"\n' "$dir" >"$dir/python"
    fi
    chmod +x "$dir/python"
    quietly "$dir/python" -c "import cvss" || return 1
    touch "$stamp"
}

# --- dpkg, apk, rpm (vers-os): Debian packages, installed by
# deploy/local/install-deps.sh (run here when one is missing); nothing cached.
# dpkg: `dpkg --compare-versions` and python3-apt's apt_pkg.version_compare.
# rpm: python3-rpm (rpm.ver, rpm 4.18). apk: no apk program is packaged in
# Debian 12, so the oracle is apk-tools' own vectors in tests/data/versions/apk.
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
debian_deps() {
    log="$ORACLES/install-deps.log"
    quietly "$REPO_ROOT/deploy/local/install-deps.sh"
}
oracle_dpkg() {
    check() { command -v dpkg >/dev/null 2>&1 && /usr/bin/python3 -c "import apt_pkg" 2>/dev/null; }
    check && return 0
    debian_deps || return 1
    check || { echo "oracles.sh: dpkg or python3-apt missing" >&2; return 1; }
}
oracle_rpm() {
    check() { /usr/bin/python3 -c "import rpm; rpm.ver" 2>/dev/null; }
    check && return 0
    debian_deps || return 1
    check || { echo "oracles.sh: python3-rpm missing" >&2; return 1; }
}
oracle_apk() {
    [ -s "$REPO_ROOT/tests/data/versions/apk/version.data" ] ||
        { echo "oracles.sh: tests/data/versions/apk/version.data missing" >&2; return 1; }
}

# --- semver, go, nuget (vers-lang2).
# semver: the npm `semver` package, pinned, installed with npm into
# $ORACLES/semver; use: NODE_PATH=$ORACLES/semver/node_modules node. node and
# npm come from deploy/local/install-deps.sh (Debian's nodejs and npm) when
# missing.
SEMVER_VERSION=7.8.6
oracle_semver() {
    dir="$ORACLES/semver"
    stamp="$dir/.installed-$SEMVER_VERSION"
    [ -f "$stamp" ] && return 0
    have_node() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }
    have_node || debian_deps || return 1
    have_node || { echo "oracles.sh: semver needs node and npm" >&2; return 1; }
    rm -rf "$dir"
    mkdir -p "$dir"
    log="$dir/install.log"
    quietly npm install --prefix "$dir" --no-audit --no-fund --no-save \
        --no-package-lock "semver@$SEMVER_VERSION" || return 1
    quietly env NODE_PATH="$dir/node_modules" node -e 'require("semver")' || return 1
    touch "$stamp"
}

# go: golang.org/x/mod/semver through tests/versions/go-oracle (module pinned
# by its go.mod and go.sum, fetched through the Go module proxy), built with
# the machine's Go (Debian's golang-go from install-deps.sh when there is
# none); use: $ORACLES/go/go-oracle.
oracle_go() {
    dir="$ORACLES/go"
    src="$(cd "$(dirname "$0")" && pwd)/go-oracle"
    command -v go >/dev/null 2>&1 || debian_deps || return 1
    command -v go >/dev/null 2>&1 || { echo "oracles.sh: go needs the Go toolchain" >&2; return 1; }
    sum=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
    stamp="$dir/.installed-$sum"
    [ -f "$stamp" ] && [ -x "$dir/go-oracle" ] && return 0
    rm -rf "$dir"
    mkdir -p "$dir"
    log="$dir/install.log"
    quietly env -C "$src" GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
        go build -trimpath -buildvcs=false -o "$dir/go-oracle" . || return 1
    touch "$stamp"
}

# nuget: no .NET runtime here; the oracle is NuGet.Client's own test vectors,
# kept in tests/data/versions/nuget/, so there is nothing to install.
oracle_nuget() {
    return 0
}

# --- pep440, rubygems, maven (vers-lang1).
# pep440: Debian's python3-packaging (packaging.version.Version);
# rubygems: Debian's ruby (Gem::Version); both from deploy/local/install-deps.sh.
oracle_pep440() {
    check() { /usr/bin/python3 -c "import packaging.version" 2>/dev/null; }
    check && return 0
    debian_deps || return 1
    check || { echo "oracles.sh: python3-packaging missing" >&2; return 1; }
}
oracle_rubygems() {
    check() { command -v ruby >/dev/null 2>&1 && ruby -e 'Gem::Version.new("1")' 2>/dev/null; }
    check && return 0
    debian_deps || return 1
    check || { echo "oracles.sh: ruby missing" >&2; return 1; }
}
# maven: maven-artifact (ComparableVersion), pinned, copied by Maven's own
# dependency plugin into $ORACLES/maven; use: java -cp $ORACLES/maven/maven-artifact.jar.
MAVEN_ARTIFACT_VERSION=3.9.16
oracle_maven() {
    dir="$ORACLES/maven"
    stamp="$dir/.installed-$MAVEN_ARTIFACT_VERSION"
    [ -f "$stamp" ] && [ -s "$dir/maven-artifact.jar" ] && return 0
    command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || {
        debian_deps || return 1
    }
    rm -rf "$dir"
    mkdir -p "$dir"
    log="$dir/install.log"
    quietly mvn -B -q dependency:copy \
        "-Dartifact=org.apache.maven:maven-artifact:$MAVEN_ARTIFACT_VERSION" \
        "-DoutputDirectory=$dir" -Dmdep.stripVersion=true || return 1
    [ -s "$dir/maven-artifact.jar" ] ||
        { echo "oracles.sh: maven-artifact.jar not copied (log: $log)" >&2; return 1; }
    touch "$stamp"
}

[ $# -gt 0 ] || set -- $ALL
for name in "$@"; do
    case " $ALL " in
    *" $name "*) ;;
    *)
        echo "oracles.sh: unknown oracle '$name' (known: $ALL)" >&2
        exit 2
        ;;
    esac
    # one installer per oracle at a time (ctest -j runs diff tests in parallel)
    (
        flock 9
        "oracle_$name"
    ) 9>"$ORACLES/.lock-$name"
done
