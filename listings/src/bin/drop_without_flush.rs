// Good practice: flush before the producer goes away. Here is what
// happens to queued messages when it does not.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Counts delivered and failed messages, and prints each failure.
#[derive(Clone, Default)]
struct Tally {
    delivered: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl ClientContext for Tally {}

impl ProducerContext for Tally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => self.delivered.fetch_add(1, Ordering::SeqCst),
            Err((err, _msg)) => {
                println!("Failed to deliver message: {err}");
                self.failed.fetch_add(1, Ordering::SeqCst)
            }
        };
    }
}

// ANCHOR: write
/// Sends 15 messages; flushes first if `flush` is set; then drops the producer.
fn write_15(broker: &listings::Broker, topic: &str, flush: bool) -> anyhow::Result<Tally> {
    let tally = Tally::default();
    let producer: BaseProducer<Tally> = broker.config().create_with_context(tally.clone())?;
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    if flush {
        producer.flush(Duration::from_secs(10))?;
    }
    Ok(tally)
    // `producer` is dropped here. rdkafka 0.39 purges every message still
    // queued or in flight, and reports each one as failed.
}
// ANCHOR_END: write

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: compare
    for flush in [false, true] {
        let tally = write_15(&broker, &topic, flush)?;
        println!(
            "flush before drop: {flush}: {} delivered, {} failed",
            tally.delivered.load(Ordering::SeqCst),
            tally.failed.load(Ordering::SeqCst)
        );
    }
    // ANCHOR_END: compare
    Ok(())
}
