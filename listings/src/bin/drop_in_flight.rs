// Dropping a producer while its messages are in flight: each one is
// reported as PurgeInflight, and yet the broker may have stored it.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Counts delivered messages and those purged in flight.
#[derive(Clone, Default)]
struct Tally {
    delivered: Arc<AtomicUsize>,
    purged_in_flight: Arc<AtomicUsize>,
}

impl ClientContext for Tally {}

impl ProducerContext for Tally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => self.delivered.fetch_add(1, Ordering::SeqCst),
            Err((err, _msg)) => {
                if err.rdkafka_error_code() == Some(RDKafkaErrorCode::PurgeInflight) {
                    self.purged_in_flight.fetch_add(1, Ordering::SeqCst)
                } else {
                    println!("Failed to deliver message: {err}");
                    0
                }
            }
        };
    }
}

fn main() -> anyhow::Result<()> {
    let topic = listings::topic_from_env()?;
    // ANCHOR: mock
    // Only a mock cluster can be made slow on purpose, so this listing
    // starts an embedded broker of its own, whatever KAFKA_BOOTSTRAP_SERVERS says.
    let mock = MockCluster::new(1)?;
    mock.create_topic(&topic, listings::PARTITIONS, 1)?;
    // ANCHOR_END: mock

    // ANCHOR: drop
    let tally = Tally::default();
    {
        let producer: BaseProducer<Tally> = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .create_with_context(tally.clone())?;
        // A first message, while the broker is quick: the producer connects
        // and learns where the topic's partitions are.
        let first = json!({ "count": 0 }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&first))
            .map_err(|(err, _record)| err)?;
        producer.flush(Duration::from_secs(10))?;
        // From now on the broker answers every request 500 ms late.
        mock.broker_round_trip_time(1, Duration::from_millis(500))?;
        for n in 1..=15 {
            let value = json!({ "count": n }).to_string();
            producer
                .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
                .map_err(|(err, _record)| err)?;
        }
        // Long enough for the request to leave (linger.ms is 5 ms), far too
        // short for its answer.
        producer.poll(Duration::from_millis(100));
        // `producer` is dropped here, with all fifteen in flight.
    }
    println!(
        "after the drop: {} delivered, {} purged in flight",
        tally.delivered.load(Ordering::SeqCst),
        tally.purged_in_flight.load(Ordering::SeqCst)
    );
    // ANCHOR_END: drop

    // ANCHOR: count
    mock.broker_round_trip_time(1, Duration::ZERO)?;
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .create()?;
    let mut stored = 0;
    for partition in 0..listings::PARTITIONS {
        let (low, high) = consumer.fetch_watermarks(&topic, partition, Duration::from_secs(10))?;
        stored += high - low;
    }
    println!("messages stored in topic {topic}: {stored}");
    // ANCHOR_END: count
    Ok(())
}
