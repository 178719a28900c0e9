// Synchronous writes, cheaper: queue every message, then flush once.
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer = broker.config().create()?;

    // ANCHOR: loop
    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        let key = "qc-key";
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {key}\t{value}");
        producer
            .send(BaseRecord::to(&topic).key(key).payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    // One wait for all fifteen.
    producer.flush(Duration::from_secs(10))?;
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop
    Ok(())
}
