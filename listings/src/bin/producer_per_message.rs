// One producer for the whole program: a `FutureProducer` is a handle to one
// librdkafka client, and cloning it is cheap. Building a producer for each
// message pays for a new client, its connection and its threads every time.
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;
use tokio::task::JoinSet;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: shared
    let producer: FutureProducer = broker.config().create()?;
    let stopwatch = listings::Stopwatch::start();
    let mut tasks = JoinSet::new();
    for n in 0..15 {
        // Another handle to the same client: an `Arc` is cloned, nothing more.
        let producer = producer.clone();
        let topic = topic.clone();
        tasks.spawn(async move {
            let value = json!({ "count": n }).to_string();
            let record = FutureRecord::to(&topic).key("shared").payload(&value);
            producer.send(record, Duration::from_secs(10)).await
        });
    }
    while let Some(task) = tasks.join_next().await {
        task?.map_err(|(err, _msg)| err)?;
    }
    let shared = stopwatch.elapsed();
    println!(
        "15 tasks, one shared producer: {}",
        listings::format_duration(shared)
    );
    // ANCHOR_END: shared

    // ANCHOR: per_message
    let stopwatch = listings::Stopwatch::start();
    let mut tasks = JoinSet::new();
    for n in 0..15 {
        let config = broker.config();
        let topic = topic.clone();
        tasks.spawn(async move {
            // What a request handler that builds its own producer does.
            let producer: FutureProducer = config.create()?;
            let value = json!({ "count": n }).to_string();
            let record = FutureRecord::to(&topic).key("per-message").payload(&value);
            producer
                .send(record, Duration::from_secs(10))
                .await
                .map_err(|(err, _msg)| err)?;
            // Dropping the producer here joins its polling thread, which
            // blocks this runtime thread until its current poll ends.
            anyhow::Ok(())
        });
    }
    while let Some(task) = tasks.join_next().await {
        task??;
    }
    let per_message = stopwatch.elapsed();
    println!(
        "15 tasks, a producer each:    {}",
        listings::format_duration(per_message)
    );
    // ANCHOR_END: per_message
    println!(
        "a producer per message took {:.0} times as long",
        per_message.as_secs_f64() / shared.as_secs_f64()
    );
    Ok(())
}
