// Flush once, fast and without `unsafe`: rdkafka's own `flush` with a
// timeout of zero, called again and again until nothing is left, on a
// producer whose own thread serves the reports.
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use serde_json::json;

// ANCHOR: flush
/// Waits until every message sent on `producer` has been answered for,
/// delivered or failed, or until `timeout` has passed: then it returns the
/// error `flush` gives, `Flush(OperationTimedOut)`.
///
/// Each `flush(Duration::ZERO)` is one call of librdkafka's `rd_kafka_flush`
/// with a timeout of 0: it raises the "flushing" flag, which tells the
/// broker threads to send at once instead of lingering, wakes them, and
/// says whether anything is left, all without waiting. The producer's own
/// thread serves the reports meanwhile. The flag is up only during a call,
/// and a broker thread that looks while it is down lingers, so for the
/// first 300 µs, about two round trips to a near broker, this calls again
/// at once, yielding the core in between. After that it naps between calls,
/// from 20 µs up to 200 µs, so that a long wait does not keep a core busy.
pub fn flush_promptly<C: ProducerContext>(
    producer: &ThreadedProducer<C>,
    timeout: Duration,
) -> KafkaResult<()> {
    const SPIN: Duration = Duration::from_micros(300);
    const LONGEST_NAP: Duration = Duration::from_micros(200);
    let started = Instant::now();
    let mut nap = Duration::from_micros(20);
    loop {
        match producer.flush(Duration::ZERO) {
            Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut))
                if started.elapsed() < timeout => {}
            done => return done,
        }
        if started.elapsed() < SPIN {
            std::thread::yield_now();
        } else {
            std::thread::sleep(nap);
            nap = (nap * 2).min(LONGEST_NAP);
        }
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
    flush_promptly(&producer, Duration::from_secs(10))?;
    println!("15 messages were produced to topic {topic}!");
    stopwatch.print();
    // ANCHOR_END: loop
    Ok(())
}
