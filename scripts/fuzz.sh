#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan, UBSan) in build-fuzz
# and runs them.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   fuzz each target that long (default 60)
#   scripts/fuzz.sh --smoke [TARGET...]                CI: each target over its seed corpus,
#                                                      then fuzzed for a short bounded time
#
# TARGET is a name such as `manifest` or `layer` (default: all). The smoke run
# fuzzes each target REGSCAN_FUZZ_SMOKE_SECONDS (default 3) after its seeds,
# from a corpus emptied first (build-fuzz/fuzz-smoke/<target>/), so that CI
# finds shallow bugs in new code and stays bounded (41 targets: 175 s measured
# on 2 shared cores, 123 s of it fuzzing, the rest seeds and start-up). New
# inputs of a real run go to build-fuzz/fuzz-corpus/<target>/ (the seeds in
# tests/fuzz/corpus/ are only read); crash, leak and timeout reproducers to
# build-fuzz/fuzz-artifacts/, logs to build-fuzz/fuzz-logs/.
# Exits 1 when any target failed, naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
seconds=60
smoke_seconds=${REGSCAN_FUZZ_SMOKE_SECONDS:-3}
if ! [[ "$smoke_seconds" =~ ^[0-9]+$ ]]; then
    echo "fuzz.sh: REGSCAN_FUZZ_SMOKE_SECONDS must be a number of seconds" >&2
    exit 2
fi
if [ "${1:-}" = "--smoke" ]; then
    smoke=1
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz.sh: clang is missing; install Debian's clang and libclang-rt-14-dev" >&2
    exit 2
fi

all=$(sed -n '/^set(RS_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
      sed -e 's/set(RS_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \n' '\n' | sed '/^$/d')
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets <<<"$all"
fi
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$all"; then
        echo "fuzz.sh: unknown target '$t' (known: $(echo $all))" >&2
        exit 2
    fi
done

build=build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"
if ! { cmake -S . -B "$build" -DREGSCAN_FUZZ=ON -DCMAKE_C_COMPILER=clang \
             -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"; } \
     >"$build/fuzz-logs/build.log" 2>&1; then
    tail -40 "$build/fuzz-logs/build.log" >&2
    echo "fuzz.sh: build failed, see $build/fuzz-logs/build.log" >&2
    exit 2
fi
failed=()
start=$(date +%s)
for t in "${targets[@]}"; do
    seeds=tests/fuzz/corpus/$t
    log=$build/fuzz-logs/$t.log
    common=(-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$build/fuzz-artifacts/$t-")
    if [ "$smoke" = 1 ]; then
        # the seeds alone first: a seed that fails is named as such
        if ! "$build/bin/fuzz_$t" "${common[@]}" -runs=0 "$seeds" </dev/null >"$log" 2>&1; then
            echo "FAILED  $t (a seed): see $log"
            grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)|Test unit written to' "$log" |
                head -5 | sed 's/^/        /'
            failed+=("$t")
            continue
        fi
        rm -rf "$build/fuzz-smoke/$t"
        mkdir -p "$build/fuzz-smoke/$t"
        args=("${common[@]}" -max_total_time="$smoke_seconds" -print_final_stats=1
              "$build/fuzz-smoke/$t" "$seeds")
    else
        mkdir -p "$build/fuzz-corpus/$t"
        args=("${common[@]}" -max_total_time="$seconds" -print_final_stats=1
              "$build/fuzz-corpus/$t" "$seeds")
    fi
    # stdin from /dev/null: a tenants file may name /dev/stdin as a secret file
    if "$build/bin/fuzz_$t" "${args[@]}" </dev/null >"$log" 2>&1; then
        runs=$(grep -Eo '(stat::number_of_executed_units: *|Done )[0-9]+' "$log" | tail -1 |
               grep -Eo '[0-9]+$' || true)
        echo "ok      $t (${runs:-?} runs)"
    else
        echo "FAILED  $t: see $log"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)|Test unit written to' "$log" | head -5 | sed 's/^/        /'
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) passed in $(( $(date +%s) - start )) s"
