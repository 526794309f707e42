#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with
# -Werror, runs the unit tests under AddressSanitizer and UndefinedBehavior-
# Sanitizer, starts the local services (Kafka, Redis, three registries, the
# token service), runs the unit tests that start threads under
# ThreadSanitizer and every test against the services.
#
# Services that were already running are left running; services this script
# started are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

deploy/local/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGSCAN_WERROR=ON \
      -DREGSCAN_TEST_HOOKS=ON >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DREGSCAN_WERROR=ON -DREGSCAN_TEST_HOOKS=ON \
      -DREGSCAN_SANITIZE="address;undefined" >/dev/null
cmake --build build-asan -j"$jobs"

echo "== unit tests (address and undefined behaviour sanitizers)"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure

# ThreadSanitizer cannot share a build with AddressSanitizer. Only the tests
# labelled "tsan" (those that start threads) run there, once the services are
# up: some of them need Redis (tests/CMakeLists.txt says why unit.kafka is not
# one of them).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DREGSCAN_WERROR=ON -DREGSCAN_TEST_HOOKS=ON \
      -DREGSCAN_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$jobs" --target tsan_tests   # only what the tsan tests need

echo "== fuzz targets over their seed corpora (scripts/fuzz.sh SECONDS for real fuzzing)"
# one second of fuzzing per target after its seeds (41 targets: about a minute in all)
REGSCAN_FUZZ_SMOKE_SECONDS=${REGSCAN_FUZZ_SMOKE_SECONDS:-1} scripts/fuzz.sh --smoke

started=0
if ! deploy/local/services.sh status >/dev/null 2>&1; then
    started=1
fi
deploy/local/services.sh start
if [ "$started" = 1 ]; then
    trap 'deploy/local/services.sh stop >/dev/null 2>&1 || true' EXIT
fi
eval "$(deploy/local/services.sh env)"
deploy/local/topics.sh   # the default topics (each integration test also makes its own)
export REGSCAN_TEST_REDIS_URL=$REGSCAN_REDIS_URL REGSCAN_TEST_KAFKA_BROKERS=$REGSCAN_KAFKA_BROKERS

echo "== unit tests that start threads (thread sanitizer; any report fails the test)"
TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
    ctest --test-dir build-tsan -L tsan --output-on-failure

echo "== all tests against the real services"
ctest --test-dir build --output-on-failure --timeout 1500
