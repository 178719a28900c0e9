// The chapter "Seeing inside the producer": what librdkafka's statistics,
// debug log and configuration show, each held by what the listing prints
// and what reached the topic.
mod common;

use std::collections::BTreeMap;

use common::*;

/// The number after `label ` in a line of `key value, key value` pairs.
fn field(line: &str, label: &str) -> i64 {
    let rest = line
        .split_once(&format!("{label} "))
        .unwrap_or_else(|| panic!("no {label:?} in {line}"))
        .1;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[test]
fn statistics_show_the_queue_fill_and_empty_and_requests_grow() {
    let (broker, topic, run) =
        run_fresh_ok(env!("CARGO_BIN_EXE_producer_statistics"), "statistics");
    let reports: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with('[')).collect();
    let flushed = run
        .stdout
        .lines()
        .position(|l| l == "flushed; the next report:")
        .expect("the flush line");
    assert!(reports.len() >= 2, "{}", run.stdout);
    let requests: Vec<i64> = reports
        .iter()
        .map(|l| field(l, "produce requests"))
        .collect();
    assert!(requests.windows(2).all(|w| w[0] <= w[1]), "{requests:?}");
    assert!(*requests.last().unwrap() > 0);
    // While writing, the producer held messages; after the flush, none.
    let during: Vec<&str> = run
        .stdout
        .lines()
        .take(flushed)
        .filter(|l| l.starts_with('['))
        .collect();
    assert!(
        during.iter().any(|l| field(l, "not yet answered for") > 0),
        "{}",
        run.stdout
    );
    let last = reports.last().unwrap();
    assert_eq!(field(last, "not yet answered for"), 0, "{last}");
    assert_eq!(field(last, "in flight"), 0, "{last}");
    assert!(
        reports.iter().all(|l| field(l, "request errors") == 0),
        "{}",
        run.stdout
    );
    assert_eq!(read_back(&broker, &topic).len(), 50_000);
}

#[test]
fn flush_each_sends_fifteen_requests_and_flush_once_one() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_produce_requests"), "requests");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "flush after each message: 15 messages in 15 produce requests",
            "flush once: 15 messages in 1 produce requests",
        ]
    );
    assert_eq!(read_back(&broker, &topic).len(), 30);
}

#[test]
fn more_linger_fewer_and_larger_batches() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_linger_batches"), "linger");
    let requests: BTreeMap<i64, i64> = run
        .stdout
        .lines()
        .map(|l| {
            let (linger, rest) = l["linger.ms=".len()..].split_once(':').unwrap();
            (linger.parse().unwrap(), field(rest, "messages in"))
        })
        .collect();
    assert_eq!(requests.keys().collect::<Vec<_>>(), [&0, &5, &50]);
    // The direction, not the counts: those depend on the machine.
    assert!(requests[&0] >= requests[&5], "{requests:?}");
    assert!(requests[&5] >= requests[&50], "{requests:?}");
    // And a wide margin, which noise cannot give: the 200 messages come
    // within about 40 ms, so a 50 ms linger gathers them into a few
    // requests, where no linger sends most of them alone (198 against 2
    // here).
    assert!(requests[&0] >= 5 * requests[&50], "{requests:?}");
    // 200 a run, and each run's warm-up message.
    assert_eq!(read_back(&broker, &topic).len(), 603);
}

#[test]
fn the_debug_log_shows_produce_requests_and_responses() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_debug_log"), "debug");
    assert!(
        run.stdout.contains("SEND: ") && run.stdout.contains("Sent ProduceRequest"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("RECV: ") && run.stdout.contains("Received ProduceResponse"),
        "{}",
        run.stdout
    );
    assert_keyed_in_order(&read_back(&broker, &topic), 3);
}

/// The defaults as librdkafka reports them: setting → value.
fn defaults() -> BTreeMap<String, String> {
    let run = run_with_env(env!("CARGO_BIN_EXE_producer_defaults"), &[]);
    assert_success(&run, "producer_defaults");
    run.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| {
            let (setting, rest) = l.split_once("` | ").unwrap();
            (setting.to_string(), rest.trim_end_matches(" |").to_string())
        })
        .collect()
}

#[test]
fn every_default_the_book_quotes_is_librdkafkas() {
    let defaults = defaults();
    // (page, what it says, the setting, the value it implies)
    let quoted = [
        (
            "src/failures/guarantees.md",
            "| `acks` | `all` (`-1`) |",
            "acks",
            "-1",
        ),
        (
            "src/failures/guarantees.md",
            "| `retries` | 2147483647 |",
            "retries",
            "2147483647",
        ),
        (
            "src/failures/guarantees.md",
            "| `enable.idempotence` | `false` |",
            "enable.idempotence",
            "false",
        ),
        (
            "src/failures/guarantees.md",
            "`max.in.flight.requests.per.connection`,\n1,000,000",
            "max.in.flight.requests.per.connection",
            "1000000",
        ),
        (
            "src/sync-writes.md",
            "`linger.ms` (5 ms by default)",
            "linger.ms",
            "5",
        ),
        (
            "src/sync-writes.md",
            "`message.timeout.ms` (five minutes by default)",
            "message.timeout.ms",
            "300000",
        ),
        (
            "src/failures/backpressure.md",
            "`queue.buffering.max.messages`\n(100,000 messages by default)",
            "queue.buffering.max.messages",
            "100000",
        ),
        (
            "src/failures/backpressure.md",
            "`queue.buffering.max.kbytes`\n(1,048,576 KiB",
            "queue.buffering.max.kbytes",
            "1048576",
        ),
        (
            "src/failures/partitions.md",
            "`sticky.partitioning.linger.ms` (twice\n`linger.ms`, so\n10 ms)",
            "sticky.partitioning.linger.ms",
            "10",
        ),
        (
            "src/measure.md",
            "up to 10,000 messages\nor 1 MB (`batch.num.messages`, `batch.size`)",
            "batch.num.messages",
            "10000",
        ),
        (
            "src/measure.md",
            "up to 10,000 messages\nor 1 MB (`batch.num.messages`, `batch.size`)",
            "batch.size",
            "1000000",
        ),
    ];
    // Compared with line breaks and runs of spaces folded to one space.
    let folded = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (page, says, setting, value) in quoted {
        let text = std::fs::read_to_string(format!("{ROOT}/{page}")).unwrap();
        assert!(
            folded(&text).contains(&folded(says)),
            "{page} no longer says {says:?}"
        );
        assert_eq!(defaults[setting], value, "{page}: {says}");
    }
    // The chapter's own table is the listing's output.
    let output =
        std::fs::read_to_string(format!("{ROOT}/listings/output/producer_defaults.txt")).unwrap();
    for (setting, value) in &defaults {
        assert!(
            output.contains(&format!("| `{setting}` | {value} |")),
            "{setting}"
        );
    }
}

#[test]
fn the_exercise_sees_the_queue_fill() {
    let (broker, topic, run) = run_fresh_ok(
        env!("CARGO_BIN_EXE_solution_largest_queue"),
        "largest-queue",
    );
    let largest = field(&run.stdout, "most messages not yet answered for at once:");
    let requests = field(&run.stdout, "produce requests for 20000 messages:");
    assert!(largest > 0, "{}", run.stdout);
    assert!(requests > 0, "{}", run.stdout);
    assert_eq!(read_back(&broker, &topic).len(), 20_000);
}
