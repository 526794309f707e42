#!/usr/bin/env bash
# Local services for regscan's tests and for developers: Kafka (KRaft, one node; a PLAINTEXT
# listener, and a SASL_SSL/PLAIN one shaped like Azure Event Hubs'), Redis, three
# docker-registry instances (open, htpasswd, token auth) and the token service.
# Everything listens on 127.0.0.1 only; state and logs live under $REGSCAN_STATE_DIR
# (default <repo>/.state). It does not install packages (install-deps.sh does).
#
# usage: services.sh start|stop|status|env
#   start   start what is not running, then wait until each service answers (exit 3 on failure)
#   stop    stop what is running (fine when nothing is)
#   status  one line per service; exit 0 when all are up and answering, else 3
#   env     print `export VAR=...` lines for tests: eval "$(deploy/local/services.sh env)"
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICES="kafka redis token-service registry-open registry-htpasswd registry-token"
READY_TIMEOUT=${REGSCAN_READY_TIMEOUT:-30}

svc_dir() { echo "$RS_STATE_DIR/$1"; }
svc_pidfile() { echo "$RS_STATE_DIR/$1/pid"; }
svc_log() { echo "$RS_LOG_DIR/$1.log"; }

svc_port() {
	case $1 in
	kafka) echo "$RS_KAFKA_PORT" ;; # and $RS_KAFKA_SASL_PORT (SASL_SSL)
	redis) echo "$RS_REDIS_PORT" ;;
	token-service) echo "$RS_TOKEN_SERVICE_PORT" ;;
	registry-open) echo "$RS_REGISTRY_OPEN_PORT" ;;
	registry-htpasswd) echo "$RS_REGISTRY_BASIC_PORT" ;;
	registry-token) echo "$RS_REGISTRY_TOKEN_PORT" ;;
	esac
}

# svc_pid NAME: print the pid of our own instance of NAME, if it runs. Each service runs
# with its state directory as working directory, which tells it apart from a recycled pid
# or another instance started from another state directory.
svc_pid() {
	local pidfile pid cwd
	pidfile=$(svc_pidfile "$1")
	[ -s "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
	[ "$cwd" = "$(svc_dir "$1")" ] || return 1
	echo "$pid"
}

port_open() {
	(exec 3<>"/dev/tcp/$RS_HOST/$1") 2>/dev/null
}

http_code() {
	curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
}

# svc_ready NAME: true when the service answers its protocol.
svc_ready() {
	local code
	case $1 in
	kafka)
		kcat -L -b "$RS_HOST:$RS_KAFKA_PORT" -m 3 -q >/dev/null 2>&1 &&
			kcat -L -F "$(kafka_tls_dir)/client.properties" -b "$RS_HOST:$RS_KAFKA_SASL_PORT" \
				-m 3 -q >/dev/null 2>&1
		;;
	redis)
		[ "$(redis-cli -h "$RS_HOST" -p "$RS_REDIS_PORT" ping 2>/dev/null)" = PONG ]
		;;
	token-service)
		[ -s "$(svc_dir token-service)/cert.pem" ] &&
			[ "$(http_code "http://$RS_HOST:$RS_TOKEN_SERVICE_PORT/healthz")" = 200 ]
		;;
	registry-open)
		[ "$(http_code "http://$RS_HOST:$RS_REGISTRY_OPEN_PORT/v2/")" = 200 ]
		;;
	registry-htpasswd | registry-token)
		code=$(http_code "http://$RS_HOST:$(svc_port "$1")/v2/")
		[ "$code" = 401 ]
		;;
	esac
}

fail_service() {
	local name=$1 why=$2 log
	log=$(svc_log "$name")
	{
		echo "services.sh: $name failed: $why"
		if [ -s "$log" ]; then
			# Java stack traces bury the cause; show the last error lines first.
			if tail -n 300 "$log" | grep -q -E '(ERROR|FATAL|Exception:)'; then
				echo "--- last errors in $log ---"
				tail -n 300 "$log" | grep -E '(ERROR|FATAL|Exception:)' | tail -n 5
			fi
			echo "--- last lines of $log ---"
			tail -n 30 "$log"
			echo "---"
		fi
	} >&2
	exit 3
}

# wait_ready NAME TIMEOUT: poll until ready; give up early when our process died.
wait_ready() {
	local name=$1 timeout=$2 start now
	start=$(date +%s)
	while :; do
		if svc_ready "$name"; then
			return 0
		fi
		if ! svc_pid "$name" >/dev/null; then
			fail_service "$name" "process exited before it became ready"
		fi
		now=$(date +%s)
		if [ $((now - start)) -ge "$timeout" ]; then
			fail_service "$name" "not ready within ${timeout}s on $RS_HOST:$(svc_port "$name")"
		fi
		sleep 0.5
	done
}

# launch NAME CMD...: run CMD in the background from the service's state directory,
# stdout and stderr appended to its log, pid written by the process itself.
launch() {
	local name=$1 dir pidfile log
	shift
	dir=$(svc_dir "$name")
	pidfile=$(svc_pidfile "$name")
	log=$(svc_log "$name")
	if port_open "$(svc_port "$name")"; then
		fail_service "$name" "port $RS_HOST:$(svc_port "$name") is already used by another process"
	fi
	echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) start" >>"$log"
	(cd "$dir" && exec nohup sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
		</dev/null >>"$log" 2>&1 &)
	# The pid file is written by the child; wait briefly for it.
	local i
	for i in $(seq 1 50); do
		[ -s "$pidfile" ] && return 0
		sleep 0.1
	done
	fail_service "$name" "process did not start"
}

fill_template() {
	# fill_template IN OUT KEY=VALUE...: replace @KEY@ with VALUE (values are paths,
	# ports and hex secrets; '|' and '\' never appear in them).
	local in=$1 out=$2 expr=()
	shift 2
	local kv
	for kv in "$@"; do
		expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
	done
	sed "${expr[@]}" "$in" >"$out.tmp"
	mv "$out.tmp" "$out"
}

kafka_tls_dir() { echo "$RS_STATE_DIR/kafka/tls"; }

# kafka_tls: the SASL_SSL listener's material in $(kafka_tls_dir), made once per state dir
# with openssl: a CA (ca.pem), the broker's key and certificate for IP:127.0.0.1 (one PEM
# file, keystore.pem), the connection-string-shaped test password (connection-string: the
# key part is random per state dir; it protects nothing but this local listener) and the
# librdkafka client properties that use them (client.properties, for kcat).
kafka_tls() {
	local t old_umask
	t=$(kafka_tls_dir)
	old_umask=$(umask)
	umask 077 # the keys and the password file are readable by their owner only
	mkdir -p "$t"
	chmod 700 "$t"
	command -v openssl >/dev/null 2>&1 || fail_service kafka "openssl not found"
	if [ ! -s "$t/ca.pem" ] || [ ! -s "$t/keystore.pem" ]; then
		(
			set -e
			cd "$t"
			openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.pem \
				-subj "/CN=regscan test Kafka CA" -addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign
			openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
				-subj "/CN=$RS_HOST"
			printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$RS_HOST" >server.ext
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 3650 -extfile server.ext -out server.pem
			cat server.key server.pem >keystore.pem.tmp
			mv keystore.pem.tmp keystore.pem
		) >>"$(svc_log kafka)" 2>&1 || fail_service kafka "cannot make the TLS files in $t"
	fi
	if [ ! -s "$t/connection-string" ]; then
		local key
		key=$(openssl rand -base64 32) || fail_service kafka "openssl rand failed"
		printf 'Endpoint=sb://%s:%s/;SharedAccessKeyName=regscan-test;SharedAccessKey=%s' \
			"$RS_HOST" "$RS_KAFKA_SASL_PORT" "$key" >"$t/connection-string.tmp"
		mv "$t/connection-string.tmp" "$t/connection-string"
	fi
	cat >"$t/client.properties.tmp" <<EOF
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=$RS_EVENTHUBS_USER
sasl.password=$(cat "$t/connection-string")
ssl.ca.location=$t/ca.pem
EOF
	mv "$t/client.properties.tmp" "$t/client.properties"
	umask "$old_umask"
}

# kafka_sasl_properties: the broker properties of the SASL_SSL listener. Event Hubs' limits
# that Kafka can express, broker-wide (Kafka takes neither per listener: a listener-prefixed
# connections.max.idle.ms is ignored): idle connections closed after 240 s
# (REGSCAN_KAFKA_IDLE_MS; Kafka's default is 600 s) and records of at most 1,046,528 bytes
# (no other test sends more than librdkafka's default 1,000,000). No authorizer runs, so the
# PLAINTEXT listener keeps serving everything else unauthenticated.
kafka_sasl_properties() {
	local t
	t=$(kafka_tls_dir)
	cat <<EOF
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$RS_EVENTHUBS_USER="$(cat "$t/connection-string")";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$t/keystore.pem
listener.name.sasl_ssl.ssl.client.auth=none
connections.max.idle.ms=$RS_KAFKA_IDLE_MS
message.max.bytes=1046528
EOF
}

start_kafka() {
	local dir=$RS_STATE_DIR/kafka
	if svc_pid kafka >/dev/null; then
		grep -q "SASL_SSL://" "$dir/server.properties" 2>/dev/null ||
			fail_service kafka "it runs without the SASL_SSL listener (started by an older services.sh): run 'services.sh stop', then 'start'"
		wait_ready kafka "$RS_KAFKA_TIMEOUT"
		return 0
	fi
	command -v java >/dev/null 2>&1 || fail_service kafka "java not found (run deploy/local/install-deps.sh)"
	rs_kafka_jars
	mkdir -p "$dir/data"
	port_open "$RS_KAFKA_SASL_PORT" &&
		fail_service kafka "port $RS_HOST:$RS_KAFKA_SASL_PORT is already used by another process"
	kafka_tls
	cat >"$dir/server.properties.tmp" <<EOF
# Generated by deploy/local/services.sh: one combined broker+controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$RS_HOST:$RS_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$RS_HOST:$RS_KAFKA_PORT,CONTROLLER://$RS_HOST:$RS_KAFKA_CONTROLLER_PORT,SASL_SSL://$RS_HOST:$RS_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$RS_HOST:$RS_KAFKA_PORT,SASL_SSL://$RS_HOST:$RS_KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=24
EOF
	kafka_sasl_properties >>"$dir/server.properties.tmp"
	chmod 600 "$dir/server.properties.tmp"
	mv "$dir/server.properties.tmp" "$dir/server.properties"
	if [ ! -f "$dir/data/meta.properties" ]; then
		local id
		if [ ! -s "$dir/cluster.id" ]; then
			id=$(rs_kafka_java kafka.tools.StorageTool random-uuid 2>>"$(svc_log kafka)") ||
				fail_service kafka "cannot generate a cluster id"
			echo "$id" >"$dir/cluster.id"
		fi
		id=$(cat "$dir/cluster.id")
		rs_kafka_java kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" \
			>>"$(svc_log kafka)" 2>&1 || fail_service kafka "cannot format the storage in $dir/data"
	fi
	launch kafka java -Xms"$RS_KAFKA_HEAP" -Xmx"$RS_KAFKA_HEAP" -XX:+UseG1GC \
		-XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$RS_LOCAL_DIR/kafka/log4j2.properties" \
		-cp "$RS_KAFKA_LIB/*" kafka.Kafka "$dir/server.properties"
	wait_ready kafka "$RS_KAFKA_TIMEOUT"
}

start_redis() {
	local dir=$RS_STATE_DIR/redis
	if svc_pid redis >/dev/null; then
		wait_ready redis "$READY_TIMEOUT"
		return 0
	fi
	command -v redis-server >/dev/null 2>&1 || fail_service redis "redis-server not found"
	if port_open "$RS_REDIS_PORT"; then
		fail_service redis "port $RS_HOST:$RS_REDIS_PORT is already used by another process"
	fi
	cat >"$dir/redis.conf" <<EOF
# Generated by deploy/local/services.sh.
bind $RS_HOST
port $RS_REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$(svc_pidfile redis)"
logfile "$(svc_log redis)"
dir "$dir"
appendonly yes
maxmemory-policy noeviction
EOF
	rm -f "$(svc_pidfile redis)"
	(cd "$dir" && redis-server "$dir/redis.conf") >>"$(svc_log redis)" 2>&1 ||
		fail_service redis "redis-server did not start"
	local i
	for i in $(seq 1 50); do
		[ -s "$(svc_pidfile redis)" ] && break
		sleep 0.1
	done
	wait_ready redis "$READY_TIMEOUT"
}

start_token_service() {
	local dir=$RS_STATE_DIR/token-service
	if svc_pid token-service >/dev/null; then
		wait_ready token-service "$READY_TIMEOUT"
		return 0
	fi
	export REGSCAN_TOKEN_SERVICE_PASSWORD="$RS_TEST_PASSWORD"
	launch token-service "$RS_PYTHON" -u "$RS_LOCAL_DIR/token-service.py" \
		--addr "$RS_HOST" --port "$RS_TOKEN_SERVICE_PORT" --state-dir "$dir" \
		--issuer "$RS_TOKEN_ISSUER" --service "$RS_TOKEN_SERVICE_NAME" --user "$RS_TEST_USER"
	wait_ready token-service "$READY_TIMEOUT"
}

start_registry() {
	local kind=$1 name=registry-$1 dir
	dir=$RS_STATE_DIR/$name
	if svc_pid "$name" >/dev/null; then
		wait_ready "$name" "$READY_TIMEOUT"
		return 0
	fi
	command -v docker-registry >/dev/null 2>&1 || fail_service "$name" "docker-registry not found"
	mkdir -p "$dir/data"
	if [ ! -s "$RS_STATE_DIR/registry-secret" ]; then
		od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$RS_STATE_DIR/registry-secret"
	fi
	if [ "$kind" = htpasswd ] && [ ! -s "$dir/htpasswd" ]; then
		htpasswd -Bbn "$RS_TEST_USER" "$RS_TEST_PASSWORD" >"$dir/htpasswd.tmp" ||
			fail_service "$name" "htpasswd failed"
		mv "$dir/htpasswd.tmp" "$dir/htpasswd"
	fi
	fill_template "$RS_LOCAL_DIR/registry-$kind.yml.in" "$dir/config.yml" \
		"ROOT=$dir/data" "ADDR=$RS_HOST:$(svc_port "$name")" \
		"SECRET=$(cat "$RS_STATE_DIR/registry-secret")" "HTPASSWD=$dir/htpasswd" \
		"REALM=http://$RS_HOST:$RS_TOKEN_SERVICE_PORT/token" \
		"SERVICE=$RS_TOKEN_SERVICE_NAME" "ISSUER=$RS_TOKEN_ISSUER" \
		"CERT=$RS_STATE_DIR/token-service/cert.pem"
	launch "$name" docker-registry serve "$dir/config.yml"
	wait_ready "$name" "$READY_TIMEOUT"
}

stop_service() {
	local name=$1 pid i limit=20
	[ "$name" = kafka ] && limit=60
	pid=$(svc_pid "$name") || {
		rm -f "$(svc_pidfile "$name")"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 $((limit * 5))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "services.sh: $name (pid $pid) did not stop within ${limit}s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$(svc_pidfile "$name")"
}

cmd_start() {
	local s
	mkdir -p "$RS_LOG_DIR"
	for s in $SERVICES; do mkdir -p "$(svc_dir "$s")"; done
	start_redis
	start_token_service
	start_registry open
	start_registry htpasswd
	start_registry token
	start_kafka
	echo "services ready (state: $RS_STATE_DIR)"
}

cmd_stop() {
	local s
	for s in registry-token registry-htpasswd registry-open token-service redis kafka; do
		stop_service "$s"
	done
}

cmd_status() {
	local s pid state rc=0
	for s in $SERVICES; do
		if pid=$(svc_pid "$s"); then
			if svc_ready "$s"; then
				state="running (pid $pid), ready"
			else
				state="running (pid $pid), not answering"
				rc=3
			fi
		else
			state="stopped"
			rc=3
		fi
		printf '%-18s %-20s %s\n' "$s" "$RS_HOST:$(svc_port "$s")" "$state"
	done
	return $rc
}

cmd_env() {
	cat <<EOF
export REGSCAN_STATE_DIR='$RS_STATE_DIR'
export REGSCAN_KAFKA_BROKERS='$RS_HOST:$RS_KAFKA_PORT'
export REGSCAN_KAFKA_LIB='$RS_KAFKA_LIB'
export REGSCAN_REDIS_URL='redis://$RS_HOST:$RS_REDIS_PORT/0'
export REGSCAN_TEST_REGISTRY_OPEN='$RS_HOST:$RS_REGISTRY_OPEN_PORT'
export REGSCAN_TEST_REGISTRY_BASIC='$RS_HOST:$RS_REGISTRY_BASIC_PORT'
export REGSCAN_TEST_REGISTRY_TOKEN='$RS_HOST:$RS_REGISTRY_TOKEN_PORT'
export REGSCAN_TEST_REGISTRY_USER='$RS_TEST_USER'
export REGSCAN_TEST_REGISTRY_PASSWORD='$RS_TEST_PASSWORD'
export REGSCAN_TEST_TOKEN_REALM='http://$RS_HOST:$RS_TOKEN_SERVICE_PORT/token'
export REGSCAN_TEST_TOKEN_SERVICE='$RS_TOKEN_SERVICE_NAME'
export REGSCAN_TEST_TOKEN_ISSUER='$RS_TOKEN_ISSUER'
export REGSCAN_TEST_TOKEN_CERT='$RS_STATE_DIR/token-service/cert.pem'
export REGSCAN_TEST_REGISTRY_OPEN_LOG='$(svc_log registry-open)'
export REGSCAN_TEST_REGISTRY_BASIC_LOG='$(svc_log registry-htpasswd)'
export REGSCAN_TEST_REGISTRY_TOKEN_LOG='$(svc_log registry-token)'
export REGSCAN_TEST_KAFKA_SASL_BROKERS='$RS_HOST:$RS_KAFKA_SASL_PORT'
export REGSCAN_TEST_KAFKA_SASL_USER='$RS_EVENTHUBS_USER'
export REGSCAN_TEST_KAFKA_SASL_CA='$(kafka_tls_dir)/ca.pem'
export REGSCAN_TEST_KAFKA_SASL_CONNECTION_STRING_FILE='$(kafka_tls_dir)/connection-string'
EOF
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $(basename "$0") start|stop|status|env" >&2
	exit 2
	;;
esac
