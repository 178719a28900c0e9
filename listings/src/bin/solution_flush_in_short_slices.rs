// Exercise solution (Synchronous writes): keep BaseProducer and a wait after
// every message, but wait in 1 ms slices instead of flush's 100 ms ones.
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

// ANCHOR: solution
/// Like `flush`, but polls in 1 ms slices, so it returns within about a
/// millisecond of the last report instead of at the end of a 100 ms slice.
fn wait_for_deliveries(producer: &BaseProducer, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while producer.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            anyhow::bail!(
                "{} messages still in flight after {timeout:?}",
                producer.in_flight_count()
            );
        }
        producer.poll(Duration::from_millis(1));
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: BaseProducer = broker
        .config()
        // Nothing else is coming while we wait: send each message at once.
        .set("linger.ms", "0")
        .create()?;

    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
        wait_for_deliveries(&producer, Duration::from_secs(10))?;
    }
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    Ok(())
}
// ANCHOR_END: solution
