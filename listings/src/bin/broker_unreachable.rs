// Broker unreachable: writing to an address where nothing listens, and
// printing what send, poll, flush and the delivery reports say, and when.
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: context
/// Prints each delivery report and the first client error, each with the
/// time since the producer was created, and counts the client errors by kind.
struct Timeline {
    created: Instant,
    client_errors: Mutex<BTreeMap<String, usize>>,
}

impl Timeline {
    fn new() -> Timeline {
        Timeline {
            created: Instant::now(),
            client_errors: Mutex::new(BTreeMap::new()),
        }
    }

    fn print(&self, event: &str) {
        let at = listings::format_duration(self.created.elapsed());
        println!("[{at:>9}] {event}");
    }
}

impl ClientContext for Timeline {
    // Errors that concern the client as a whole, not one message. The
    // default implementation logs them through the `log` crate.
    fn error(&self, error: KafkaError, reason: &str) {
        let mut counts = self.client_errors.lock().unwrap();
        if counts.is_empty() {
            self.print(&format!("client error: {error}: {reason}"));
        }
        let kind = error.rdkafka_error_code().map(|code| format!("{code:?}"));
        *counts.entry(kind.unwrap_or_default()).or_default() += 1;
    }
}

impl ProducerContext for Timeline {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => self.print("delivery report: delivered"),
            Err((err, _msg)) => self.print(&format!("delivery report: {err}")),
        }
    }
}
// ANCHOR_END: context

fn main() -> anyhow::Result<()> {
    let topic = listings::topic_from_env()?;
    // ANCHOR: producer
    // An address where nothing listens: a port the system has just handed
    // out, closed again at once.
    let nowhere = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let producer: BaseProducer<Timeline> = ClientConfig::new()
        .set("bootstrap.servers", &nowhere)
        // Fail a message 2 s after send if it is not delivered by then,
        // instead of after the default 5 minutes.
        .set("message.timeout.ms", "2000")
        .create_with_context(Timeline::new())?;
    // ANCHOR_END: producer

    // ANCHOR: calls
    let timeline = producer.context();
    for n in 0..3 {
        let value = json!({ "count": n }).to_string();
        let sent = producer.send(BaseRecord::to(&topic).key("qc-key").payload(&value));
        timeline.print(&format!("send returned {:?}", sent.map_err(|(err, _)| err)));
    }
    producer.poll(Duration::ZERO);
    timeline.print("poll(0) returned");
    let flushed = producer.flush(Duration::from_secs(10));
    timeline.print(&format!("flush returned {flushed:?}"));
    // rdkafka 0.39's BaseProducer calls `error` twice for each error event.
    for (kind, calls) in timeline.client_errors.lock().unwrap().iter() {
        println!("client error calls: {kind} × {calls}");
    }
    // ANCHOR_END: calls
    Ok(())
}
