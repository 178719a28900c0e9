// librdkafka's default partitioner hashes keys with CRC32; the Java
// client's hashes them with murmur2. With partitioner=murmur2_random a Rust
// producer puts every key in the partition a Java producer would.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Records the partition each key was delivered to.
#[derive(Clone, Default)]
struct Partitions(Arc<Mutex<BTreeMap<String, i32>>>);

impl ClientContext for Partitions {}

impl ProducerContext for Partitions {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(msg) => {
                let key = String::from_utf8_lossy(msg.key().unwrap_or_default()).into_owned();
                self.0.lock().unwrap().insert(key, msg.partition());
            }
            Err((err, _msg)) => println!("Failed to deliver message: {err}"),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let keys: Vec<String> = (0..10).map(|i| format!("qc-key-{i}")).collect();

    // ANCHOR: compare
    let mut chosen = Vec::new();
    for partitioner in ["consistent_random", "murmur2_random"] {
        let partitions = Partitions::default();
        let producer: BaseProducer<Partitions> = broker
            .config()
            .set("partitioner", partitioner)
            .create_with_context(partitions.clone())?;
        for (n, key) in keys.iter().enumerate() {
            let value = json!({ "count": n }).to_string();
            producer
                .send(BaseRecord::to(&topic).key(key).payload(&value))
                .map_err(|(err, _record)| err)?;
        }
        producer.flush(Duration::from_secs(10))?;
        chosen.push(partitions.0.lock().unwrap().clone());
    }
    for key in &keys {
        println!(
            "key {key}: consistent_random -> partition {}, murmur2_random -> partition {}",
            chosen[0][key], chosen[1][key]
        );
    }
    // ANCHOR_END: compare
    Ok(())
}
