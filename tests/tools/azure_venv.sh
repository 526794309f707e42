#!/bin/sh
# Installs Microsoft's own Python clients for Azure (msal, azure-identity, the Resource
# Manager clients) into a venv cached under ${XDG_CACHE_HOME:-~/.cache}/regscan/, for the
# conformance test of the Azure stand-in (tests/integration/test_azure_standin.py).
# Idempotent: a venv that already has exactly these pins is reused. Prints the venv's python.
set -eu

PINS="msal==1.39.0 azure-identity==1.27.0 azure-core==1.41.0 azure-mgmt-core==1.6.0
azure-mgmt-containerregistry==15.0.0 azure-mgmt-resource-subscriptions==1.0.0"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/regscan"
venv="$cache/venv-azure"
stamp="$venv/.regscan-pins"
want=$(printf '%s\n' $PINS | sort | tr '\n' ' ')

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

mkdir -p "$cache"
# no stamp (or other pins): a half-made or stale venv; make it anew, the stamp written last
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv" >&2
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $PINS >&2
printf '%s' "$want" >"$stamp"
echo "$venv/bin/python"
