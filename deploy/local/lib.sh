# Shared settings and helpers for the local test services (sourced, not run).
# Defines where state, logs and cached jars live and which loopback ports are used;
# every value can be overridden from the environment.

RS_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RS_REPO_DIR=$(cd "$RS_LOCAL_DIR/../.." && pwd)
RS_PYTHON=${REGSCAN_PYTHON:-/usr/bin/python3}

RS_STATE_DIR=${REGSCAN_STATE_DIR:-$RS_REPO_DIR/.state}
RS_LOG_DIR=$RS_STATE_DIR/logs
RS_CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/regscan

RS_HOST=127.0.0.1
RS_KAFKA_VERSION=${REGSCAN_KAFKA_VERSION:-4.4.0}
RS_KAFKA_PORT=${REGSCAN_KAFKA_PORT:-9092}
RS_KAFKA_CONTROLLER_PORT=${REGSCAN_KAFKA_CONTROLLER_PORT:-9093}
# The same broker's SASL_SSL listener with the PLAIN mechanism, as Azure Event Hubs speaks it
# (user $ConnectionString, a connection string as password): docs/azure.md.
RS_KAFKA_SASL_PORT=${REGSCAN_KAFKA_SASL_PORT:-9094}
# Event Hubs closes connections idle for 240 s; the broker does the same (broker-wide).
RS_KAFKA_IDLE_MS=${REGSCAN_KAFKA_IDLE_MS:-240000}
RS_KAFKA_HEAP=${REGSCAN_KAFKA_HEAP:-512m}
RS_KAFKA_TIMEOUT=${REGSCAN_KAFKA_TIMEOUT:-90}
RS_REDIS_PORT=${REGSCAN_REDIS_PORT:-6379}
RS_REGISTRY_OPEN_PORT=${REGSCAN_REGISTRY_OPEN_PORT:-5000}
RS_REGISTRY_BASIC_PORT=${REGSCAN_REGISTRY_BASIC_PORT:-5001}
RS_REGISTRY_TOKEN_PORT=${REGSCAN_REGISTRY_TOKEN_PORT:-5002}
RS_TOKEN_SERVICE_PORT=${REGSCAN_TOKEN_SERVICE_PORT:-5003}

# Test-only credentials: they protect nothing but the local test registries.
RS_TEST_USER=regscan
RS_TEST_PASSWORD=regscan-test-pw
RS_TOKEN_SERVICE_NAME=regscan-test-registry
RS_TOKEN_ISSUER=regscan-test-token-service
# Event Hubs' SASL user name; the password (a connection-string-shaped test value with a key
# random per state dir) is made by services.sh in $RS_STATE_DIR/kafka/tls/.
RS_EVENTHUBS_USER='$ConnectionString'

RS_KAFKA_LIB=$RS_CACHE_DIR/kafka-$RS_KAFKA_VERSION/lib

rs_die() {
	echo "$(basename "$0"): $*" >&2
	exit "${RS_DIE_CODE:-1}"
}

# rs_kafka_jars: make sure the broker and tool jars are in $RS_KAFKA_LIB (resolved
# once by Maven, then reused); the marker file is written only after a full copy.
rs_kafka_jars() {
	if [ -f "$RS_KAFKA_LIB/.complete" ]; then
		return 0
	fi
	command -v mvn >/dev/null 2>&1 || rs_die "mvn not found (run deploy/local/install-deps.sh)"
	local tmp="$RS_KAFKA_LIB.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp" "$RS_LOG_DIR"
	if ! (cd "$RS_LOCAL_DIR/kafka" && mvn -q -B dependency:copy-dependencies \
		-Dkafka.version="$RS_KAFKA_VERSION" -DoutputDirectory="$tmp") \
		>"$RS_LOG_DIR/maven.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 20 "$RS_LOG_DIR/maven.log" >&2
		rs_die "cannot resolve kafka $RS_KAFKA_VERSION jars with maven (log: $RS_LOG_DIR/maven.log)"
	fi
	touch "$tmp/.complete"
	rm -rf "$RS_KAFKA_LIB"
	mv "$tmp" "$RS_KAFKA_LIB"
}

# rs_kafka_java CLASS ARGS...: run a Kafka class on the cached jars with the machine's java.
rs_kafka_java() {
	java -Dlog4j2.configurationFile="$RS_LOCAL_DIR/kafka/log4j2-tools.properties" \
		-cp "$RS_KAFKA_LIB/*" "$@"
}
