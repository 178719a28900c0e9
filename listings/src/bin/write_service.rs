// A service that writes what it is given: one JSON value per line on
// standard input, many in flight at once through one producer, in order.
// On Ctrl-C or SIGTERM it stops taking input, waits a bounded time for what
// is in flight, says what became of every message it accepted, and exits 0
// only if every one of them was delivered.
//
//   printf '{"key":"a","n":1}\n{"key":"b","n":2}\n' | cargo run -p listings --bin write_service
use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer, PurgeConfig};
use tokio::sync::mpsc;

/// At most this many messages await their report at once.
const IN_FLIGHT: usize = 10_000;
/// How long the service waits for reports once it has stopped taking input.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

// ANCHOR: tally
/// What became of the input.
#[derive(Default)]
struct Tally {
    /// Lines that were JSON, handed to the producer.
    accepted: usize,
    delivered: usize,
    /// Reported failed by the producer.
    failed: usize,
    /// Still in the producer's queue when the deadline passed: never sent.
    never_sent: usize,
    /// Sent, but the deadline passed before the broker answered: they may
    /// or may not be on the topic.
    unknown: usize,
    /// Lines that were not JSON, skipped.
    malformed: usize,
}

type Report = Result<
    rdkafka::producer::future_producer::OwnedDeliveryResult,
    futures::channel::oneshot::Canceled,
>;

impl Tally {
    fn count(&mut self, report: Report) {
        use RDKafkaErrorCode::{PurgeInflight, PurgeQueue};
        match report {
            Ok(Ok(_delivery)) => self.delivered += 1,
            Ok(Err((KafkaError::MessageProduction(PurgeQueue), _msg))) => self.never_sent += 1,
            Ok(Err((KafkaError::MessageProduction(PurgeInflight), _msg))) => self.unknown += 1,
            Ok(Err((err, _msg))) => {
                eprintln!("not delivered: {err}");
                self.failed += 1;
            }
            // The producer went away before it reported.
            Err(_canceled) => self.unknown += 1,
        }
    }
}
// ANCHOR_END: tally

// ANCHOR: stop_signal
/// Resolves when the service is asked to stop; says by what.
async fn stop_signal() -> anyhow::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = terminate.recv() => Ok("SIGTERM"),
            result = tokio::signal::ctrl_c() => result.map(|()| "Ctrl-C").map_err(Into::into),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("Ctrl-C")
    }
}
// ANCHOR_END: stop_signal

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let (broker, topic) = listings::setup()?;
    let producer: FutureProducer = broker
        .config()
        // Retries keep each key's order and write nothing twice.
        .set("enable.idempotence", "true")
        .create()?;

    // ANCHOR: input
    // Standard input is read on a thread of its own: a read that blocks
    // there cannot keep the service from stopping.
    let (line_sender, mut lines) = mpsc::channel::<std::io::Result<String>>(1_000);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line_sender.blocking_send(line).is_err() {
                break; // the service has stopped taking input
            }
        }
    });
    // ANCHOR_END: input

    // ANCHOR: serve
    let stop = stop_signal();
    tokio::pin!(stop);
    let mut in_flight = FuturesUnordered::new();
    let mut tally = Tally::default();
    let mut line_number = 0;
    loop {
        tokio::select! {
            signal = &mut stop => {
                eprintln!("{}: taking no more input", signal?);
                break;
            }
            Some(report) = in_flight.next() => tally.count(report),
            // Read the next line only while there is room in flight.
            line = lines.recv(), if in_flight.len() < IN_FLIGHT => {
                let Some(line) = line else { break }; // end of input
                line_number += 1;
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value = match serde_json::from_str(&line) {
                    Ok(value) => value,
                    Err(err) => {
                        eprintln!("line {line_number}: not JSON ({err}); skipped");
                        tally.malformed += 1;
                        continue;
                    }
                };
                tally.accepted += 1;
                // A "key" field, if there is one, is the message's key.
                let key = value.get("key").and_then(|key| key.as_str());
                let payload = value.to_string();
                let mut record = FutureRecord::to(&topic).payload(&payload);
                if let Some(key) = key {
                    record = record.key(key);
                }
                // `send_result` queues now, in input order. When the queue is
                // full, one report (which frees room) comes before a retry.
                loop {
                    match producer.send_result(record) {
                        Ok(report) => break in_flight.push(report),
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                            record = back;
                            match in_flight.next().await {
                                Some(report) => tally.count(report),
                                None => tokio::time::sleep(Duration::from_millis(1)).await,
                            }
                        }
                        Err((err, _record)) => {
                            eprintln!("line {line_number}: not sent: {err}");
                            tally.failed += 1;
                            break;
                        }
                    }
                }
            }
        }
    }
    // ANCHOR_END: serve

    // ANCHOR: drain
    // No more input: wait for the reports of what is in flight, but not forever.
    let waited = tokio::time::timeout(DRAIN_DEADLINE, async {
        while let Some(report) = in_flight.next().await {
            tally.count(report);
        }
    })
    .await;
    if waited.is_err() {
        // Take back what was never sent, stop waiting for what was, and
        // collect the report librdkafka gives each of them.
        producer.purge(PurgeConfig::default().queue().inflight());
        while let Some(report) = in_flight.next().await {
            tally.count(report);
        }
    }
    let Tally {
        accepted,
        delivered,
        failed,
        never_sent,
        unknown,
        malformed,
    } = tally;
    println!(
        "accepted {accepted}: delivered {delivered}, failed {failed}, never sent {never_sent}, \
         outcome unknown {unknown}; malformed lines skipped {malformed}"
    );
    if delivered == accepted {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} accepted messages were not delivered",
            accepted - delivered
        );
        Ok(ExitCode::FAILURE)
    }
    // ANCHOR_END: drain
}
