// Seeing inside a producer: librdkafka's statistics, one line per report,
// every 10 ms, while it writes 50,000 messages, and one after the flush.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: context
/// Prints a line for each statistics report, and counts them.
struct Printer {
    topic: String,
    started: Instant,
    reports: Mutex<usize>,
}

impl ClientContext for Printer {
    // Called with each report, every `statistics.interval.ms`, by `poll`.
    fn stats(&self, report: Statistics) {
        let at = listings::format_duration(self.started.elapsed());
        println!("[{at:>9}] {}", summary(&report, &self.topic));
        *self.reports.lock().unwrap() += 1;
    }
}

impl ProducerContext for Printer {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}
// ANCHOR_END: context

/// Polls until a report made entirely after this call has been printed.
fn wait_for_next_report(producer: &BaseProducer<Printer>) -> anyhow::Result<()> {
    let seen = *producer.context().reports.lock().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while *producer.context().reports.lock().unwrap() < seen + 2 {
        if Instant::now() > deadline {
            bail!("no statistics report within 10 s: is statistics.interval.ms set?");
        }
        producer.poll(Duration::from_millis(10));
    }
    Ok(())
}

// ANCHOR: line
/// One line of what a running producer shows: its queue, what is in flight,
/// the requests it sent, their errors and retries, its batches, and the
/// round trip to the broker.
fn summary(report: &Statistics, topic: &str) -> String {
    let brokers = || report.brokers.values();
    let sum = |field: fn(&rdkafka::statistics::Broker) -> u64| brokers().map(field).sum::<u64>();
    let produce_requests: i64 = brokers().filter_map(|b| b.req.get("Produce")).sum();
    let in_flight: i64 = brokers().map(|b| b.waitresp_msg_cnt).sum();
    // The broker that answered the most requests holds this topic's leaders.
    let rtt = brokers()
        .filter_map(|b| b.rtt.as_ref())
        .max_by_key(|rtt| rtt.cnt)
        .map(|rtt| format!("rtt p50 {} µs, p99 {} µs", rtt.p50, rtt.p99))
        .unwrap_or_default();
    let batch = report.topics.get(topic).map_or(0, |t| t.batchcnt.avg);
    format!(
        "not yet answered for {} ({} bytes), in flight {in_flight}, \
         produce requests {produce_requests}, request errors {}, retries {}, \
         messages per batch {batch}, {rtt}",
        report.msg_cnt,
        report.msg_size,
        sum(|b| b.txerrs),
        sum(|b| b.txretries),
    )
}
// ANCHOR_END: line

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: write
    let producer: BaseProducer<Printer> = broker
        .config()
        // A report every 10 ms, handed to `Printer::stats` by `poll`.
        .set("statistics.interval.ms", "10")
        .create_with_context(Printer {
            topic: topic.clone(),
            started: Instant::now(),
            reports: Mutex::new(0),
        })?;
    for n in 0..50_000 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::<(), _>::to(&topic).payload(&value))
            .map_err(|(err, _record)| err)?;
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30))?;
    println!("flushed; the next report:");
    wait_for_next_report(&producer)?;
    // ANCHOR_END: write
    Ok(())
}
