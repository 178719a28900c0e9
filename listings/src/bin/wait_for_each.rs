// Synchronous writes without async: a ThreadedProducer's thread hands each
// report to a channel, and the loop waits on the channel for each message's
// report before it sends the next.
use std::sync::mpsc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: context
/// Where a message landed, or why it did not.
pub type Report = Result<(i32, i64), KafkaError>;

/// Hands every report to whoever waits on the channel.
pub struct ToChannel(pub mpsc::Sender<Report>);

impl ClientContext for ToChannel {}

impl ProducerContext for ToChannel {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        let report = match result {
            Ok(msg) => Ok((msg.partition(), msg.offset())),
            Err((err, _msg)) => Err(err.clone()),
        };
        // Nobody waits any more only once main is over.
        let _ = self.0.send(report);
    }
}
// ANCHOR_END: context

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: loop
    let (sender, reports) = mpsc::channel();
    let producer: ThreadedProducer<ToChannel> = broker
        .config()
        // Send at once: nothing else is coming until this message is acknowledged.
        .set("linger.ms", "0")
        .create_with_context(ToChannel(sender))?;

    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
        // One message in flight, so the next report is this message's.
        let (partition, offset) = reports.recv_timeout(Duration::from_secs(10))??;
        println!("Produced record to topic {topic} partition [{partition}] @ offset {offset}");
    }
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop
    Ok(())
}
