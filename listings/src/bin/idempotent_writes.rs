// Delivery guarantees: 10,000 keyed messages written with enable.idempotence
// off, then on, each to a topic of its own; then the topic is read back and
// every message counted.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;

/// How many messages each run writes.
const MESSAGES: usize = 10_000;
/// The keys are `qc-key-0` to `qc-key-9`: enough of them to use every partition.
const KEYS: usize = 10;

/// Counts delivery reports, keeps the first error, and the producer id
/// from the latest statistics report.
#[derive(Clone, Default)]
struct Tally {
    delivered: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    first_error: Arc<Mutex<Option<String>>>,
    /// The id the broker gave this producer: none (-1) without idempotence;
    /// `None` until a statistics report has come.
    producer_id: Arc<Mutex<Option<i64>>>,
}

impl ClientContext for Tally {
    // Proof that the setting took effect: an idempotent producer asks the
    // broker for a producer id, and its statistics report it.
    fn stats(&self, report: Statistics) {
        let id = report.eos.map_or(-1, |eos| eos.producer_id);
        *self.producer_id.lock().unwrap() = Some(id);
    }
}

impl ProducerContext for Tally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => self.delivered.fetch_add(1, Ordering::SeqCst),
            Err((err, _msg)) => {
                self.first_error
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| err.to_string());
                self.failed.fetch_add(1, Ordering::SeqCst)
            }
        };
    }
}

fn main() -> anyhow::Result<()> {
    let topic = listings::topic_from_env()?;
    let broker = listings::Broker::from_env()?;
    for idempotence in [false, true] {
        let label = if idempotence { "on" } else { "off" };
        let topic = format!("{topic}-idempotence-{label}");
        broker.create_topic(&topic)?;
        let start = end_offsets(&broker, &topic)?;
        // ANCHOR: producer
        let tally = Tally::default();
        let producer: BaseProducer<Tally> = broker
            .config()
            .set("enable.idempotence", idempotence.to_string())
            .set("statistics.interval.ms", "100")
            // Keep trying for a minute: longer than a broker takes to restart.
            .set("message.timeout.ms", "60000")
            // Once the broker is back, reconnect within a second (the default
            // backs off up to 10 s between attempts).
            .set("reconnect.backoff.max.ms", "1000")
            // Send each message at once, in a request of its own: many
            // requests in flight, so that a broker that dies is likely to
            // die between storing one and answering it.
            .set("linger.ms", "0")
            .create_with_context(tally.clone())?;
        // ANCHOR_END: producer

        // ANCHOR: produce
        for n in 0..MESSAGES {
            let key = format!("qc-key-{}", n % KEYS);
            let value = json!({ "count": n }).to_string();
            producer
                .send(BaseRecord::to(&topic).key(&key).payload(&value))
                .map_err(|(err, _record)| err)?;
            producer.poll(Duration::ZERO);
            // Spread the sends over about two seconds, so that a broker that
            // fails during the run finds requests in flight.
            if n % 50 == 49 {
                thread::sleep(Duration::from_millis(10));
            }
            if (n + 1) % 2000 == 0 {
                println!("idempotence {label}: {} of {MESSAGES} sent", n + 1);
            }
        }
        // Wait for every report, a little longer than any message may take.
        producer.flush(Duration::from_secs(65))?;
        // ANCHOR_END: produce
        tally.producer_id.lock().unwrap().take();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tally.producer_id.lock().unwrap().is_none() && std::time::Instant::now() < deadline {
            producer.poll(Duration::from_millis(10));
        }
        let assigned = tally.producer_id.lock().unwrap().is_some_and(|id| id >= 0);
        println!("idempotence {label}: producer id from the broker: {assigned}");
        let stored = read_counts(&broker, &topic, &start)?;
        println!(
            "idempotence {label}: {} delivered, {} failed{}",
            tally.delivered.load(Ordering::SeqCst),
            tally.failed.load(Ordering::SeqCst),
            match &*tally.first_error.lock().unwrap() {
                Some(err) => format!(" (first error: {err})"),
                None => String::new(),
            }
        );
        println!("idempotence {label}: {}", stored.summary());
    }
    Ok(())
}

/// Where each partition of `topic` ends now.
fn end_offsets(broker: &listings::Broker, topic: &str) -> anyhow::Result<BTreeMap<i32, i64>> {
    let consumer: BaseConsumer = broker.config().create()?;
    let timeout = Duration::from_secs(10);
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    let mut ends = BTreeMap::new();
    for partition in metadata.topics()[0].partitions() {
        let (_low, high) = consumer.fetch_watermarks(topic, partition.id(), timeout)?;
        ends.insert(partition.id(), high);
    }
    Ok(ends)
}

/// What a run left in the topic.
struct Stored {
    /// How many times each count was stored.
    copies: BTreeMap<u64, usize>,
    /// Messages stored after a message with a higher count of the same key.
    out_of_order: usize,
}

impl Stored {
    fn summary(&self) -> String {
        let total: usize = self.copies.values().sum();
        let missing = (0..MESSAGES as u64)
            .filter(|n| !self.copies.contains_key(n))
            .count();
        format!(
            "the topic holds {total} messages: {} distinct, {} duplicates, {missing} missing, {} out of order",
            self.copies.len(),
            total - self.copies.len(),
            self.out_of_order
        )
    }
}

// ANCHOR: read
/// Reads `topic` from `start` to its end now, and counts the copies of each message.
fn read_counts(
    broker: &listings::Broker,
    topic: &str,
    start: &BTreeMap<i32, i64>,
) -> anyhow::Result<Stored> {
    let end = end_offsets(broker, topic)?;
    let consumer: BaseConsumer = broker
        .config()
        .set("group.id", "idempotent-writes-listing")
        .set("enable.auto.commit", "false")
        .create()?;
    // A partition missing from `start` was not known yet, so it was empty.
    let start_of = |partition: &i32| start.get(partition).copied().unwrap_or(0);
    let mut assignment = TopicPartitionList::new();
    for partition in end.keys() {
        assignment.add_partition_offset(topic, *partition, Offset::Offset(start_of(partition)))?;
    }
    consumer.assign(&assignment)?;
    let mut remaining: usize = end.iter().map(|(p, &e)| (e - start_of(p)) as usize).sum();
    let mut stored = Stored {
        copies: BTreeMap::new(),
        out_of_order: 0,
    };
    let mut last_count: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    while remaining > 0 {
        let message = match consumer.poll(Duration::from_secs(10)) {
            Some(message) => message?,
            None => anyhow::bail!("{remaining} messages of {topic} did not come back"),
        };
        if message.offset() >= end[&message.partition()] {
            continue;
        }
        remaining -= 1;
        let value: serde_json::Value =
            serde_json::from_slice(message.payload().unwrap_or_default())?;
        let count = value["count"].as_u64().unwrap_or_default();
        *stored.copies.entry(count).or_default() += 1;
        let key = message.key().unwrap_or_default().to_vec();
        if let Some(&last) = last_count.get(&key) {
            if count <= last {
                stored.out_of_order += 1;
            }
        }
        last_count.insert(key, count);
    }
    Ok(stored)
}
// ANCHOR_END: read
