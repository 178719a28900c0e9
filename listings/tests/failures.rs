// The part "When writes fail": each listing makes a failure happen for
// real, and each test checks the outcome its chapter states: the error
// kinds reported, and what a consumer reads back.
mod common;

use std::collections::BTreeMap;
use std::process::Command;

use rdkafka::mocking::MockCluster;

use common::*;

/// The `count` of a `{"count": n}` value.
fn count_of(record: &Record) -> i64 {
    let value: serde_json::Value = serde_json::from_str(&record.value).unwrap();
    value["count"].as_i64().unwrap()
}

/// The single number at the end of the only line that starts with `prefix`.
fn number_after(run: &Run, prefix: &str) -> i64 {
    let lines = run.lines_starting(prefix);
    assert_eq!(lines.len(), 1, "{prefix}: {}", run.stdout);
    let digits: String = lines[0][prefix.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

const TIMED_OUT: &str = "Message production error: MessageTimedOut (Local: Message timed out)";

// Broker unreachable

#[test]
fn unreachable_broker_times_each_message_out_after_message_timeout() {
    // Nothing listens at the address the listing writes to: the broker
    // under test plays no part, so this runs the same on both.
    let run = run_with_env(
        env!("CARGO_BIN_EXE_broker_unreachable"),
        &[("KAFKA_TOPIC", "unreachable-topic")],
    );
    assert_success(&run, "broker_unreachable");
    // Each line is "[ time] event"; the times are not checked.
    let events: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, event)| event))
        .collect();
    assert_eq!(
        &events[..3],
        [
            "send returned Ok(())",
            "send returned Ok(())",
            "send returned Ok(())",
        ]
    );
    // Then poll(0) returns, and the first client error is served, by poll(0)
    // or by flush: whichever polls first after the connection was refused.
    // librdkafka queues the refused connection before it counts the broker
    // down, so the first error is always BrokerTransportFailure.
    let mut next: Vec<&str> = events[3..5].to_vec();
    next.sort_unstable();
    assert!(
        next[0].starts_with("client error: Global error: BrokerTransportFailure"),
        "{}",
        next[0]
    );
    assert_eq!(next[1], "poll(0) returned");
    let report = format!("delivery report: {TIMED_OUT}");
    assert_eq!(&events[5..8], [report.as_str(), &report, &report]);
    assert_eq!(&events[8..], ["flush returned Ok(())"]);
    // rdkafka 0.39's BaseProducer calls `error` twice per error event, so
    // every count is even. librdkafka reports the same refused connection
    // at most twice in 30 s (rdkafka_broker.c), and AllBrokersDown after
    // every failed attempt, of which two seconds hold several.
    let transport = number_after(&run, "client error calls: BrokerTransportFailure × ");
    let all_down = number_after(&run, "client error calls: AllBrokersDown × ");
    assert!(transport == 2 || transport == 4, "{}", run.stdout);
    assert!(all_down >= 2 && all_down % 2 == 0, "{}", run.stdout);
    assert_eq!(run.lines_starting("client error calls: ").len(), 2);
}

#[test]
fn bounded_write_delivers_when_the_broker_is_up() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_bounded_write"), "bounded-up");
    assert_success(&run, "bounded_write");
    assert_eq!(
        run.stdout.trim(),
        format!("15 messages were produced to topic {topic}!")
    );
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}

#[test]
// It takes a broker down, which only the embedded broker can do.
#[cfg_attr(
    real_kafka,
    ignore = "needs the embedded broker: unset KAFKA_BOOTSTRAP_SERVERS"
)]
fn bounded_write_exits_non_zero_when_the_leader_is_down() {
    // Two brokers: broker 1 answers metadata requests, broker 2 leads every
    // partition of the topic and is down. Set-up succeeds; no message can be
    // delivered.
    let mock = MockCluster::new(2).unwrap();
    let topic = "bounded-leader-down";
    mock.create_topic(topic, listings::PARTITIONS, 1).unwrap();
    for partition in 0..listings::PARTITIONS {
        mock.partition_leader(topic, partition, Some(2)).unwrap();
    }
    mock.broker_down(2).unwrap();
    let run = run_with_env(
        env!("CARGO_BIN_EXE_bounded_write"),
        &[
            ("KAFKA_BOOTSTRAP_SERVERS", &mock.bootstrap_servers()),
            ("KAFKA_TOPIC", topic),
        ],
    );
    assert!(!run.success, "bounded_write exited 0:\n{}", run.stdout);
    let expected =
        format!("Error: 15 of 15 messages were not delivered; the first because: {TIMED_OUT}");
    assert_eq!(run.stderr.trim(), expected);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // The chapter shows this message verbatim.
    let chapter = include_str!("../../src/failures/unreachable.md");
    assert!(
        chapter.contains(&expected),
        "unreachable.md shows another message"
    );
}

// Bad input

#[test]
fn illegal_topic_names_are_refused_by_the_guard_and_by_kafka() {
    let broker = broker();
    let run = run_with_env(
        env!("CARGO_BIN_EXE_topic_names"),
        &[("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers())],
    );
    assert_success(&run, "topic_names");
    let rule = "a Kafka topic name is 1 to 249 characters from [a-zA-Z0-9._-], \
                and is not \".\" or \"..\"";
    assert_eq!(
        run.lines_starting("illegal topic name "),
        [
            format!("illegal topic name \"\": {rule}"),
            format!("illegal topic name \"..\": {rule}"),
            format!("illegal topic name \"my topic\" (character ' '): {rule}"),
            format!("illegal topic name \"café\" (character 'é'): {rule}"),
        ]
    );
    // Without the guard: Kafka refuses every one; the embedded broker
    // checks no names and takes them all.
    let mut reports = run.lines_starting("topic ");
    reports.sort_unstable();
    let outcome = if broker.is_embedded() {
        "delivered"
    } else {
        "Message production error: InvalidTopic (Broker: Invalid topic)"
    };
    let mut expected: Vec<String> = ["", "..", "café", "my topic"]
        .iter()
        .map(|name| format!("topic {name:?}: {outcome}"))
        .collect();
    expected.sort_unstable();
    assert_eq!(reports, expected);
}

#[test]
fn a_value_too_large_is_refused_by_send_or_by_the_broker() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_message_too_large"), "too-large");
    assert_success(&run, "message_too_large");
    let too_large =
        "Message production error: MessageSizeTooLarge (Broker: Message size too large)";
    let report = if broker.is_embedded() {
        "delivery report: delivered".to_string()
    } else {
        format!("delivery report: {too_large}")
    };
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            format!("send refused a value of 1000024 bytes: {too_large}"),
            "send queued a value of 1500024 bytes".to_string(),
            report,
        ]
    );
    // Kafka stored nothing; the embedded broker, which has no size limit,
    // stored the second message.
    let expected = if broker.is_embedded() { 1 } else { 0 };
    assert_eq!(broker.messages_written(&topic).unwrap(), expected);
}

#[test]
fn a_missing_topic_fails_with_auto_creation_off_and_is_created_by_default() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_missing_topic"), "missing");
    assert_success(&run, "missing_topic");
    let reports: Vec<&str> = run
        .lines_starting("delivery report after ")
        .iter()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        reports,
        [
            "Message production error: UnknownTopicOrPartition (Broker: Unknown topic or partition)",
            "delivered",
        ]
    );
    let missing = format!("{topic}-missing");
    let created = format!("{topic}-created-by-send");
    // The broker's num.partitions: 1 in Kafka's defaults and in CI; the
    // embedded broker creates topics with 4.
    let partitions = if broker.is_embedded() { 4 } else { 1 };
    let shown: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("delivery report"))
        .collect();
    assert_eq!(
        shown,
        [
            format!("{missing}: does not exist"),
            format!("{created}: does not exist"),
            format!("{created}: exists, partitions: {partitions}"),
        ]
    );
    assert!(!broker.topic_exists(&missing).unwrap());
    assert_eq!(broker.messages_written(&created).unwrap(), 1);
}

// Backpressure

#[test]
fn queue_full_is_retried_until_every_message_is_in_the_topic_in_order() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_queue_full"), "queue-full");
    assert_success(&run, "queue_full");
    let prefix = format!("1000 messages sent to topic {topic}; send refused ");
    let refused = number_after(&run, &prefix);
    assert!(refused > 0, "send never returned QueueFull");
    assert!(run.stdout.trim_end().ends_with(" times with QueueFull"));
    assert_keyed_in_order(&read_back(&broker, &topic), 1000);
}

// flush's result

#[test]
fn a_flush_that_times_out_loses_nothing_and_a_purge_reports_every_message() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_flush_timeout"), "flush-timeout");
    assert_success(&run, "flush_timeout");
    let waiting = number_after(
        &run,
        "flush returned Err(Flush error: OperationTimedOut (Local: Timed out)); \
         messages and events waiting: ",
    );
    assert!(waiting > 0);
    assert_eq!(
        run.lines_starting("second flush"),
        ["second flush returned Ok; waiting: 0; delivered: 2000"]
    );
    let purged = run.lines_starting("Failed to deliver message: ");
    assert_eq!(
        purged,
        ["Failed to deliver message: Message production error: PurgeQueue (Local: Purged in queue)";
            15]
    );
    let gave_up = number_after(
        &run,
        "flush_or_purge returned Err(Flush error: OperationTimedOut (Local: Timed out) with ",
    );
    assert!(gave_up >= 15, "{gave_up}");
    assert!(run
        .stdout
        .contains(" messages and events waiting; purged)\ndelivered: 0\n"));
    // The first 2,000 reached the topic; the purged 15 did not.
    assert_keyed_in_order(&read_back(&broker, &topic), 2000);
}

// Dropping a producer

#[test]
// The listing runs on an embedded broker of its own.
#[cfg_attr(
    real_kafka,
    ignore = "needs the embedded broker: unset KAFKA_BOOTSTRAP_SERVERS"
)]
fn dropping_in_flight_reports_purge_inflight_yet_the_broker_stored_them() {
    let run = run_with_env(
        env!("CARGO_BIN_EXE_drop_in_flight"),
        &[("KAFKA_TOPIC", "drop-in-flight")],
    );
    assert_success(&run, "drop_in_flight");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "after the drop: 1 delivered, 15 purged in flight",
            "messages stored in topic drop-in-flight: 16",
        ]
    );
}

// Delivery guarantees

#[test]
// The listing runs on an embedded broker of its own.
#[cfg_attr(
    real_kafka,
    ignore = "needs the embedded broker: unset KAFKA_BOOTSTRAP_SERVERS"
)]
fn retries_acks_and_idempotence_under_injected_errors() {
    let run = run_with_env(env!("CARGO_BIN_EXE_acks_and_retries"), &[]);
    assert_success(&run, "acks_and_retries");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "retries=2147483647: reports delivered: 15; the topic holds 15, 0 out of order",
            "retries=0: reports NotEnoughReplicas: 15; the topic holds 0, 0 out of order",
            "acks=0: reports delivered: 15; the topic holds 0, 0 out of order",
        ]
    );
    // Without idempotence the retried batch lands after later ones.
    let off = "enable.idempotence=false: reports delivered: 1000; the topic holds 1000, ";
    assert!(lines[3].starts_with(off), "{}", lines[3]);
    let out_of_order = number_after(&run, off);
    assert!(out_of_order > 0, "{}", lines[3]);
    assert_eq!(
        lines[4..],
        ["enable.idempotence=true: reports delivered: 1000; the topic holds 1000, 0 out of order"]
    );
}

#[test]
fn idempotent_writes_store_every_message_once_in_order() {
    let broker = broker();
    let topic = fresh_topic(&broker, "idempotent");
    // The listing writes to two topics named after its own; create them
    // here, where the embedded broker can.
    for label in ["off", "on"] {
        broker
            .create_topic(&format!("{topic}-idempotence-{label}"))
            .unwrap();
    }
    let run = run_listing(env!("CARGO_BIN_EXE_idempotent_writes"), &broker, &topic);
    assert_success(&run, "idempotent_writes");
    for label in ["off", "on"] {
        let prefix = format!("idempotence {label}: ");
        let progress: Vec<String> = (1..=5)
            .map(|k| format!("{prefix}{} of 10000 sent", 2000 * k))
            .collect();
        assert_eq!(run.lines_starting(&prefix).len(), 8);
        assert_eq!(run.lines_starting(&prefix)[..5], progress);
        // The setting took effect: only the idempotent producer has an id.
        assert_eq!(
            run.lines_starting(&prefix)[5..],
            [
                format!("{prefix}producer id from the broker: {}", label == "on"),
                format!("{prefix}10000 delivered, 0 failed"),
                format!(
                    "{prefix}the topic holds 10000 messages: 10000 distinct, \
                     0 duplicates, 0 missing, 0 out of order"
                ),
            ]
        );
        let records = read_back(&broker, &format!("{topic}-idempotence-{label}"));
        assert_each_once_in_key_order(&records, 10_000);
    }
}

/// Asserts that `records` hold counts 0 to n - 1 once each, and that each
/// key's counts rise in offset order within its partition.
fn assert_each_once_in_key_order(records: &[Record], n: usize) {
    let mut seen: Vec<i64> = records.iter().map(count_of).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..n as i64).collect::<Vec<_>>());
    let mut last: BTreeMap<(i32, Option<String>), i64> = BTreeMap::new();
    for record in records {
        let count = count_of(record);
        let key = (record.partition, record.key.clone());
        if let Some(&before) = last.get(&key) {
            assert!(before < count, "{key:?}: {before} then {count}");
        }
        last.insert(key, count);
    }
}

// Keys and partitions

#[test]
fn a_ready_producer_keeps_keyless_messages_on_one_partition() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_sticky_partitioning"), "sticky");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    // The fresh round: spread or not, as the race between two of
    // librdkafka's threads goes; every message delivered either way.
    let fresh = lines[0]
        .strip_prefix("fresh producer: 15 messages on [")
        .and_then(|rest| rest.strip_suffix("] partitions"))
        .unwrap_or_else(|| panic!("{}", lines[0]));
    let fresh: i32 = fresh.parse().unwrap();
    assert!((1..=listings::PARTITIONS).contains(&fresh), "{fresh}");
    // Sticky: all fifteen on one partition, once the producer is ready.
    assert_eq!(lines[1], "ready producer: 15 messages on [1] partitions");
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| r.key.is_none()));
}

#[test]
fn one_key_one_partition_in_order_and_no_key_spreads() {
    let (broker, topic, run) = run_fresh(env!("CARGO_BIN_EXE_key_partitions"), "key-partitions");
    assert_success(&run, "key_partitions");
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 600);
    // What the listing printed is what the consumer here reads.
    let mut by_key: BTreeMap<String, BTreeMap<i32, usize>> = BTreeMap::new();
    for record in &records {
        let key = record.key.clone().unwrap_or_else(|| "null".into());
        *by_key
            .entry(key)
            .or_default()
            .entry(record.partition)
            .or_default() += 1;
    }
    let expected: Vec<String> = by_key
        .iter()
        .map(|(key, spread)| {
            format!("key {key}: messages per partition {spread:?}, in the order sent: true")
        })
        .collect();
    assert_eq!(run.lines_starting("key "), expected);
    // Each of the five keys: 60 messages, one partition. No key: 300,
    // spread over all three.
    assert_eq!(by_key.len(), 6);
    for (key, spread) in &by_key {
        if key == "null" {
            assert_eq!(spread.len(), listings::PARTITIONS as usize, "{spread:?}");
            assert_eq!(spread.values().sum::<usize>(), 300);
        } else {
            assert_eq!(spread.values().collect::<Vec<_>>(), [&60], "{key}");
        }
    }
    // Stored in the order sent, per partition.
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    for record in &records {
        let count = count_of(record);
        if let Some(before) = last.insert(record.partition, count) {
            assert!(before < count, "partition {}", record.partition);
        }
    }
}

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as the
/// Java client hashes a key's bytes.
fn murmur2(data: &[u8]) -> i32 {
    const M: i32 = 0x5bd1_e995;
    let length = data.len() as i32;
    let mut h: i32 = 0x9747_b28c_u32 as i32 ^ length;
    let word = |i: usize| i32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    for i in 0..data.len() / 4 {
        let mut k = word(4 * i).wrapping_mul(M);
        k ^= ((k as u32) >> 24) as i32;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let tail = &data[data.len() & !3..];
    if tail.len() >= 3 {
        h ^= (tail[2] as i32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as i32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as i32;
        h = h.wrapping_mul(M);
    }
    h ^= ((h as u32) >> 13) as i32;
    h = h.wrapping_mul(M);
    h ^= ((h as u32) >> 15) as i32;
    h
}

/// The Java client's partitions for `keys`, from its own code: the helper
/// in scripts/java-partition run against the Kafka jars. None when Java or
/// the jars are not to be had.
fn java_partitions(keys: &[&str], partitions: i32) -> Option<BTreeMap<String, i32>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let classpath = Command::new(format!("{root}/scripts/kafka"))
        .arg("classpath")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let classpath = String::from_utf8(classpath.stdout).ok()?;
    let output = Command::new("java")
        .arg("-cp")
        .arg(classpath.trim())
        .arg(format!("{root}/scripts/java-partition/JavaPartition.java"))
        .arg(partitions.to_string())
        .args(keys)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "JavaPartition failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    Some(
        text.lines()
            .map(|l| {
                let (key, partition) = l.split_once(' ').unwrap();
                (key.to_string(), partition.parse().unwrap())
            })
            .collect(),
    )
}

#[test]
fn murmur2_random_puts_each_key_where_the_java_client_does() {
    let (_broker, _topic, run) = run_fresh(env!("CARGO_BIN_EXE_murmur2_partitioner"), "murmur2");
    assert_success(&run, "murmur2_partitioner");
    // "key K: consistent_random -> partition C, murmur2_random -> partition M"
    let rows: Vec<(String, i32, i32)> = run
        .lines_starting("key ")
        .iter()
        .map(|l| {
            let (key, rest) = l["key ".len()..]
                .split_once(": consistent_random -> partition ")
                .unwrap();
            let (crc, murmur) = rest.split_once(", murmur2_random -> partition ").unwrap();
            (
                key.to_string(),
                crc.parse().unwrap(),
                murmur.parse().unwrap(),
            )
        })
        .collect();
    let keys: Vec<String> = (0..10).map(|i| format!("qc-key-{i}")).collect();
    assert_eq!(
        rows.iter().map(|r| &r.0).collect::<Vec<_>>(),
        keys.iter().collect::<Vec<_>>()
    );
    for (key, _, murmur) in &rows {
        let expected = (murmur2(key.as_bytes()) & 0x7fff_ffff) % listings::PARTITIONS;
        assert_eq!(*murmur, expected, "{key}");
    }
    // The default partitioner puts some of these keys elsewhere.
    assert!(rows.iter().any(|(_, crc, murmur)| crc != murmur));
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    match java_partitions(&keys, listings::PARTITIONS) {
        Some(java) => {
            for (key, _, murmur) in &rows {
                assert_eq!(java[key], *murmur, "{key}: Java and Rust disagree");
            }
        }
        // CI installs both, so there a missing comparison is a failure.
        None if std::env::var_os("CI").is_some() => {
            panic!("Java or the Kafka jars are missing under CI: run scripts/kafka classpath")
        }
        None => eprintln!("Java or the Kafka jars are missing: compared with murmur2 only"),
    }
}

#[test]
fn send_checks_only_that_a_topic_name_is_at_most_512_bytes() {
    use rdkafka::error::RDKafkaErrorCode;
    use rdkafka::producer::{BaseProducer, BaseRecord};
    let broker = broker();
    let producer: BaseProducer = broker.config().create().unwrap();
    let too_long = "t".repeat(513);
    let (err, _record) = producer
        .send(BaseRecord::<(), _>::to(&too_long).payload("x"))
        .unwrap_err();
    assert_eq!(
        err.rdkafka_error_code(),
        Some(RDKafkaErrorCode::InvalidArgument)
    );
    // Names Kafka refuses, yet at most 512 bytes: send takes them.
    for name in ["t".repeat(512), "my topic".to_string()] {
        assert!(producer
            .send(BaseRecord::<(), _>::to(&name).payload("x"))
            .is_ok());
    }
}

#[test]
fn room_is_freed_when_the_report_is_served_and_future_send_waits_for_it() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_queue_room"), "queue-room");
    let lines: Vec<&str> = run.stdout.lines().collect();
    // The ten messages, answered by the broker but not yet served, still
    // count, and so does at least one report event waiting to be served.
    let held: i64 = lines[0]
        .strip_prefix("half a second later, in_flight_count: ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(held >= 11, "{}", run.stdout);
    assert_eq!(
        lines[1],
        "the eleventh send: Message production error: QueueFull (Local: Queue full)"
    );
    assert_eq!(
        lines[2],
        "after poll served the reports, in_flight_count: 0"
    );
    assert_eq!(
        lines[3],
        "FutureProducer: 20 sends into room for 10, 20 delivered"
    );
    // Ten of the twenty found no room: at least one waited out send's
    // 100 ms retry, a lower bound of rdkafka's own loop.
    assert!(printed_time(&run) >= std::time::Duration::from_millis(100));
    assert_eq!(read_back(&broker, &topic).len(), 31);
}

#[test]
fn librdkafkas_flush_on_a_base_producer_waits_its_whole_timeout() {
    let (broker, topic, run) = run_fresh_ok(
        env!("CARGO_BIN_EXE_native_flush_on_base_producer"),
        "native-base",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    let (result, waited) = lines[0]
        .strip_prefix("rd_kafka_flush(500 ms) on a BaseProducer: ")
        .and_then(|rest| rest.split_once(", returned after "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(result, "OperationTimedOut");
    let waited = parse_duration(waited);
    assert!(
        waited >= std::time::Duration::from_millis(500),
        "{waited:?}"
    );
    assert_eq!(
        lines[1],
        "rdkafka's flush, which polls: done, in_flight_count 0"
    );
    assert_keyed_in_order(&read_back(&broker, &topic), 1);
}
