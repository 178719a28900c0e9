// What linger.ms does to batches: the same 200 messages, one every 200 µs,
// with linger.ms at 0, 5 and 50, each run after one warm-up message;
// librdkafka's statistics count the produce requests they took.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;
use serde_json::json;

/// Keeps the latest statistics report, and how many have come.
#[derive(Default)]
struct Reports(Mutex<(usize, Option<Statistics>)>);

impl ClientContext for Reports {
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

const MESSAGES: i64 = 200;

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: linger
    for linger_ms in ["0", "5", "50"] {
        let producer: BaseProducer<Reports> = broker
            .config()
            .set("linger.ms", linger_ms)
            .set("statistics.interval.ms", "20")
            .create_with_context(Reports::default())?;
        // A new producer holds its first messages until it has connected
        // and learned the topic's partitions, and then sends them together
        // whatever linger.ms says. So one message first, waited for, and
        // only the requests after it are counted.
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload("warm-up"))
            .map_err(|(err, _record)| err)?;
        producer.flush(Duration::from_secs(10))?;
        let before = produce_requests(&next_report(&producer)?);
        for n in 0..MESSAGES {
            let value = json!({ "count": n }).to_string();
            // One key, so one partition: every batch is one partition's.
            producer
                .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
                .map_err(|(err, _record)| err)?;
            producer.poll(Duration::ZERO);
            // Messages that trickle in, as from a busy service.
            std::thread::sleep(Duration::from_micros(200));
        }
        producer.flush(Duration::from_secs(10))?;
        let requests = produce_requests(&next_report(&producer)?) - before;
        println!(
            "linger.ms={linger_ms}: {MESSAGES} messages in {requests} produce requests, \
             {} messages per request",
            MESSAGES / requests.max(1)
        );
    }
    // ANCHOR_END: linger
    Ok(())
}
