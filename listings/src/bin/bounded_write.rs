// A write with a bound: every message is delivered within 3 s, or the
// program says what was lost and exits with a non-zero status.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

/// Counts failed messages and keeps the first error.
#[derive(Clone, Default)]
struct Failures {
    count: Arc<AtomicUsize>,
    first: Arc<Mutex<Option<KafkaError>>>,
}

impl ClientContext for Failures {}

impl ProducerContext for Failures {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        if let Err((err, _msg)) = result {
            self.count.fetch_add(1, Ordering::SeqCst);
            self.first
                .lock()
                .unwrap()
                .get_or_insert_with(|| err.clone());
        }
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer
    let failures = Failures::default();
    let producer: BaseProducer<Failures> = broker
        .config()
        // The bound: a message not delivered 3 s after send has failed.
        .set("message.timeout.ms", "3000")
        .create_with_context(failures.clone())?;
    // ANCHOR_END: producer

    // ANCHOR: write
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    // Every message is answered for within 3 s, delivered or failed, so this
    // flush returns Ok unless something is badly wrong; then `?` ends main.
    producer.flush(Duration::from_secs(4))?;
    let failed = failures.count.load(Ordering::SeqCst);
    if let Some(first) = failures.first.lock().unwrap().take() {
        anyhow::bail!("{failed} of 15 messages were not delivered; the first because: {first}");
    }
    println!("15 messages were produced to topic {topic}!");
    // ANCHOR_END: write
    Ok(())
}
