// Exercise solution: write 1,000 messages through a stream of `send`
// futures with at most 64 at a time, and count the most that were waiting
// for their report at once.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: FutureProducer = broker.config().create()?;

    // ANCHOR: solution
    let waiting = AtomicUsize::new(0);
    let most_waiting = AtomicUsize::new(0);
    let reports: Vec<_> = stream::iter(0..1_000)
        .map(|n| {
            let (producer, topic) = (&producer, &topic);
            let (waiting, most_waiting) = (&waiting, &most_waiting);
            async move {
                let value = json!({ "count": n }).to_string();
                let record = FutureRecord::to(topic).key("qc-key").payload(&value);
                // Counted from the moment `send` first runs to its report.
                let now = waiting.fetch_add(1, Ordering::SeqCst) + 1;
                most_waiting.fetch_max(now, Ordering::SeqCst);
                let report = producer.send(record, Duration::from_secs(10)).await;
                waiting.fetch_sub(1, Ordering::SeqCst);
                report.map_err(|(err, _msg)| err)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let delivered = reports.iter().filter(|r| r.is_ok()).count();
    println!(
        "{delivered} delivered, {} failed",
        reports.len() - delivered
    );
    println!(
        "most sends waiting at once: {}",
        most_waiting.load(Ordering::SeqCst)
    );
    // ANCHOR_END: solution
    Ok(())
}
