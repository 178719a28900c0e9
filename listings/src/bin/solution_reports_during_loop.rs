// Exercise solution (Asynchronous writes): with enough messages, poll(0)
// serves reports while the loop is still producing. Count how many.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

#[derive(Default)]
struct Delivered(AtomicUsize);

impl ClientContext for Delivered {}

impl ProducerContext for Delivered {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        if result.is_ok() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer<Delivered> =
        broker.config().create_with_context(Delivered::default())?;

    // ANCHOR: solution
    let messages = 20_000;
    for n in 0..messages {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::<(), _>::to(&topic).payload(&value))
            .map_err(|(err, _record)| err)?;
        producer.poll(Duration::ZERO);
    }
    let during_loop = producer.context().0.load(Ordering::Relaxed);
    producer.flush(Duration::from_secs(30))?;
    let total = producer.context().0.load(Ordering::Relaxed);
    println!("{messages} messages sent");
    println!("reports served during the loop: {during_loop}");
    println!("reports served by the final flush: {}", total - during_loop);
    println!("delivered in all: {total}");
    // ANCHOR_END: solution
    Ok(())
}
