// Synchronous writes, the fast way: wait for each message's own report,
// which comes back after one round trip to the broker.
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer
    let producer: FutureProducer = broker
        .config()
        // Send at once: nothing else is coming until this message is acknowledged.
        .set("linger.ms", "0")
        .create()?;
    // ANCHOR_END: producer

    // ANCHOR: loop
    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        let key = "qc-key";
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {key}\t{value}");
        let record = FutureRecord::to(&topic).key(key).payload(&value);
        // Wait up to 10 s for room in the queue, then for the broker's answer.
        let delivery = producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(err, _msg)| err)?;
        println!(
            "Produced record to topic {topic} partition [{}] @ offset {}",
            delivery.partition, delivery.offset
        );
    }
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop
    Ok(())
}
