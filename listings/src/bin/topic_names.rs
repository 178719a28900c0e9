// Bad input: topic names Kafka refuses. The library's guard refuses them
// at once, with the rule; without it, the broker decides, later.
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Prints the outcome of each message, with the topic it was sent to.
struct Reports;

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(msg) => println!("topic {:?}: delivered", msg.topic()),
            Err((err, msg)) => println!("topic {:?}: {err}", msg.topic()),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let broker = listings::Broker::from_env()?;
    // ANCHOR: guard
    let names = ["", "..", "my topic", "café"];
    for name in names {
        if let Err(err) = listings::check_topic_name(name) {
            println!("{err}");
        }
    }
    // ANCHOR_END: guard

    // ANCHOR: unguarded
    // The same names, sent without the guard.
    let producer: BaseProducer<Reports> = broker.config().create_with_context(Reports)?;
    for name in names {
        let value = json!({ "count": 0 }).to_string();
        producer
            .send(BaseRecord::to(name).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    producer.flush(Duration::from_secs(10))?;
    // ANCHOR_END: unguarded
    Ok(())
}
