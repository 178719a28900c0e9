#!/usr/bin/env python3
"""The notebook's three loops, timed, with the Python client it was written for.

    python3 -m venv /tmp/nbvenv
    /tmp/nbvenv/bin/pip install -r scripts/requirements.txt
    /tmp/nbvenv/bin/python scripts/notebook.py [--messages 15,1000] [--runs 5]

Prints one JSON object per line, in the format of the Rust benchmark
(`cargo run --release -p bench -- --json`), so that the bench
can put both in one table: `bench --compare FILE`.

The broker is KAFKA_BOOTSTRAP_SERVERS. Without it, every producer starts its
own embedded broker, librdkafka's mock cluster ("test.mock.num.brokers"),
from the librdkafka that confluent-kafka bundles (each JSON line names it),
not the one the Rust listings build.

Beside each wall time it reports the process's CPU time (user and system,
every thread, librdkafka's included) over the same span, as the Rust
benchmark does.

The loops are the notebook's, minus the print() of every message (the Rust
benchmark does not print either). Each producer gets a delivery callback that
counts the messages stored, so that a run that loses one is an error, not a
number; on a real Kafka the topic's high watermarks are checked as well.
"""

import argparse
import getpass
import json
import os
import statistics
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3
TIMEOUT = 30.0


def flush_each(p, topic, n, latencies):
    """The notebook's first loop: flush after every message."""
    for i in range(n):
        sent = time.perf_counter()
        record_key = "qc-key"
        record_value = json.dumps({'count': i})
        p.produce(topic, key=record_key, value=record_value)
        p.flush(10)
        latencies.append(time.perf_counter() - sent)


def flush_once(p, topic, n, latencies):
    """The notebook's second loop: flush once at the end."""
    for i in range(n):
        record_key = "qc-key"
        record_value = json.dumps({'count': i})
        p.produce(topic, key=record_key, value=record_value)
    p.flush(10)


def poll_then_flush(p, topic, n, latencies):
    """The notebook's asynchronous loop, and the flush it asks for at the end."""
    for i in range(n):
        record_value = json.dumps({'count': i})
        p.produce(topic, value=record_value)
        p.poll(0)
    p.flush(10)


STRATEGIES = [
    ("flush_each", flush_each, True),
    ("flush_once", flush_once, False),
    ("poll_then_flush", poll_then_flush, False),
]


class Tally:
    def __init__(self):
        self.delivered = 0
        self.failed = 0
        self.first_error = None

    def __call__(self, err, msg):
        if err is None:
            self.delivered += 1
        else:
            self.failed += 1
            if self.first_error is None:
                self.first_error = str(err)


def high_watermarks(consumer, topic):
    metadata = consumer.list_topics(topic, timeout=TIMEOUT)
    total = 0
    for partition in metadata.topics[topic].partitions:
        _low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=TIMEOUT)
        total += high
    return total


WARM_UP = '{"warm_up": true}'


def warm_up(p, topic, tally):
    """As the Rust bench does: wait until the producer knows the topic's
    leaders, then write one message to each partition, untimed, so that no
    run pays for connecting to the leaders or for a partition's first write."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        metadata = p.list_topics(topic, timeout=TIMEOUT).topics.get(topic)
        if (metadata is not None and metadata.error is None and metadata.partitions
                and all(part.leader >= 0 for part in metadata.partitions.values())):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} has no leader for every partition")
        time.sleep(0.05)
    for partition in metadata.partitions:
        p.produce(topic, value=WARM_UP, partition=partition)
    if p.flush(TIMEOUT) or tally.delivered != len(metadata.partitions):
        raise RuntimeError("the warm-up messages were not delivered")
    tally.delivered = 0


def percentile_us(latencies, p):
    if not latencies:
        return None
    ordered = sorted(latencies)
    rank = max(1, min(len(ordered), -(-p * len(ordered) // 100)))
    return round(ordered[int(rank) - 1] * 1e6, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", default="15,1000",
                        help="message counts, separated by commas (default 15,1000)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--strategies", default=",".join(s[0] for s in STRATEGIES))
    parser.add_argument("--keep-topics", action="store_true",
                        help="on a real Kafka, keep the topics written to")
    args = parser.parse_args()
    counts = [int(n.replace("_", "")) for n in args.messages.split(",")]
    chosen = [s for s in STRATEGIES if s[0] in args.strategies.split(",")]

    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    embedded = not servers
    base = os.environ.get("KAFKA_TOPIC") or f"{getpass.getuser()}-topic"
    stamp = int(time.time())
    topics = {name: f"{base}-notebook-{stamp}-{name}" for name, _, _ in chosen}
    if embedded:
        print("KAFKA_BOOTSTRAP_SERVERS is not set: each producer uses an embedded "
              "broker (librdkafka's mock cluster)", file=sys.stderr)
        # log_level 4: no notice that the mock cluster replaces bootstrap.servers.
        config = {"test.mock.num.brokers": 1, "log_level": 4}
        consumer = admin = None
    else:
        config = {"bootstrap.servers": servers}
        admin = AdminClient(config)
        futures = admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1)
             for t in topics.values()])
        for future in futures.values():
            future.result(TIMEOUT)
        consumer = Consumer({"bootstrap.servers": servers, "group.id": "notebook-bench"})

    failed = False
    try:
        for n in counts:
            for name, loop, synchronous in chosen:
                topic = topics[name]
                seconds, cpu_seconds, latencies = [], [], []
                for run in range(1, args.runs + 1):
                    tally = Tally()
                    p = Producer({**config, "on_delivery": tally})
                    warm_up(p, topic, tally)
                    before = 0 if embedded else high_watermarks(consumer, topic)
                    started = time.perf_counter()
                    cpu_started = time.process_time()
                    loop(p, topic, n, latencies)
                    elapsed = time.perf_counter() - started
                    cpu = time.process_time() - cpu_started
                    left = p.flush(TIMEOUT)
                    grown = n if embedded else high_watermarks(consumer, topic) - before
                    if tally.failed or tally.delivered != n or left or grown != n:
                        print(f"{name} × {n}, run {run} lost messages: "
                              f"{tally.delivered} delivered, {tally.failed} failed "
                              f"({tally.first_error}), {left} left, topic grew by {grown}",
                              file=sys.stderr)
                        failed = True
                        return 1
                    seconds.append(elapsed)
                    cpu_seconds.append(cpu)
                    del p
                median = statistics.median(seconds)
                line = {
                    "strategy": name,
                    "client": "python",
                    "messages": n,
                    "broker": "embedded" if embedded else "kafka",
                    "runs": args.runs,
                    "seconds": median,
                    "seconds_min": min(seconds),
                    "seconds_max": max(seconds),
                    "cpu_seconds": statistics.median(cpu_seconds),
                    "msgs_per_sec": round(n / median, 1),
                }
                if synchronous:
                    line["p50_us"] = percentile_us(latencies, 50)
                    line["p99_us"] = percentile_us(latencies, 99)
                line.update({
                    "config": "",
                    "verified": True,
                    "delivered": n,
                    "confluent_kafka": confluent_kafka.__version__,
                    "librdkafka": confluent_kafka.libversion()[0],
                })
                print(json.dumps(line), flush=True)
                print(f"{name} × {n}: {median * 1e3:.2f} ms (median of {args.runs})",
                      file=sys.stderr)
    finally:
        if consumer is not None:
            consumer.close()
        if admin is not None and not args.keep_topics:
            for future in admin.delete_topics(list(topics.values())).values():
                try:
                    future.result(TIMEOUT)
                except Exception as err:  # a topic left behind is no failure
                    print(f"could not delete a topic: {err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
