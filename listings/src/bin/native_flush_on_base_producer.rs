// librdkafka's own flush called on a BaseProducer: rdkafka asks for delivery
// reports as events, and in that mode rd_kafka_flush only waits for someone
// else to serve them. A BaseProducer serves them only inside poll, so the
// flush waits its whole timeout, however fast the broker answered.
use std::time::{Duration, Instant};

use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: wait
    let producer: BaseProducer = broker.config().create()?;
    let value = json!({ "count": 0 }).to_string();
    producer
        .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
        .map_err(|(err, _record)| err)?;
    let started = Instant::now();
    // SAFETY: the handle is valid for as long as `producer` lives, and
    // librdkafka allows rd_kafka_flush on any thread.
    let code = unsafe { rdkafka::bindings::rd_kafka_flush(producer.client().native_ptr(), 500) };
    println!(
        "rd_kafka_flush(500 ms) on a BaseProducer: {:?}, returned after {}",
        RDKafkaErrorCode::from(code),
        listings::format_duration(started.elapsed())
    );
    // The broker answered long ago; the report waits to be served.
    producer.flush(Duration::from_secs(10))?;
    println!(
        "rdkafka's flush, which polls: done, in_flight_count {}",
        producer.in_flight_count()
    );
    // ANCHOR_END: wait
    Ok(())
}
