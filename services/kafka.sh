#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker + controller) on 127.0.0.1 for tests and benchmarks.
# The broker comes from Maven Central (services/kafka/pom.xml) and is cached, so only the first
# run downloads it.   Usage: services/kafka.sh start|stop|restart|kill|status
#   start: a fresh broker (any old data is wiped); stop: a clean shutdown; restart: start again on
#   the same data directory (topics, messages and committed offsets kept); kill: kill -9, as a
#   crash would. KAFKA_PORT, KAFKA_CONTROLLER_PORT and FLOORBOARD_STATE choose the ports and the
#   state directory, so a fault test can run a broker of its own.
# A replicated cluster of three brokers (each also a KRaft controller) runs beside the single
# broker, on its own ports and data directories, for the fault tests and `make bench`:
#   services/kafka.sh cluster-start|cluster-stop|cluster-status|cluster-kill N|cluster-restart N
#   cluster-start: three fresh brokers (replication factor 3, min.insync.replicas 2); cluster-status:
#   their bootstrap list; cluster-kill N: kill -9 broker N (1-3); cluster-restart N: stop broker N
#   cleanly if it runs, then start it again on its data. KAFKA_CLUSTER_PORT (default 19192) is the
#   first of six ports: the brokers listen on it and the next two, their controllers on the three after.
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

# --- the three-broker cluster -------------------------------------------------------------------
CLUSTER_PORT="${KAFKA_CLUSTER_PORT:-19192}"
CLUSTER_DIR="$STATE/kafka-cluster"
broker_port() { echo $((CLUSTER_PORT + $1 - 1)); }
controller_port() { echo $((CLUSTER_PORT + $1 + 2)); }
node_dir() { echo "$CLUSTER_DIR/broker-$1"; }
# Small heaps and the serial collector: three JVMs share a small machine with the rest of the suite.
node_java_opts() {
  echo "-Xms96m -Xmx320m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k" \
    "-Dlog4j.configuration=file:$(node_dir "$1")/log4j.properties"
}

node_running() { local f; f="$(node_dir "$1")/kafka.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

node_config() {
  local n=$1 dir voters="1@127.0.0.1:$(controller_port 1),2@127.0.0.1:$(controller_port 2),3@127.0.0.1:$(controller_port 3)"
  dir="$(node_dir "$n")"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.backoff.ms=1000
num.network.threads=2
num.io.threads=2
background.threads=2
num.replica.fetchers=1
log.cleaner.threads=1
# A broker that stops heartbeating is fenced (its partitions get new leaders) after 6 s, and a
# restarted broker takes its partitions' leadership back within 10 s of catching up.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
leader.imbalance.check.interval.seconds=10
PROPS
  cat > "$dir/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
}

node_launch() {
  local n=$1 dir; dir="$(node_dir "$n")"
  # shellcheck disable=SC2046
  nohup java $(node_java_opts "$n") -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
      >>"$dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
}

node_wait() {
  local n=$1 dir; dir="$(node_dir "$n")"
  if ! wait_for_port "$(broker_port "$n")" 120; then
    log "cluster broker $n did not start; last lines of its log:"
    tail -30 "$dir/stdout.log" "$dir/kafka.log" >&2 || true
    return 1
  fi
}

node_stop() {
  local f pid; f="$(node_dir "$1")/kafka.pid"
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

cluster_status() {
  local n out=()
  for n in 1 2 3; do node_running "$n" || return 1; out+=("127.0.0.1:$(broker_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

cluster_start() {
  if cluster_status >/dev/null; then log "kafka cluster already running: $(cluster_status)"; cluster_status; return; fi
  fetch
  cluster_stop 2>/dev/null || true
  rm -rf "$CLUSTER_DIR" && mkdir -p "$CLUSTER_DIR"
  local id n
  id="$(java -Xmx64m -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)"
  for n in 1 2 3; do
    node_config "$n"
    java -Xmx128m -Dlog4j.configuration="file:$(node_dir "$n")/log4j.properties" -cp "$LIBS/*" kafka.tools.StorageTool \
        format --config "$(node_dir "$n")/server.properties" --cluster-id "$id" --ignore-formatted \
        >"$(node_dir "$n")/format.log" 2>&1
  done
  for n in 1 2 3; do node_launch "$n"; done
  for n in 1 2 3; do node_wait "$n" || { cluster_stop; exit 1; }; done
  log "kafka $VERSION cluster running: $(cluster_status)"
  cluster_status
}

cluster_stop() {
  # All three at once: one by one, the last would wait for a controller quorum that is gone.
  local n f pids=()
  for n in 1 2 3; do
    f="$(node_dir "$n")/kafka.pid"
    if [ -f "$f" ]; then pids+=("$(cat "$f")"); kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
  done
  for _ in $(seq 40); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  log "kafka cluster stopped"
}

cluster_node() {
  case "${1:-}" in 1|2|3) ;; *) echo "broker number 1, 2 or 3 expected" >&2; exit 2 ;; esac
  [ -f "$(node_dir "$1")/server.properties" ] || { log "no cluster in $CLUSTER_DIR; use cluster-start"; exit 1; }
}

cluster_kill() {
  cluster_node "$1"
  local f; f="$(node_dir "$1")/kafka.pid"
  if [ -f "$f" ]; then kill -9 "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; log "cluster broker $1 killed (-9)"; fi
}

cluster_restart() {
  cluster_node "$1"
  node_stop "$1"
  node_launch "$1"
  node_wait "$1" || exit 1
  log "cluster broker $1 running again on 127.0.0.1:$(broker_port "$1")"
}

case "${1:-}" in
  start) start ;; stop) stop ;; restart) restart ;; kill) kill9 ;; status) status ;; fetch) fetch ;;
  cluster-start) cluster_start ;; cluster-stop) cluster_stop ;; cluster-status) cluster_status ;;
  cluster-kill) cluster_kill "${2:-}" ;; cluster-restart) cluster_restart "${2:-}" ;;
  *) echo "usage: $0 start|stop|restart|kill|status|fetch|cluster-start|cluster-stop|cluster-status|cluster-kill N|cluster-restart N" >&2; exit 2 ;;
esac
