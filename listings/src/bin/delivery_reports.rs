// Delivery reports: a callback tells, for every message, where it landed
// or why it failed.
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: context
/// Prints one line per message once the broker has answered for it.
struct DeliveryReport;

impl ClientContext for DeliveryReport {}

impl ProducerContext for DeliveryReport {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(msg) => println!(
                "Produced record to topic {} partition [{}] @ offset {}",
                msg.topic(),
                msg.partition(),
                msg.offset()
            ),
            Err((err, _msg)) => println!("Failed to deliver message: {err}"),
        }
    }
}
// ANCHOR_END: context

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer
    let producer: BaseProducer<DeliveryReport> =
        broker.config().create_with_context(DeliveryReport)?;
    // ANCHOR_END: producer

    // ANCHOR: loop
    for n in 0..15 {
        let key = "qc-key";
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {key}\t{value}");
        producer
            .send(BaseRecord::to(&topic).key(key).payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    // The reports are printed from inside flush: it polls the producer.
    producer.flush(Duration::from_secs(10))?;
    println!("15 messages were produced to topic {topic}!");
    // ANCHOR_END: loop
    Ok(())
}
