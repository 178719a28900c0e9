// Replication and acks: a bootstrap.servers list with a dead address in it.
// The listing puts an address where nothing listens in front of the
// cluster's own, starts ten producers in turn, and counts for each what
// start-up cost: the errors about the dead address, and the time to the
// first delivery report.
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;

/// How many producers start, one after the other.
const START_UPS: usize = 10;
/// How many messages each of them writes.
const MESSAGES: usize = 100;

/// What one producer saw: its errors, its reports, and when the first came.
#[derive(Clone, Default)]
struct Tally {
    errors: Vec<String>,
    delivered: usize,
    first: Option<Instant>,
}

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Tally>>);

// ANCHOR: errors
impl ClientContext for Seen {
    // librdkafka reports a failed connection as an error event, and goes
    // on: the producer fails only when every broker is down.
    fn error(&self, error: KafkaError, reason: &str) {
        self.0
            .lock()
            .unwrap()
            .errors
            .push(format!("{error}: {reason}"));
    }
}
// ANCHOR_END: errors

impl ProducerContext for Seen {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let mut seen = self.0.lock().unwrap();
        if result.is_ok() {
            seen.delivered += 1;
        }
        seen.first.get_or_insert_with(Instant::now);
    }
}

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // A port on 127.0.0.1 that was free a moment ago: nothing listens there.
    let dead = format!(
        "127.0.0.1:{}",
        TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()
    );
    // ANCHOR: bootstrap
    let bootstrap = format!("{dead},{}", broker.bootstrap_servers());
    // ANCHOR_END: bootstrap
    println!("bootstrap.servers={bootstrap}");
    let mut tried = 0;
    for start_up in 1..=START_UPS {
        let seen = Seen::default();
        let created = Instant::now();
        let producer: BaseProducer<Seen> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create_with_context(seen.clone())?;
        for n in 0..MESSAGES {
            let payload = format!("start-up {start_up}, message {n}");
            producer
                .send(BaseRecord::to(&topic).key("qc-key").payload(&payload))
                .map_err(|(err, _record)| err)?;
        }
        producer.flush(Duration::from_secs(10))?;
        let Tally {
            errors,
            delivered,
            first,
        } = seen.0.lock().unwrap().clone();
        let about_dead = errors.iter().filter(|e| e.contains(&dead)).count();
        tried += usize::from(about_dead > 0);
        println!(
            "start-up {start_up}: {delivered} of {MESSAGES} delivered, the first after {}; \
             errors about the dead address: {about_dead}, others: {}",
            first.map_or("-".into(), |t| listings::format_duration(t - created)),
            errors.len() - about_dead
        );
        if let Some(error) = errors.first() {
            println!("  first error: {error}");
        }
    }
    println!("{tried} of {START_UPS} start-ups tried the dead address");
    Ok(())
}
