// `send` only queues: it returns before the broker has seen anything.
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer = broker.config().create()?;

    // ANCHOR: queue
    let started = Instant::now();
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    println!(
        "15 sends returned after {}; messages waiting in the producer: {}",
        listings::format_duration(started.elapsed()),
        producer.in_flight_count()
    );
    producer.flush(Duration::from_secs(10))?;
    println!(
        "after flush, messages waiting in the producer: {}",
        producer.in_flight_count()
    );
    // ANCHOR_END: queue
    Ok(())
}
