// librdkafka's debug log: with `debug=protocol`, a line for every request
// sent and every response received. Three messages, and the produce
// requests and responses they caused.
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

// ANCHOR: context
/// Keeps librdkafka's log lines instead of handing them to the `log` crate,
/// which prints nothing unless the program installs a logger.
#[derive(Default)]
struct LogLines(Mutex<Vec<String>>);

impl ClientContext for LogLines {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        let line = format!("{level:?} {facility}: {message}");
        self.0.lock().unwrap().push(line);
    }
}

impl ProducerContext for LogLines {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}
// ANCHOR_END: context

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: debug
    let producer: BaseProducer<LogLines> = broker
        .config()
        // Which of librdkafka's debug contexts to log: here every request
        // and response. Others: msg, broker, topic, metadata, queue, all.
        .set("debug", "protocol")
        // rdkafka passes librdkafka only what its log level lets through.
        .set_log_level(RDKafkaLogLevel::Debug)
        .create_with_context(LogLines::default())?;
    for n in 0..3 {
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    producer.flush(Duration::from_secs(10))?;
    let lines = producer.context().0.lock().unwrap();
    println!("{} log lines; those about produce requests:", lines.len());
    for line in lines.iter().filter(|line| line.contains("Produce")) {
        println!("{line}");
    }
    // ANCHOR_END: debug
    Ok(())
}
