// Sticky partitioning, seen: a producer that is ready keeps its keyless
// messages on one partition; a fresh one spreads them, because it gives
// them partitions the moment it learns the topic, before it counts any
// partition as ready.
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Counts the delivered messages per partition.
#[derive(Default)]
struct Partitions(Mutex<BTreeMap<i32, usize>>);

impl ClientContext for Partitions {}

impl ProducerContext for Partitions {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        if let Ok(msg) = result {
            *self.0.lock().unwrap().entry(msg.partition()).or_default() += 1;
        }
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: rounds
    let producer: BaseProducer<Partitions> =
        broker.config().create_with_context(Partitions::default())?;
    // The same fifteen keyless sends twice: first on the fresh producer,
    // then on the same producer once it is connected and knows the topic.
    for round in ["fresh producer", "ready producer"] {
        for n in 0..15 {
            let value = json!({ "count": n }).to_string();
            producer
                .send(BaseRecord::<(), _>::to(&topic).payload(&value))
                .map_err(|(err, _record)| err)?;
        }
        producer.flush(Duration::from_secs(10))?;
        let per_partition = std::mem::take(&mut *producer.context().0.lock().unwrap());
        let delivered: usize = per_partition.values().sum();
        let used = per_partition.len();
        println!("{round}: {delivered} messages on [{used}] partitions");
    }
    // ANCHOR_END: rounds
    Ok(())
}
