// Flush once, fast and without `unsafe`: rdkafka's own `poll` and `flush`
// with a timeout of zero, called again and again until nothing is left, on
// a `BaseProducer`, so that the thread that waits serves the reports.
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use serde_json::json;

// ANCHOR: flush
/// Waits until every message sent on `producer` has been answered for,
/// delivered or failed, or until `timeout` has passed: then it returns the
/// error `flush` gives, `Flush(OperationTimedOut)`.
///
/// Each round serves the next batch of delivery reports, if one is ready
/// (`poll` with a timeout of 0), then makes one call of librdkafka's
/// `rd_kafka_flush` with a timeout of 0 (`flush` with a timeout of 0): it
/// raises the "flushing" flag, which tells the broker threads to send at
/// once instead of lingering, wakes those that are connected, and says
/// whether anything is left, all without waiting. The flag is up only
/// during a call, and a broker thread that looks while it is down lingers,
/// so for the first 300 µs, about two round trips to a near broker, the
/// rounds follow one another at once, yielding the core in between. After
/// that it naps between rounds, from 20 µs up to 200 µs, so that a long
/// wait does not keep a core busy.
pub fn flush_promptly<C: ProducerContext>(
    producer: &BaseProducer<C>,
    timeout: Duration,
) -> KafkaResult<()> {
    const SPIN: Duration = Duration::from_micros(300);
    const LONGEST_NAP: Duration = Duration::from_micros(200);
    let started = Instant::now();
    let mut nap = Duration::from_micros(20);
    loop {
        // On a `BaseProducer` nothing else serves the reports, and a
        // message counts as left until its report is served.
        producer.poll(Duration::ZERO);
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
    let producer: BaseProducer = broker.config().create()?;
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
