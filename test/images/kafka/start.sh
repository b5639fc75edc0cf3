#!/bin/bash
# Starts a single-node KRaft Kafka (broker + controller) configured like the official apache/kafka image:
# every KAFKA_FOO_BAR environment variable becomes the server property foo.bar ("___" -> "-", "__" -> "_",
# "_" -> "."), so the test kit passes the same environment to this image and to apache/kafka.
#
# The advertised listener must be the host:port the tests dial, which is known only to whoever started the
# container. Give it as KAFKA_ADVERTISED_LISTENERS at create time (what test/support/containers.ts does:
# it maps a host port chosen up front), or leave it unset and copy a file that exports it to
# /opt/kafka/config/advertised.env after start (the testcontainers "start, read the mapped port, then
# configure" trick): this script waits for that file.
set -euo pipefail

KAFKA_HOME=/opt/kafka
CONF=$KAFKA_HOME/config/server.properties
WAIT_FILE=$KAFKA_HOME/config/advertised.env

if [ -z "${KAFKA_ADVERTISED_LISTENERS:-}" ]; then
  trap 'exit 143' TERM INT
  echo "waiting for $WAIT_FILE (KAFKA_ADVERTISED_LISTENERS is not set)"
  while [ ! -s "$WAIT_FILE" ]; do sleep 0.1; done
  # shellcheck disable=SC1090
  . "$WAIT_FILE"
  trap - TERM INT
fi

: "${KAFKA_NODE_ID:=1}"
: "${KAFKA_PROCESS_ROLES:=broker,controller}"
: "${KAFKA_LISTENERS:=PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094}"
: "${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:=BROKER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT}"
: "${KAFKA_INTER_BROKER_LISTENER_NAME:=BROKER}"
: "${KAFKA_CONTROLLER_LISTENER_NAMES:=CONTROLLER}"
: "${KAFKA_CONTROLLER_QUORUM_VOTERS:=${KAFKA_NODE_ID}@localhost:9094}"
: "${KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR:=1}"
: "${KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR:=1}"
: "${KAFKA_TRANSACTION_STATE_LOG_MIN_ISR:=1}"
: "${KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS:=0}"
: "${KAFKA_LOG_DIRS:=/var/lib/kafka/data}"
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"
: "${KAFKA_HEAP_OPTS:=-Xms256m -Xmx512m}"
export KAFKA_NODE_ID KAFKA_PROCESS_ROLES KAFKA_LISTENERS KAFKA_LISTENER_SECURITY_PROTOCOL_MAP \
  KAFKA_INTER_BROKER_LISTENER_NAME KAFKA_CONTROLLER_LISTENER_NAMES KAFKA_CONTROLLER_QUORUM_VOTERS \
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR \
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS KAFKA_LOG_DIRS KAFKA_ADVERTISED_LISTENERS

# Environment -> server.properties (JVM settings are not broker properties).
{
  echo "# written by start.sh from KAFKA_* environment variables"
  env | LC_ALL=C sort | while IFS='=' read -r name value; do
    case $name in
      KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_HOME) continue ;;
      KAFKA_*) ;;
      *) continue ;;
    esac
    key=${name#KAFKA_}
    key=$(printf '%s' "$key" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
    printf '%s=%s\n' "$key" "$value"
  done
} >"$CONF"

CP="$KAFKA_HOME/libs/*"
LOG4J="-Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.properties"
mkdir -p "$KAFKA_LOG_DIRS"
if [ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]; then
  # shellcheck disable=SC2086
  java $LOG4J -cp "$CP" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONF" --ignore-formatted
fi
# shellcheck disable=SC2086
exec java $KAFKA_HEAP_OPTS ${KAFKA_OPTS:-} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  $LOG4J -cp "$CP" kafka.Kafka "$CONF"
