// The benchmark of "Measure it yourself", run quickly: every strategy at
// 15 and 1,000 messages, each run checked by the benchmark itself. Times
// are not asserted; that every message arrived is.
mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;

/// Every strategy the benchmark measures.
const STRATEGIES: &[&str] = &[
    "flush_each",
    "flush_once",
    "poll_then_flush",
    "delivery_callback",
    "send_and_wait",
    "threaded_channel",
    "native_flush_each",
    "poll_then_drain",
    "threaded_all_in_flight",
    "native_flush",
    "future_all_in_flight",
];

#[test]
fn quick_bench_delivers_every_message() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bench"));
    command.args(["--quick", "--json"]);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let topic = format!("test-bench-{}-{nanos}", std::process::id());
    // With KAFKA_BOOTSTRAP_SERVERS set the bench writes there; without it,
    // it starts its own embedded broker.
    let run = run_command(command, &[("KAFKA_TOPIC", topic.as_str())]);
    assert!(run.success, "bench failed:\n{}\n{}", run.stdout, run.stderr);
    let broker = if std::env::var("KAFKA_BOOTSTRAP_SERVERS").is_ok_and(|s| !s.trim().is_empty()) {
        "kafka"
    } else {
        "embedded"
    };

    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    let mut seen = BTreeSet::new();
    for line in &lines {
        let strategy = line["strategy"].as_str().expect("strategy");
        let messages = line["messages"].as_u64().expect("messages");
        assert!(
            seen.insert((strategy.to_string(), messages)),
            "twice: {line}"
        );
        assert_eq!(line["client"], "rust", "{line}");
        assert_eq!(line["broker"], broker, "{line}");
        if strategy == "flush_each" && messages > 15 {
            // 100 ms a message: --quick leaves it out, and says so.
            assert_eq!(line["skipped"], "skipped: 100 ms × n", "{line}");
            continue;
        }
        assert!(line.get("skipped").is_none(), "{line}");
        assert_eq!(line["verified"], true, "{line}");
        assert_eq!(line["delivered"].as_u64(), Some(messages), "{line}");
        assert_eq!(line["runs"].as_u64(), Some(2), "{line}");
        assert!(line["seconds"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["msgs_per_sec"].as_f64().unwrap() > 0.0, "{line}");
        let synchronous = [
            "flush_each",
            "send_and_wait",
            "threaded_channel",
            "native_flush_each",
        ]
        .contains(&strategy);
        assert_eq!(line.get("p50_us").is_some(), synchronous, "{line}");
        assert_eq!(line.get("p99_us").is_some(), synchronous, "{line}");
    }
    let expected: BTreeSet<(String, u64)> = STRATEGIES
        .iter()
        .flat_map(|s| [15, 1_000].map(|n| (s.to_string(), n)))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn bench_refuses_unknown_arguments() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bench"));
    command.arg("--fastest-please");
    let run = run_command(command, &[]);
    assert!(!run.success);
    assert!(run.stderr.contains("unknown argument"), "{}", run.stderr);
}
