// When a message frees its room in the producer's queue: not when the
// broker answers, but when its delivery report is served. And what
// FutureProducer::send does when the queue is full: it waits and retries.
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, FutureProducer, FutureRecord, Producer};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: base
    let producer: BaseProducer = broker
        .config()
        .set("queue.buffering.max.messages", "10")
        .create()?;
    for n in 0..10 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    // Time for the broker to store and answer all ten; nobody polls.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "half a second later, in_flight_count: {}",
        producer.in_flight_count()
    );
    let value = json!({ "count": 10 }).to_string();
    let eleventh = producer.send(BaseRecord::to(&topic).key("qc-key").payload(&value));
    let refusal = eleventh.as_ref().err().map(|(err, _record)| err);
    println!(
        "the eleventh send: {}",
        refusal.map_or("Ok".to_string(), KafkaError::to_string)
    );
    // Serving the reports is what frees the room.
    producer.poll(Duration::from_millis(100));
    println!(
        "after poll served the reports, in_flight_count: {}",
        producer.in_flight_count()
    );
    if let Err((_err, record)) = eleventh {
        producer.send(record).map_err(|(err, _record)| err)?;
    }
    producer.flush(Duration::from_secs(10))?;
    // ANCHOR_END: base

    // ANCHOR: future
    let producer: FutureProducer = broker
        .config()
        .set("queue.buffering.max.messages", "10")
        .create()?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 11..31 {
        let (producer, topic) = (producer.clone(), topic.clone());
        tasks.spawn(async move {
            let value = json!({ "count": n }).to_string();
            let record = FutureRecord::to(&topic).key("qc-key").payload(&value);
            // Up to ten seconds of retries while the queue is full.
            producer.send(record, Duration::from_secs(10)).await
        });
    }
    let mut delivered = 0;
    while let Some(result) = tasks.join_next().await {
        if result?.is_ok() {
            delivered += 1;
        }
    }
    println!("FutureProducer: 20 sends into room for 10, {delivered} delivered");
    println!("time: {}", listings::format_duration(started.elapsed()));
    // ANCHOR_END: future
    Ok(())
}
