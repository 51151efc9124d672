#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker + controller) on 127.0.0.1 for tests and benchmarks.
# The broker comes from Maven Central (services/kafka/pom.xml) and is cached, so only the first
# run downloads it.   Usage: services/kafka.sh start|stop|restart|kill|status
#   start: a fresh broker (any old data is wiped); stop: a clean shutdown; restart: start again on
#   the same data directory (topics, messages and committed offsets kept); kill: kill -9, as a
#   crash would. KAFKA_PORT, KAFKA_CONTROLLER_PORT and FLOORBOARD_STATE choose the ports and the
#   state directory, so a fault test can run a broker of its own.
source "$(dirname "$0")/common.sh"
VERSION=4.1.1
PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
LIBS="$CACHE/kafka-$VERSION/libs"
DIR="$STATE/kafka"
PIDFILE="$DIR/kafka.pid"

fetch() {
  if [ -f "$LIBS/kafka_2.13-$VERSION.jar" ]; then return; fi
  command -v java >/dev/null || apt_install default-jre-headless
  command -v mvn >/dev/null || apt_install maven
  log "fetching Apache Kafka $VERSION from Maven Central into $LIBS"
  mvn -q -B -f "$ROOT/services/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS.partial" -DincludeScope=runtime
  mv "$LIBS.partial" "$LIBS"
}

start() {
  if status >/dev/null; then log "kafka already running on 127.0.0.1:$PORT"; return; fi
  fetch
  rm -rf "$DIR" && mkdir -p "$DIR/data"
  cat > "$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.backoff.ms=1000
PROPS
  cat > "$DIR/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$DIR/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
  java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
      --config "$DIR/server.properties" --cluster-id "$(java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      --ignore-formatted >"$DIR/format.log" 2>&1
  launch
}

JAVA_OPTS=(-Xms256m -Xmx1g -Dlog4j.configuration="file:$DIR/log4j.properties")

launch() {
  nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
      >>"$DIR/stdout.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ! wait_for_port "$PORT" 90; then
    log "kafka did not start; last lines of its log:"; tail -30 "$DIR/stdout.log" "$DIR/kafka.log" >&2 || true
    stop; exit 1
  fi
  log "kafka $VERSION running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
}

restart() {
  [ -f "$DIR/server.properties" ] || { log "no broker in $DIR to restart; use start"; exit 1; }
  if status >/dev/null; then stop; fi
  launch
}

kill9() {
  if [ -f "$PIDFILE" ]; then kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; log "kafka killed (-9)"; fi
}

stop() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"; log "kafka stopped"
  fi
}

status() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && echo "127.0.0.1:$PORT"; }

case "${1:-}" in
  start) start ;; stop) stop ;; restart) restart ;; kill) kill9 ;; status) status ;; fetch) fetch ;;
  *) echo "usage: $0 start|stop|restart|kill|status|fetch" >&2; exit 2 ;;
esac
