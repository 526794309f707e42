#!/bin/sh
# azure_cli_venv.sh - installs the real azure-cli from PyPI (pinned) into a venv of
# Debian's python3 cached under ${XDG_CACHE_HOME:-$HOME/.cache}/regscan/venv-azure-cli,
# so tests can ask it, offline, whether the commands and options deploy/azure's scripts
# use exist (`az GROUP COMMAND --help`). Idempotent: a stamp names the installed version;
# a second run does nothing. Prints the path of the venv's `az` on stdout; on failure a
# short reason on stderr and exit 1.
#
# usage: tests/tools/azure_cli_venv.sh
set -eu

AZURE_CLI_VERSION=2.91.0
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/regscan/venv-azure-cli"
STAMP="$DIR/.installed-$AZURE_CLI_VERSION"
AZ="$DIR/bin/az"

if [ -f "$STAMP" ] && [ -x "$AZ" ]; then
    echo "$AZ"
    exit 0
fi
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
LOG="$(dirname "$DIR")/venv-azure-cli.log"
: >"$LOG"
fail() {
    echo "azure_cli_venv.sh: failed: $1 (log: $LOG)" >&2
    tail -n 5 "$LOG" >&2
    exit 1
}
/usr/bin/python3 -m venv "$DIR" >>"$LOG" 2>&1 || fail "python3 -m venv (package python3-venv)"
"$DIR/bin/pip" install --disable-pip-version-check -q "azure-cli==$AZURE_CLI_VERSION" \
    >>"$LOG" 2>&1 || fail "pip install azure-cli==$AZURE_CLI_VERSION"
[ -x "$AZ" ] || fail "no $AZ after the install"
touch "$STAMP"
echo "$AZ"
