// Flush once, as the Python client does: librdkafka's own flush, waiting
// the whole timeout, on a producer whose own thread serves the reports.
use std::time::Duration;

use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use serde_json::json;

// ANCHOR: flush
/// librdkafka's `rd_kafka_flush` with the whole timeout: it returns as soon
/// as every message has been answered for, and until then tells librdkafka
/// to send at once instead of lingering. (rdkafka 0.39's `flush` calls it
/// with a timeout of 0 and then polls in 100 ms slices.)
///
/// Under rdkafka's event API `rd_kafka_flush` does not serve delivery
/// reports itself; it waits until someone has. A `ThreadedProducer`'s own
/// thread does, which is why this takes one, and not a `BaseProducer`.
pub fn flush_now<C: ProducerContext>(
    producer: &ThreadedProducer<C>,
    timeout: Duration,
) -> KafkaResult<()> {
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: the handle is valid for as long as `producer` lives, and
    // librdkafka allows rd_kafka_flush on any thread.
    let code =
        unsafe { rdkafka::bindings::rd_kafka_flush(producer.client().native_ptr(), timeout_ms) };
    match RDKafkaErrorCode::from(code) {
        RDKafkaErrorCode::NoError => Ok(()),
        code => Err(KafkaError::Flush(code)),
    }
}
// ANCHOR_END: flush

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: loop
    let producer: ThreadedProducer<_> = broker.config().create()?;
    let stopwatch = listings::Stopwatch::start();
    for n in 0..15 {
        let key = "qc-key";
        let value = json!({ "count": n }).to_string();
        println!("Producing record: {key}\t{value}");
        producer
            .send(BaseRecord::to(&topic).key(key).payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    flush_now(&producer, Duration::from_secs(10))?;
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop
    Ok(())
}
