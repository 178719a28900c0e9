// The broker-restart fault test: while idempotent_writes produces 10,000
// keyed messages, the real broker is killed (kill -9) and started again on
// the same storage. With enable.idempotence=true every message must end up
// in the topic exactly once, in order per key. Runs only against a real
// Kafka started by scripts/kafka, with KAFKA_FAULT_TESTS=1: it takes the
// broker away from everything else for about half a minute, twice.
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// The Kafka launcher, which started the broker under test.
const KAFKA_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/kafka");

/// Runs `scripts/kafka <subcommand>`; whether it succeeded.
fn launcher(subcommand: &str) -> bool {
    let started = Instant::now();
    let status = Command::new(KAFKA_SCRIPT)
        .arg(subcommand)
        .stdout(Stdio::null())
        .status()
        .expect("scripts/kafka started");
    eprintln!(
        "scripts/kafka {subcommand}: {status} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    status.success()
}

/// Starts the broker again when dropped, if it is not serving: a failed
/// assertion between kill and restart must not leave CI without a broker.
struct BrokerBack;

impl Drop for BrokerBack {
    fn drop(&mut self) {
        if !launcher("status") {
            launcher("restart-after-kill");
        }
    }
}

#[test]
#[cfg_attr(
    not(all(real_kafka, fault_tests)),
    ignore = "kills the broker: needs KAFKA_BOOTSTRAP_SERVERS of a broker the launcher started, and KAFKA_FAULT_TESTS=1"
)]
fn idempotent_writes_survive_a_broker_killed_and_restarted() {
    let broker = broker();
    let topic = fresh_topic(&broker, "fault-restart");
    for label in ["off", "on"] {
        broker
            .create_topic(&format!("{topic}-idempotence-{label}"))
            .unwrap();
    }
    let _back = BrokerBack;

    let mut child = Command::new(env!("CARGO_BIN_EXE_idempotent_writes"))
        .env("KAFKA_TOPIC", &topic)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("listing started");
    // Lines as they come, so that the broker is killed mid-run.
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.expect("a line")).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut output = Vec::new();
    let mut kills_and_restarts = 0;
    loop {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let line = match received.recv_timeout(timeout) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                child.kill().ok();
                panic!("idempotent_writes still running after 240 s: {output:#?}");
            }
        };
        eprintln!("listing: {line}");
        // A fifth of the way through each run: kill, and start again.
        if line.ends_with(": 2000 of 10000 sent") {
            assert!(launcher("kill"), "could not kill the broker");
            assert!(
                !launcher("status"),
                "the broker still answers after kill -9"
            );
            assert!(
                launcher("restart-after-kill"),
                "could not restart the broker"
            );
            kills_and_restarts += 1;
        }
        output.push(line);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "idempotent_writes failed: {output:#?}");
    // One kill and one restart in each of the two runs, idempotence off and on.
    assert_eq!(kills_and_restarts, 2, "{output:#?}");

    let summary = |label: &str| -> Vec<&String> {
        let prefix = format!("idempotence {label}: ");
        output
            .iter()
            .filter(|l| l.starts_with(&prefix) && !l.ends_with(" sent"))
            .collect()
    };
    // Idempotence on: every message once, in order, after the restart.
    assert_eq!(
        summary("on"),
        [
            "idempotence on: producer id from the broker: true",
            "idempotence on: 10000 delivered, 0 failed",
            "idempotence on: the topic holds 10000 messages: 10000 distinct, \
             0 duplicates, 0 missing, 0 out of order",
        ]
    );
    let records = read_back(&broker, &format!("{topic}-idempotence-on"));
    assert_eq!(records.len(), 10_000);
    let mut seen = vec![false; 10_000];
    let mut last: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for record in &records {
        let value: serde_json::Value = serde_json::from_str(&record.value).unwrap();
        let count = value["count"].as_i64().unwrap();
        assert!(
            !std::mem::replace(&mut seen[count as usize], true),
            "{count} twice"
        );
        if let Some(before) = last.insert(record.key.clone(), count) {
            assert!(before < count, "{:?}: {before} then {count}", record.key);
        }
    }
    // Idempotence off: nothing lost either (retries outlast the restart),
    // but what was in flight at the kill may be stored twice, out of order.
    let off = summary("off");
    assert_eq!(
        off[0],
        "idempotence off: producer id from the broker: false"
    );
    assert_eq!(off[1], "idempotence off: 10000 delivered, 0 failed");
    assert!(off[2].contains(" 0 missing"), "{}", off[2]);
    eprintln!("{}\n{}", off[2], summary("on")[2]);
}
