// The listings of "Asynchronous the Rust way": one shared producer, many
// writes in flight with a bound, order per key, typed messages, and a
// service that stops on SIGTERM without losing what it accepted.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

// The typed listing's own types and events, to compare with what is read back.
#[allow(dead_code)]
#[path = "../src/bin/typed_messages.rs"]
mod typed_messages;

#[test]
fn one_shared_producer_is_much_faster_than_a_producer_per_message() {
    let (broker, topic, run) =
        run_fresh_ok(env!("CARGO_BIN_EXE_producer_per_message"), "per-message");
    let time = |prefix: &str| parse_duration(run.lines_starting(prefix)[0][prefix.len()..].trim());
    let shared = time("15 tasks, one shared producer:");
    let per_message = time("15 tasks, a producer each:");
    println!("shared {shared:?}, a producer each {per_message:?}");
    // Each producer connects on its own, and dropping it joins a thread that
    // polls in 100 ms slices: a wide margin below what is seen (8 times).
    assert!(
        per_message > shared * 3,
        "shared {shared:?}, per message {per_message:?}"
    );
    let records = read_back(&broker, &topic);
    for key in ["shared", "per-message"] {
        let values: BTreeSet<String> = records
            .iter()
            .filter(|r| r.key.as_deref() == Some(key))
            .map(|r| r.value.clone())
            .collect();
        assert_eq!(values, counts(15).into_iter().collect(), "key {key}");
    }
    assert_eq!(records.len(), 30);
}

/// The `seq` of each way's messages per key, in the order of their offsets.
fn sequences_by_way_and_key(records: &[Record]) -> BTreeMap<(String, String), Vec<(i64, u64)>> {
    let mut by = BTreeMap::<(String, String), Vec<(i64, u64)>>::new();
    for record in records {
        let value: serde_json::Value = serde_json::from_str(&record.value).unwrap();
        let way = value["way"].as_str().unwrap().to_string();
        let seq = value["seq"].as_u64().unwrap();
        let key = record.key.clone().unwrap();
        by.entry((way, key)).or_default().push((record.offset, seq));
    }
    by
}

/// The listing's count, from what a consumer reads: messages with a lower
/// offset than an earlier-sent message of the same key.
fn out_of_order(sent_order: &mut [(i64, u64)]) -> usize {
    sent_order.sort_by_key(|&(_offset, seq)| seq);
    let mut highest = -1;
    let mut count = 0;
    for &(offset, _seq) in sent_order.iter() {
        if offset < highest {
            count += 1;
        }
        highest = highest.max(offset);
    }
    count
}

#[test]
fn the_in_order_window_keeps_every_keys_order_and_the_counts_are_true() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_concurrent_writes"), "concurrent");
    println!("{}", run.stdout);
    let ways = [
        "spawn_each",
        "spawn_with_permits",
        "buffered_stream",
        "in_order_window",
    ];
    let mut printed = BTreeMap::new();
    for way in ways {
        let row = run.lines_starting(&format!("{way} "));
        assert_eq!(row.len(), 1, "{}", run.stdout);
        let columns: Vec<&str> = row[0].split_whitespace().collect();
        // way, time (number and unit), delivered, failed, out of order
        assert_eq!(columns.len(), 6, "{row:?}");
        assert_eq!(columns[3], "10000", "{way} delivered");
        assert_eq!(columns[4], "0", "{way} failed");
        printed.insert(way.to_string(), columns[5].parse::<usize>().unwrap());
    }
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 4 * 10_000);
    let mut from_topic = BTreeMap::<String, usize>::new();
    for ((way, _key), mut sequence) in sequences_by_way_and_key(&records) {
        // Each message once: ten keys, 1,000 each.
        let seqs: BTreeSet<u64> = sequence.iter().map(|&(_, seq)| seq).collect();
        assert_eq!(seqs.len(), 1_000, "{way}");
        *from_topic.entry(way).or_default() += out_of_order(&mut sequence);
    }
    assert_eq!(from_topic, printed, "printed counts against the topic");
    // The promise: the in-order window never reorders a key's messages.
    assert_eq!(printed["in_order_window"], 0);
}

#[test]
fn typed_messages_read_back_struct_for_struct_with_their_headers() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_typed_messages"), "typed");
    assert_eq!(
        run.lines_starting("stock count not sent: "),
        ["stock count not sent: key must be a string"]
    );
    assert_eq!(
        run.lines_starting("messages on the topic: "),
        ["messages on the topic: 6"]
    );
    let mut records = read_back(&broker, &topic);
    assert_eq!(records.len(), 6);
    // Order holds per key (one partition each); across keys, offsets decide.
    records.sort_by_key(|r| {
        let order: typed_messages::OrderPlaced = serde_json::from_str(&r.value).unwrap();
        order.order_id
    });
    for (record, order) in records.iter().zip(typed_messages::orders()) {
        let read: typed_messages::OrderPlaced = serde_json::from_str(&record.value).unwrap();
        assert_eq!(read, order);
        assert_eq!(record.key.as_deref(), Some(order.customer.as_str()));
        assert_eq!(
            record.headers,
            [
                ("content-type".to_string(), "application/json".to_string()),
                ("event-type".to_string(), "OrderPlaced".to_string()),
                ("event-id".to_string(), format!("order-{}", order.order_id)),
            ]
        );
    }
    let by_customer = |records: &[Record], customer: &str| -> Vec<i64> {
        records
            .iter()
            .filter(|r| r.key.as_deref() == Some(customer))
            .map(|r| r.offset)
            .collect()
    };
    for customer in ["ada", "grace", "linus"] {
        let offsets = by_customer(&records, customer);
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{customer}: {offsets:?}"
        );
    }
}

#[test]
fn the_exercise_never_has_more_than_its_bound_in_flight() {
    let (broker, topic, run) = run_fresh_ok(
        env!("CARGO_BIN_EXE_solution_largest_in_flight"),
        "largest-in-flight",
    );
    assert_eq!(
        run.lines_starting("1000 delivered"),
        ["1000 delivered, 0 failed"]
    );
    let prefix = "most sends waiting at once: ";
    let most: usize = run.lines_starting(prefix)[0][prefix.len()..]
        .parse()
        .unwrap();
    assert!((1..=64).contains(&most), "{most}");
    assert_eq!(read_back(&broker, &topic).len(), 1_000);
}

/// The service, started on `topic` with its standard input a pipe.
fn start_service(broker: &Broker, topic: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_write_service"))
        .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers())
        .env("KAFKA_TOPIC", topic)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("service started")
}

#[test]
fn malformed_lines_are_reported_by_number_and_skipped() {
    let broker = broker();
    let topic = fresh_topic(&broker, "service-malformed");
    let mut child = start_service(&broker, &topic);
    let input = "{\"key\":\"a\",\"n\":1}\nnot json\n\n{\"key\":\"b\",\"n\":2}\n{\"n\":3}\n{broken\n{\"key\":\"a\",\"n\":4}\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let run = wait_within(child, "write_service", Duration::from_secs(60));
    assert_success(&run, "write_service");
    assert_eq!(
        run.stdout.trim(),
        "accepted 4: delivered 4, failed 0, never sent 0, outcome unknown 0; \
         malformed lines skipped 2"
    );
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.ends_with("; skipped"))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(skipped, ["line 2", "line 6"], "{}", run.stderr);
    let mut read: Vec<(Option<String>, String)> = read_back(&broker, &topic)
        .into_iter()
        .map(|r| (r.key, r.value))
        .collect();
    read.sort_by_key(|(_, value)| value.clone());
    let expected = [
        (Some("a"), r#"{"key":"a","n":1}"#),
        (Some("b"), r#"{"key":"b","n":2}"#),
        (None, r#"{"n":3}"#),
        (Some("a"), r#"{"key":"a","n":4}"#),
    ];
    let mut expected: Vec<(Option<String>, String)> = expected
        .iter()
        .map(|(k, v)| (k.map(str::to_string), v.to_string()))
        .collect();
    expected.sort_by_key(|(_, value)| value.clone());
    assert_eq!(read, expected);
}

/// Feeds the service `{"key": "k<n % 7>", "n": n}` lines as fast as it takes
/// them, until the pipe breaks; counts the lines written.
fn feed(child: &mut Child) -> (std::thread::JoinHandle<()>, Arc<AtomicUsize>) {
    let mut stdin = child.stdin.take().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    let feeder = std::thread::spawn(move || {
        for n in 0..5_000_000usize {
            let line = format!("{{\"key\":\"k{}\",\"n\":{n}}}\n", n % 7);
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (feeder, written)
}

/// Waits until at least `count` messages are on `topic`.
fn wait_for_messages(broker: &Broker, topic: &str, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while broker.messages_written(topic).unwrap() < count {
        assert!(Instant::now() < deadline, "fewer than {count} on {topic}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Each message read back: its `n`, once, in increasing order per key.
fn read_numbers(broker: &Broker, topic: &str) -> Vec<u64> {
    let records = read_back(broker, topic);
    let mut by_key = BTreeMap::<String, Vec<u64>>::new();
    for record in &records {
        let value: serde_json::Value = serde_json::from_str(&record.value).unwrap();
        let n = value["n"].as_u64().unwrap();
        assert_eq!(record.key.as_deref(), Some(format!("k{}", n % 7).as_str()));
        by_key
            .entry(record.key.clone().unwrap())
            .or_default()
            .push(n);
    }
    for (key, numbers) in &by_key {
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "{key}: out of order or twice"
        );
    }
    by_key.into_values().flatten().collect()
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill ran");
    assert!(status.success(), "kill {signal}");
}

#[test]
#[cfg_attr(not(unix), ignore = "SIGTERM is a Unix signal")]
fn sigterm_mid_stream_delivers_everything_accepted_and_counts_it_right() {
    let broker = broker();
    let topic = fresh_topic(&broker, "service-sigterm");
    let mut child = start_service(&broker, &topic);
    let (feeder, written) = feed(&mut child);
    wait_for_messages(&broker, &topic, 5_000);
    signal(&child, "-TERM");
    let run = wait_within(child, "write_service", Duration::from_secs(60));
    feeder.join().unwrap();
    println!("{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("SIGTERM: taking no more input"));
    assert_success(&run, "write_service after SIGTERM");
    let summary = run.stdout.trim();
    let number = |after: &str| -> usize {
        let start = summary.find(after).unwrap() + after.len();
        summary[start..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (accepted, delivered) = (number("accepted "), number("delivered "));
    assert_eq!(accepted, delivered, "{summary}");
    for zero in [
        "failed ",
        "never sent ",
        "outcome unknown ",
        "malformed lines skipped ",
    ] {
        assert_eq!(number(zero), 0, "{summary}");
    }
    let numbers = read_numbers(&broker, &topic);
    // What it says it delivered is what a consumer reads, once each: the
    // first `accepted` lines, since it takes them in order.
    assert_eq!(numbers.len(), delivered);
    let read: BTreeSet<u64> = numbers.into_iter().collect();
    assert_eq!(read, (0..delivered as u64).collect());
    println!(
        "lines written {}, accepted and delivered {delivered}",
        written.load(Ordering::SeqCst)
    );
    assert!(
        delivered < written.load(Ordering::SeqCst),
        "it stopped mid-stream"
    );
}

#[test]
#[cfg_attr(not(unix), ignore = "SIGKILL is a Unix signal")]
fn sigkill_mid_stream_loses_what_was_in_flight() {
    let broker = broker();
    let topic = fresh_topic(&broker, "service-sigkill");
    let mut child = start_service(&broker, &topic);
    let (feeder, written) = feed(&mut child);
    wait_for_messages(&broker, &topic, 5_000);
    signal(&child, "-KILL");
    let run = wait_within(child, "write_service", Duration::from_secs(60));
    feeder.join().unwrap();
    assert!(!run.success);
    assert_eq!(run.stdout, "", "killed: no summary");
    let numbers = read_numbers(&broker, &topic);
    let written = written.load(Ordering::SeqCst);
    // Nothing the feeder did not write, and nothing twice (read_numbers).
    let read: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(read.len(), numbers.len());
    assert!(read.iter().all(|&n| n < written as u64));
    // Partitions are written independently, so a killed write can leave gaps.
    let highest = read.last().copied().unwrap_or(0);
    let gaps = highest as usize + 1 - read.len();
    assert!(numbers.len() <= written);
    println!(
        "SIGKILL: lines written {written}, on the topic {}, missing below the highest {gaps}, \
         never known {}",
        numbers.len(),
        written - numbers.len()
    );
}

#[test]
fn permits_given_back_by_reports_keep_order_and_every_message() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_report_permits"), "permits");
    assert_eq!(
        run.lines_starting("10000 delivered"),
        ["10000 delivered, 0 failed"]
    );
    assert_eq!(run.lines_starting("time: ").len(), 1);
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 10_000);
    let mut by_key = BTreeMap::<String, Vec<u64>>::new();
    for record in &records {
        let value: serde_json::Value = serde_json::from_str(&record.value).unwrap();
        let seq = value["seq"].as_u64().unwrap();
        let key = record.key.clone().unwrap();
        assert_eq!(key, format!("key-{}", seq % 10));
        by_key.entry(key).or_default().push(seq);
    }
    // Read in offset order: each key's messages in the order they were sent.
    for (key, seqs) in by_key {
        let expected: Vec<u64> = (0..10_000)
            .filter(|s| format!("key-{}", s % 10) == key)
            .collect();
        assert_eq!(seqs, expected, "{key}");
    }
}
