#!/usr/bin/env bash
# The load test of issue 10 at its full size (docs/reliability.md "Load"): an incremental
# coordinator pass over 10,000 tags with 1,000,000 done keys in Redis, and four workers
# draining 500 images. The suite runs the same test at a reduced size (integration.load).
#
#   scripts/load.sh [BUILD_DIR]   (default: build; it must be configured with
#                                  -DREGSCAN_TEST_HOOKS=ON, as scripts/test.sh does)
#
# Needs the local services (deploy/local/services.sh start); prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [ -z "${REGSCAN_KAFKA_BROKERS:-}" ]; then
	eval "$(deploy/local/services.sh env)"
fi
RS_BIN_DIR="$PWD/$build/bin" exec /usr/bin/python3 tests/integration/test_load.py --full
