// Delivery guarantees on an embedded broker that fails on purpose: what
// acks, retries and enable.idempotence do when a produce request fails.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DefaultProducerContext, DeliveryResult, Producer, ProducerContext,
};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;

type Mock = MockCluster<'static, DefaultProducerContext>;

/// The error the broker returns when too few replicas are in sync to take a
/// write: the broker stores nothing, and the producer may try again.
const NOT_ENOUGH_REPLICAS: RDKafkaRespErr = RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS;

/// Counts the delivery reports by outcome: "delivered", or the error code.
#[derive(Clone, Default)]
struct Outcomes(Arc<Mutex<BTreeMap<String, usize>>>);

impl ClientContext for Outcomes {}

impl ProducerContext for Outcomes {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        let outcome = match result {
            Ok(_) => "delivered".to_string(),
            Err((err, _msg)) => match err.rdkafka_error_code() {
                Some(code) => format!("{code:?}"),
                None => err.to_string(),
            },
        };
        *self.0.lock().unwrap().entry(outcome).or_default() += 1;
    }
}

/// A producer for the embedded broker, with `settings` on top of the defaults.
fn new_producer(mock: &Mock, settings: &[(&str, &str)]) -> anyhow::Result<BaseProducer<Outcomes>> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", mock.bootstrap_servers());
    for (key, value) in settings {
        config.set(*key, *value);
    }
    Ok(config.create_with_context(Outcomes::default())?)
}

/// Sends `{"count": n}` for each `n` in `counts`, with the key `qc-key`, ten
/// every 2 ms, so that several requests are in flight at once.
fn send(
    producer: &BaseProducer<Outcomes>,
    topic: &str,
    counts: std::ops::Range<usize>,
) -> anyhow::Result<()> {
    for count in counts {
        let value = json!({ "count": count }).to_string();
        producer
            .send(BaseRecord::to(topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
        producer.poll(Duration::ZERO);
        if count % 10 == 9 {
            thread::sleep(Duration::from_millis(2));
        }
    }
    Ok(())
}

/// The `count` of every message in partition 0 of `topic`, in offset order.
fn stored_counts(mock: &Mock, topic: &str) -> anyhow::Result<Vec<u64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .set("group.id", "acks-and-retries-listing")
        .set("enable.auto.commit", "false")
        .create()?;
    let timeout = Duration::from_secs(10);
    let (low, high) = consumer.fetch_watermarks(topic, 0, timeout)?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, 0, Offset::Offset(low))?;
    consumer.assign(&assignment)?;
    let mut counts = Vec::new();
    while (counts.len() as i64) < high - low {
        let message = consumer
            .poll(timeout)
            .ok_or_else(|| anyhow::anyhow!("{topic} did not come back"))??;
        let value: serde_json::Value =
            serde_json::from_slice(message.payload().unwrap_or_default())?;
        counts.push(value["count"].as_u64().unwrap_or_default());
    }
    Ok(counts)
}

/// What the delivery reports said, and what the topic holds: "reports
/// delivered: 15; the topic holds 15, 0 out of order" and the like.
fn summary(producer: &BaseProducer<Outcomes>, mock: &Mock, topic: &str) -> anyhow::Result<String> {
    let reports = producer.context().0.lock().unwrap().clone();
    let reports: Vec<String> = reports.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let stored = stored_counts(mock, topic)?;
    let out_of_order = stored.windows(2).filter(|w| w[1] <= w[0]).count();
    Ok(format!(
        "reports {}; the topic holds {}, {out_of_order} out of order",
        reports.join(", "),
        stored.len()
    ))
}

fn main() -> anyhow::Result<()> {
    // ANCHOR: mock
    // Errors are injected through calls on the mock cluster itself, so this
    // listing starts an embedded broker of its own, whatever
    // KAFKA_BOOTSTRAP_SERVERS says.
    let mock: Mock = MockCluster::new(1)?;
    // ANCHOR_END: mock

    // ANCHOR: retries
    for retries in ["2147483647", "0"] {
        let topic = format!("retries-{retries}");
        mock.create_topic(&topic, 1, 1)?;
        // The next three produce requests fail with a retriable error.
        mock.request_errors(RDKafkaApiKey::Produce, &[NOT_ENOUGH_REPLICAS; 3]);
        let producer = new_producer(&mock, &[("retries", retries)])?;
        send(&producer, &topic, 0..15)?;
        producer.flush(Duration::from_secs(10))?;
        println!("retries={retries}: {}", summary(&producer, &mock, &topic)?);
        mock.clear_request_errors(RDKafkaApiKey::Produce);
    }
    // ANCHOR_END: retries

    // ANCHOR: acks
    mock.create_topic("acks-0", 1, 1)?;
    mock.request_errors(RDKafkaApiKey::Produce, &[NOT_ENOUGH_REPLICAS; 3]);
    // The broker does not answer, so the producer cannot know.
    let producer = new_producer(&mock, &[("acks", "0")])?;
    send(&producer, "acks-0", 0..15)?;
    producer.flush(Duration::from_secs(10))?;
    println!("acks=0: {}", summary(&producer, &mock, "acks-0")?);
    mock.clear_request_errors(RDKafkaApiKey::Produce);
    // ANCHOR_END: acks

    // ANCHOR: order
    for idempotence in ["false", "true"] {
        let topic = format!("idempotence-{idempotence}");
        mock.create_topic(&topic, 1, 1)?;
        let producer = new_producer(&mock, &[("enable.idempotence", idempotence)])?;
        // The first message alone: the producer connects, and with
        // idempotence on, it gets its producer id from the broker.
        send(&producer, &topic, 0..1)?;
        producer.flush(Duration::from_secs(10))?;
        // Answers come 50 ms late, so that later requests are in flight
        // when the next one fails.
        mock.broker_round_trip_time(1, Duration::from_millis(50))?;
        mock.request_errors(RDKafkaApiKey::Produce, &[NOT_ENOUGH_REPLICAS]);
        send(&producer, &topic, 1..1000)?;
        producer.flush(Duration::from_secs(10))?;
        mock.broker_round_trip_time(1, Duration::ZERO)?;
        println!(
            "enable.idempotence={idempotence}: {}",
            summary(&producer, &mock, &topic)?
        );
    }
    // ANCHOR_END: order
    Ok(())
}
