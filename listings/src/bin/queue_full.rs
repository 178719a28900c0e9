// Backpressure: a producer queue with room for ten messages. send refuses
// the eleventh with QueueFull and hands the record back; the loop polls,
// so that delivered messages free their room, and sends it again.
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer
    let producer: BaseProducer = broker
        .config()
        // Room for ten messages, instead of the default 100,000.
        .set("queue.buffering.max.messages", "10")
        .create()?;
    // ANCHOR_END: producer

    // ANCHOR: loop
    let mut refused = 0;
    for n in 0..1000 {
        let value = json!({ "count": n }).to_string();
        let mut record = BaseRecord::to(&topic).key("qc-key").payload(&value);
        // Until the queue takes it: a refused record comes back, unchanged.
        while let Err((err, returned)) = producer.send(record) {
            match err {
                KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) => {
                    refused += 1;
                    record = returned;
                    // Serve delivery reports: a message leaves the queue only
                    // once its report has been served.
                    producer.poll(Duration::from_millis(10));
                }
                other => return Err(other.into()),
            }
        }
    }
    producer.flush(Duration::from_secs(10))?;
    println!("1000 messages sent to topic {topic}; send refused {refused} times with QueueFull");
    // ANCHOR_END: loop
    Ok(())
}
