// Bad input: a message larger than the producer, or the broker, accepts.
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Prints the outcome of each message.
struct Reports;

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => println!("delivery report: delivered"),
            Err((err, _msg)) => println!("delivery report: {err}"),
        }
    }
}

/// `{"count": n, "padding": "xxx…"}`, `padding` bytes of padding.
fn value(n: usize, padding: usize) -> String {
    json!({ "count": n, "padding": "x".repeat(padding) }).to_string()
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer_limit
    let producer: BaseProducer<Reports> = broker.config().create_with_context(Reports)?;
    // More than message.max.bytes, 1,000,000 bytes by default.
    let too_large = value(0, 1_000_000);
    let record = BaseRecord::to(&topic).key("qc-key").payload(&too_large);
    if let Err((err, record)) = producer.send(record) {
        // The record comes back with the error: nothing was queued.
        let bytes = record.payload.map_or(0, |p| p.len());
        println!("send refused a value of {bytes} bytes: {err}");
    }
    // ANCHOR_END: producer_limit

    // ANCHOR: broker_limit
    // Raise the producer's limit: now the broker's own limit decides.
    let producer: BaseProducer<Reports> = broker
        .config()
        .set("message.max.bytes", "2000000")
        .create_with_context(Reports)?;
    let large = value(1, 1_500_000);
    producer
        .send(BaseRecord::to(&topic).key("qc-key").payload(&large))
        .map_err(|(err, _record)| err)?;
    println!("send queued a value of {} bytes", large.len());
    producer.flush(Duration::from_secs(10))?;
    // ANCHOR_END: broker_limit
    Ok(())
}
