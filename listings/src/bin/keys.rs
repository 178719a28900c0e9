// Keys are optional. A message sent without one is stored with a null key;
// a message with a key goes to the partition that key hashes to.
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let timeout = Duration::from_secs(10);

    // ANCHOR: consumer
    // A consumer that starts where the topic ends now, so that it reads
    // back only what this program writes.
    let consumer: BaseConsumer = broker
        .config()
        .set("group.id", "keys-listing")
        .set("enable.auto.commit", "false")
        .create()?;
    let partitions = consumer
        .fetch_metadata(Some(&topic), timeout)?
        .topics()
        .first()
        .map_or(0, |t| t.partitions().len() as i32);
    let mut start = TopicPartitionList::new();
    for partition in 0..partitions {
        let (_low, high) = consumer.fetch_watermarks(&topic, partition, timeout)?;
        start.add_partition_offset(&topic, partition, Offset::Offset(high))?;
    }
    consumer.assign(&start)?;
    // ANCHOR_END: consumer

    // ANCHOR: produce
    let producer: BaseProducer = broker.config().create()?;
    for n in 0..6 {
        let value = json!({ "count": n }).to_string();
        let record = BaseRecord::to(&topic).payload(&value);
        // Half of them with a key, half without.
        let record = if n % 2 == 0 {
            record.key("qc-key")
        } else {
            record
        };
        producer.send(record).map_err(|(err, _record)| err)?;
    }
    producer.flush(timeout)?;
    // ANCHOR_END: produce

    // ANCHOR: read
    let mut read = 0;
    while read < 6 {
        let message = match consumer.poll(timeout) {
            Some(message) => message?,
            None => anyhow::bail!("only {read} of 6 messages came back within {timeout:?}"),
        };
        let key = match message.key() {
            Some(key) => String::from_utf8_lossy(key).into_owned(),
            None => "null".to_string(),
        };
        let value = String::from_utf8_lossy(message.payload().unwrap_or_default());
        println!(
            "partition [{}] @ offset {}: key {key}, value {value}",
            message.partition(),
            message.offset()
        );
        read += 1;
    }
    // ANCHOR_END: read
    Ok(())
}
