// The benchmark of "Measure it yourself", run quickly: every strategy at
// 15 and 1,000 messages, each run checked by the benchmark itself. Times
// are not asserted; that every message arrived is.
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use bench::measure::plan;
use bench::strategies::{self, by_name};
use serde_json::Value;

/// What `bench --quick` runs.
const QUICK_MESSAGES: [u64; 2] = [15, 1_000];
const QUICK_RUNS: usize = 2;

fn run(args: &[&str], topic: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .env("KAFKA_TOPIC", topic)
        .output()
        .expect("bench started")
}

#[test]
fn quick_bench_delivers_every_message() {
    // With KAFKA_BOOTSTRAP_SERVERS set the bench writes there; without it,
    // it starts its own embedded broker.
    let output = run(&["--quick", "--json"], &listings::unique_name("test-bench"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed:\n{stdout}\n{stderr}");
    let broker = if std::env::var("KAFKA_BOOTSTRAP_SERVERS").is_ok_and(|s| !s.trim().is_empty()) {
        "kafka"
    } else {
        "embedded"
    };

    let mut seen = BTreeSet::new();
    for line in stdout.lines() {
        let line: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let name = line["strategy"].as_str().expect("strategy");
        let messages = line["messages"].as_u64().expect("messages");
        assert!(seen.insert((name.to_string(), messages)), "twice: {line}");
        assert_eq!(line["client"], "rust", "{line}");
        assert_eq!(line["broker"], broker, "{line}");
        let strategy = by_name(name).unwrap_or_else(|| panic!("unknown strategy: {line}"));
        match plan(strategy, messages as usize, QUICK_RUNS, true) {
            Err(reason) => {
                // --quick leaves out what pays 100 ms a message, and says so.
                assert_eq!(line["skipped"], reason.as_str(), "{line}");
                continue;
            }
            Ok(runs) => assert_eq!(line["runs"].as_u64(), Some(runs as u64), "{line}"),
        }
        assert!(line.get("skipped").is_none(), "{line}");
        assert_eq!(line["verified"], true, "{line}");
        assert_eq!(line["delivered"].as_u64(), Some(messages), "{line}");
        let seconds = line["seconds"].as_f64().unwrap();
        assert!(seconds > 0.0, "{line}");
        assert!(line["seconds_min"].as_f64().unwrap() <= seconds, "{line}");
        assert!(line["seconds_max"].as_f64().unwrap() >= seconds, "{line}");
        // The round trip, timed by the benchmark and by librdkafka.
        assert!(line["round_trip_us"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["librdkafka_rtt_p50_us"].as_f64().is_some(), "{line}");
        // CPU time beside every wall time: librdkafka's threads work in
        // every run, so it is never zero.
        assert!(line["cpu_seconds"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["msgs_per_sec"].as_f64().unwrap() > 0.0, "{line}");
        // Per-message latencies only where the strategy waits for each message.
        assert_eq!(line.get("p50_us").is_some(), strategy.synchronous, "{line}");
        assert_eq!(line.get("p99_us").is_some(), strategy.synchronous, "{line}");
    }
    let expected: BTreeSet<(String, u64)> = strategies::ALL
        .iter()
        .flat_map(|s| QUICK_MESSAGES.map(|n| (s.name.to_string(), n)))
        .collect();
    assert_eq!(seen, expected);
    // flush_each at 1,000 is the one row --quick skips.
    assert!(plan(by_name("flush_each").unwrap(), 1_000, QUICK_RUNS, true).is_err());
}

#[test]
fn bench_refuses_unknown_arguments() {
    let output = run(&["--fastest-please"], "unused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("unexpected argument '--fastest-please'"),
        "{stderr}"
    );
}

#[test]
fn bench_help_lists_every_strategy() {
    let output = run(&["--help"], "unused");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for strategy in strategies::ALL {
        let row = format!("{:<24}{}", strategy.name, strategy.summary);
        assert!(stdout.contains(&row), "--help lacks {row:?}:\n{stdout}");
    }
    assert!(stdout.contains("--keep-topics"), "{stdout}");
}

#[test]
#[cfg_attr(
    not(real_kafka),
    ignore = "needs a real Kafka: the embedded broker the benchmark starts is gone when it exits"
)]
fn quick_bench_topics_hold_what_it_wrote() {
    let output = run(
        &["--quick", "--json", "--keep-topics"],
        &listings::unique_name("test-bench-kept"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "bench failed:\n{stdout}");
    // Per topic, what the benchmark says it wrote: each measured run, its
    // messages and one warm-up message per partition.
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for line in stdout.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let (Some(runs), Some(topic)) = (line["runs"].as_i64(), line["topic"].as_str()) else {
            continue;
        };
        let messages = line["messages"].as_i64().unwrap();
        *expected.entry(topic.to_string()).or_default() +=
            runs * (messages + i64::from(listings::PARTITIONS));
    }
    assert_eq!(expected.len(), strategies::ALL.len(), "{stdout}");
    // What the topics hold, counted here.
    let broker = listings::Broker::from_env().unwrap();
    for (topic, written) in &expected {
        assert_eq!(broker.messages_written(topic).unwrap(), *written, "{topic}");
    }
}
