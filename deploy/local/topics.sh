#!/usr/bin/env bash
# Create regscan's Kafka topics on the local broker, idempotently, with explicit partition
# counts; a test passes its own --prefix so its topics never meet another test's. Existing
# topics are kept, but one with another partition count is an error (exit 3).
#
# usage: topics.sh [--prefix P] [--bootstrap HOST:PORT]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prefix=
bootstrap=${REGSCAN_KAFKA_BROKERS:-$RS_HOST:$RS_KAFKA_PORT}
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) prefix=${2?--prefix needs a value}; shift 2 ;;
	--prefix=*) prefix=${1#*=}; shift ;;
	--bootstrap) bootstrap=${2?--bootstrap needs a value}; shift 2 ;;
	-h | --help) sed -n 2,7p "$0"; exit 0 ;;
	*) echo "topics.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

TOPICS="regscan.scan-requests:12 regscan.scan-requests.batch:12 regscan.findings:6 regscan.inventory:6 regscan.dead-letter:1"

# partitions_of TOPIC: partition count from broker metadata, empty when the topic is absent.
metadata() {
	kcat -L -b "$bootstrap" -m 10 2>/dev/null ||
		{ echo "topics.sh: cannot reach kafka at '$bootstrap'" >&2; exit 3; }
}
partitions_of() {
	printf '%s\n' "$meta" | sed -n "s/^  topic \"$(printf '%s' "$1" | sed 's/[.[\*^$]/\\&/g')\" with \([0-9]*\) partitions:.*/\1/p"
}

meta=$(metadata)
missing=()
for t in $TOPICS; do
	name=$prefix${t%%:*}
	[ -n "$(partitions_of "$name")" ] || missing+=("$name:${t##*:}")
done

if [ ${#missing[@]} -gt 0 ]; then
	rs_kafka_jars
	for m in "${missing[@]}"; do
		# Topics are created one by one: TopicCommand takes one --topic per call.
		rs_kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
			--create --if-not-exists --topic "${m%:*}" --partitions "${m##*:}" \
			--replication-factor 1 >/dev/null ||
			{ echo "topics.sh: cannot create topic '${m%:*}'" >&2; exit 3; }
	done
fi

# Verify every topic, new or old, with its partition count (metadata can lag a creation).
for attempt in $(seq 1 20); do
	meta=$(metadata)
	bad=
	for t in $TOPICS; do
		name=$prefix${t%%:*}
		n=$(partitions_of "$name")
		if [ -z "$n" ]; then
			bad="topic '$name' not visible yet"
		elif [ "$n" != "${t##*:}" ]; then
			echo "topics.sh: topic '$name' has $n partitions, want ${t##*:}" >&2
			exit 3
		fi
	done
	[ -z "$bad" ] && exit 0
	sleep 0.5
done
echo "topics.sh: $bad" >&2
exit 3
