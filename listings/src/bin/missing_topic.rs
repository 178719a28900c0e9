// Bad input: a topic that does not exist. By default the producer asks the
// broker to create it; with allow.auto.create.topics=false, it does not,
// and the message fails.
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Prints the outcome of each message, and how long after the producer
/// was created it came.
struct Reports(listings::Stopwatch);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        let after = listings::format_duration(self.0.elapsed());
        match result {
            Ok(_) => println!("delivery report after {after}: delivered"),
            Err((err, _msg)) => println!("delivery report after {after}: {err}"),
        }
    }
}

/// Sends one message to `topic` with the settings in `config`.
fn send_one(config: &ClientConfig, topic: &str) -> anyhow::Result<()> {
    let producer: BaseProducer<Reports> =
        config.create_with_context(Reports(listings::Stopwatch::start()))?;
    let value = json!({ "count": 0 }).to_string();
    producer
        .send(BaseRecord::to(topic).key("qc-key").payload(&value))
        .map_err(|(err, _record)| err)?;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}

/// Prints whether `topic` exists, and with how many partitions.
fn show(broker: &listings::Broker, topic: &str) -> anyhow::Result<()> {
    let consumer: BaseConsumer = broker.config().create()?;
    // All topics' metadata: asking for one by name could create it.
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(10))?;
    match metadata.topics().iter().find(|t| t.name() == topic) {
        Some(t) => println!("{topic}: exists, partitions: {}", t.partitions().len()),
        None => println!("{topic}: does not exist"),
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: off
    let missing = format!("{topic}-missing");
    let mut config = broker.config();
    config
        // Do not ask the broker to create a topic it does not have.
        .set("allow.auto.create.topics", "false")
        // Wait 1 s, not 30 s, before deciding that a topic does not exist.
        .set("topic.metadata.propagation.max.ms", "1000");
    send_one(&config, &missing)?;
    show(&broker, &missing)?;
    // ANCHOR_END: off

    // ANCHOR: default
    let created = format!("{topic}-created-by-send");
    show(&broker, &created)?;
    // The defaults: allow.auto.create.topics is true for a producer.
    send_one(&broker.config(), &created)?;
    show(&broker, &created)?;
    // ANCHOR_END: default
    Ok(())
}
