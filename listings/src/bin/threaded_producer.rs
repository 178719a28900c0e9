// Asynchronous writes without calling poll: ThreadedProducer runs a thread
// that serves delivery reports the moment they arrive.
use std::thread;
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde_json::json;

struct DeliveryReport;

impl ClientContext for DeliveryReport {}

impl ProducerContext for DeliveryReport {
    type DeliveryOpaque = ();

    // Called on the producer's polling thread, not on the main thread.
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
    // ANCHOR: producer
    let producer: ThreadedProducer<DeliveryReport> =
        broker.config().create_with_context(DeliveryReport)?;
    // ANCHOR_END: producer

    // ANCHOR: loop
    for n in 0..15 {
        // Messages that come one at a time, as from a sensor every 20 ms.
        if n > 0 {
            thread::sleep(Duration::from_millis(20));
        }
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {value}");
        producer
            .send(BaseRecord::<(), _>::to(&topic).payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    // Still needed: the last messages may be in flight.
    producer.flush(Duration::from_secs(10))?;
    println!("15 messages were produced to topic {topic}!");
    // ANCHOR_END: loop
    Ok(())
}
