// Exercise solution (Good practice): one key per student; every message of
// a student lands in that student's partition, in the order it was sent.
use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: FutureProducer = broker.config().create()?;

    // ANCHOR: solution
    let students = ["alice", "erin", "mallory", "judy"];
    // For each key, the partitions its messages went to.
    let mut partitions: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for n in 0..40 {
        let key = students[n % students.len()];
        let value = json!({ "count": n }).to_string();
        let record = FutureRecord::to(&topic).key(key).payload(&value);
        let delivery = producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(err, _msg)| err)?;
        partitions.entry(key).or_default().push(delivery.partition);
    }
    for (key, seen) in &partitions {
        let first = seen[0];
        let same = seen.iter().all(|&p| p == first);
        println!(
            "key {key}: {} messages, all in partition {first}: {same}",
            seen.len()
        );
    }
    // ANCHOR_END: solution
    Ok(())
}
