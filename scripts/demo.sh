#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, starts the local
# services (Kafka, Redis, three registries), pushes the sample images, loads the bundled
# OSV records as a vulnerability snapshot, runs the coordinator and two workers under the
# demo tenant's policy, and prints the reports they published: findings with severities
# and fixes, secrets (redacted), misconfigurations and the policy's verdict.
#
# It runs a forced pass (--rescan) so that the reports appear on every run, then an
# incremental pass to show that nothing is requested again when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing what is missing, building"
deploy/local/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

echo "== starting the local services"
deploy/local/services.sh start
eval "$(deploy/local/services.sh env)"
deploy/local/topics.sh

echo "== pushing the sample images"
deploy/local/seed.sh --prefix demo/ >/dev/null
deploy/local/seed.sh --registry "$REGSCAN_TEST_REGISTRY_BASIC" \
    --creds "$REGSCAN_TEST_REGISTRY_USER:$REGSCAN_TEST_REGISTRY_PASSWORD" --prefix demo/ >/dev/null

demo=$REGSCAN_STATE_DIR/demo
mkdir -p "$demo" "$demo/vulndb"

echo "== loading the bundled OSV records as vulnerability snapshot"
# osv.dev's full exports load the same way: --source URL-or-FILE of an all.zip per
# ecosystem (README.md, "Vulnerability data")
build/bin/regscan-coordinator vulndb update --source deploy/local/osv --store "$demo/vulndb"
cp deploy/local/policy.json "$demo/policy.json"
cat > "$demo/tenants.json" <<JSON
{
  "tenants": [
    { "name": "demo", "policy": "$demo/policy.json",
      "registries": [
        { "url": "http://$REGSCAN_TEST_REGISTRY_OPEN", "auth": { "type": "none" },
          "repositories": ["demo/*"], "exclude": ["demo/mirror/*"] },
        { "url": "http://$REGSCAN_TEST_REGISTRY_BASIC",
          "auth": { "type": "basic", "username": "$REGSCAN_TEST_REGISTRY_USER",
                    "password_env": "DEMO_REGISTRY_PASSWORD" },
          "repositories": ["demo/alpine", "demo/multiarch"] } ] } ] }
JSON
export DEMO_REGISTRY_PASSWORD=$REGSCAN_TEST_REGISTRY_PASSWORD
export REGSCAN_LOG=text

since=$(($(date +%s) * 1000))
echo "== coordinator: a forced pass over the tenant"
build/bin/regscan-coordinator --config "$demo/tenants.json" --rescan

echo "== two workers, until idle"
build/bin/regscan-worker --config "$demo/tenants.json" --exit-when-idle 5 2>"$demo/worker-1.log" &
w1=$!
build/bin/regscan-worker --config "$demo/tenants.json" --exit-when-idle 5 2>"$demo/worker-2.log" &
w2=$!
wait $w1 $w2
grep -h "reported '" "$demo"/worker-*.log | sed 's/^/  /'

echo "== an incremental pass: nothing changed, nothing is requested"
build/bin/regscan-coordinator --config "$demo/tenants.json" 2>/dev/null

echo "== the reports on topic regscan.findings"
kcat -C -b "$REGSCAN_KAFKA_BROKERS" -t regscan.inventory -o "s@$since" -e -q >"$demo/inventory.jsonl"
kcat -C -b "$REGSCAN_KAFKA_BROKERS" -t regscan.findings -o "s@$since" -e -q |
    /usr/bin/python3 deploy/local/show-reports.py --inventory "$demo/inventory.jsonl"
echo "(services keep running: deploy/local/services.sh stop)"
