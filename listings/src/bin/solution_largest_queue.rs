// Exercise solution (Seeing inside the producer): the most messages a
// producer held at once while writing 20,000, and the produce requests
// they took, from its statistics.
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: solution
/// The largest `msg_cnt` seen, and the produce requests of the last report.
#[derive(Default)]
struct Peak(Mutex<(u64, i64)>);

impl ClientContext for Peak {
    fn stats(&self, report: Statistics) {
        let requests = report
            .brokers
            .values()
            .filter_map(|broker| broker.req.get("Produce"))
            .sum();
        let mut peak = self.0.lock().unwrap();
        *peak = (peak.0.max(report.msg_cnt), requests);
    }
}

impl ProducerContext for Peak {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // Its own thread polls, so the reports arrive without our help.
    let producer: ThreadedProducer<Peak> = broker
        .config()
        .set("statistics.interval.ms", "10")
        .create_with_context(Peak::default())?;
    for n in 0..20_000 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::<(), _>::to(&topic).payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    producer.flush(Duration::from_secs(30))?;
    // Two more reports, so that the last one counts every request.
    std::thread::sleep(Duration::from_millis(30));
    let (largest, requests) = *producer.context().0.lock().unwrap();
    println!("most messages not yet answered for at once: {largest}");
    println!("produce requests for 20000 messages: {requests}");
    Ok(())
}
// ANCHOR_END: solution
