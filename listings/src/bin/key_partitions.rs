// Keys and partitions: every message with a given key goes to one
// partition, in the order sent; messages without a key are spread.
use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

/// How many messages of each kind, keyed and keyless, the listing writes.
const EACH: usize = 300;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let timeout = Duration::from_secs(10);

    // A consumer that starts where the topic ends now, so that it reads
    // back only what this program writes.
    let consumer: BaseConsumer = broker
        .config()
        .set("group.id", "key-partitions-listing")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut start = TopicPartitionList::new();
    for partition in 0..listings::PARTITIONS {
        let (_low, high) = consumer.fetch_watermarks(&topic, partition, timeout)?;
        start.add_partition_offset(&topic, partition, Offset::Offset(high))?;
    }
    consumer.assign(&start)?;

    // ANCHOR: produce
    let producer: BaseProducer = broker
        .config()
        // Pick a partition at random for each keyless message, instead of
        // keeping to one for a while to fill batches (sticky partitioning).
        .set("sticky.partitioning.linger.ms", "0")
        .create()?;
    for n in 0..2 * EACH {
        let value = json!({ "count": n }).to_string();
        // Even counts get one of five keys; odd counts get no key.
        let key = format!("qc-key-{}", n / 2 % 5);
        let record = BaseRecord::to(&topic).payload(&value);
        let record = if n % 2 == 0 { record.key(&key) } else { record };
        producer.send(record).map_err(|(err, _record)| err)?;
        producer.poll(Duration::ZERO);
    }
    producer.flush(timeout)?;
    // ANCHOR_END: produce

    // ANCHOR: read
    // For each key ("null" for none), and each partition it is found in:
    // the counts of its messages, in the order they are stored.
    let mut stored: BTreeMap<String, BTreeMap<i32, Vec<u64>>> = BTreeMap::new();
    for _ in 0..2 * EACH {
        let message = match consumer.poll(timeout) {
            Some(message) => message?,
            None => anyhow::bail!("not every message came back within {timeout:?}"),
        };
        let key = match message.key() {
            Some(key) => String::from_utf8_lossy(key).into_owned(),
            None => "null".to_string(),
        };
        let value: serde_json::Value =
            serde_json::from_slice(message.payload().unwrap_or_default())?;
        let count = value["count"].as_u64().unwrap_or_default();
        stored
            .entry(key)
            .or_default()
            .entry(message.partition())
            .or_default()
            .push(count);
    }
    for (key, partitions) in &stored {
        let spread: BTreeMap<i32, usize> = partitions.iter().map(|(p, c)| (*p, c.len())).collect();
        let in_order = partitions
            .values()
            .all(|counts| counts.windows(2).all(|w| w[0] < w[1]));
        println!("key {key}: messages per partition {spread:?}, in the order sent: {in_order}");
    }
    // ANCHOR_END: read
    Ok(())
}
