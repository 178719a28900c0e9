// Asynchronous writes: poll(0) after each send serves whatever reports
// are ready, without waiting for the rest.
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

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

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer<DeliveryReport> =
        broker.config().create_with_context(DeliveryReport)?;

    // ANCHOR: loop
    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        // No key this time: Kafka stores a null key.
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {value}");
        producer
            .send(BaseRecord::<(), _>::to(&topic).payload(&value))
            .map_err(|(err, _record)| err)?;
        // Serve the reports that are ready; do not wait for the others.
        producer.poll(Duration::ZERO);
    }
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop

    // ANCHOR: flush
    // Before the producer goes away, wait for what is still in flight.
    producer.flush(Duration::from_secs(10))?;
    // ANCHOR_END: flush
    Ok(())
}
