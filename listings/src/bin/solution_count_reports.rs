// Exercise solution (Delivery reports): count the reports instead of
// printing them, and print the totals once flush has served them all.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: solution
/// The callback takes `&self`, so the counters are atomics.
#[derive(Default)]
struct Counter {
    delivered: AtomicUsize,
    failed: AtomicUsize,
}

impl ClientContext for Counter {}

impl ProducerContext for Counter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        let counter = match result {
            Ok(_) => &self.delivered,
            Err(_) => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer<Counter> = broker.config().create_with_context(Counter::default())?;
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    producer.flush(Duration::from_secs(10))?;
    let counter = producer.context();
    println!(
        "{} delivered, {} failed",
        counter.delivered.load(Ordering::Relaxed),
        counter.failed.load(Ordering::Relaxed)
    );
    Ok(())
}
// ANCHOR_END: solution
