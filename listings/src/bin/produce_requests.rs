// How many produce requests fifteen messages take: with a flush after each
// message, and with one flush at the end. librdkafka's statistics count the
// requests it sent.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: reports
/// Keeps the latest statistics report, and how many have come.
#[derive(Default)]
struct Reports(Mutex<(usize, Option<Statistics>)>);

impl ClientContext for Reports {
    // Called with each report, every `statistics.interval.ms`, by `poll`.
    fn stats(&self, statistics: Statistics) {
        let mut reports = self.0.lock().unwrap();
        reports.0 += 1;
        reports.1 = Some(statistics);
    }
}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// The first report made entirely after this call: the one after next.
fn next_report(producer: &BaseProducer<Reports>) -> anyhow::Result<Statistics> {
    let seen = producer.context().0.lock().unwrap().0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while producer.context().0.lock().unwrap().0 < seen + 2 {
        if Instant::now() > deadline {
            bail!("no statistics report within 10 s: is statistics.interval.ms set?");
        }
        producer.poll(Duration::from_millis(10));
    }
    Ok(producer.context().0.lock().unwrap().1.take().unwrap())
}

/// Produce requests sent so far, to every broker.
fn produce_requests(report: &Statistics) -> i64 {
    report
        .brokers
        .values()
        .filter_map(|broker| broker.req.get("Produce"))
        .sum()
}
// ANCHOR_END: reports

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: count
    for (label, flush_each) in [("flush after each message", true), ("flush once", false)] {
        let producer: BaseProducer<Reports> = broker
            .config()
            // A statistics report every 20 ms, handed to `stats` by `poll`.
            .set("statistics.interval.ms", "20")
            .create_with_context(Reports::default())?;
        for n in 0..15 {
            let value = json!({ "count": n }).to_string();
            producer
                .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
                .map_err(|(err, _record)| err)?;
            if flush_each {
                producer.flush(Duration::from_secs(10))?;
            }
        }
        producer.flush(Duration::from_secs(10))?;
        let report = next_report(&producer)?;
        println!(
            "{label}: 15 messages in {} produce requests",
            produce_requests(&report)
        );
    }
    // ANCHOR_END: count
    Ok(())
}
