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
ALL="cvss"
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
