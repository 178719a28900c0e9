// flush's result: a flush that times out returns an error and loses
// nothing. The code that waits again, and the code that gives up.
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext, PurgeConfig,
};
use rdkafka::ClientContext;
use serde_json::json;

/// Counts delivered messages, and prints each failure.
#[derive(Clone, Default)]
struct Tally {
    delivered: Arc<AtomicUsize>,
}

impl ClientContext for Tally {}

impl ProducerContext for Tally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::SeqCst);
            }
            Err((err, _msg)) => println!("Failed to deliver message: {err}"),
        }
    }
}

/// Queues `{"count": 0}` to `{"count": n - 1}`, all with the key `qc-key`.
fn send(producer: &BaseProducer<Tally>, topic: &str, n: usize) -> anyhow::Result<()> {
    for count in 0..n {
        let value = json!({ "count": count }).to_string();
        producer
            .send(BaseRecord::to(topic).key("qc-key").payload(&value))
            .map_err(|(err, _record)| err)?;
    }
    Ok(())
}

// ANCHOR: give_up
/// Waits up to `bound` for every message to be answered for. If some are
/// still waiting then, purges them, so that each is reported as failed,
/// and returns the error.
fn flush_or_purge(producer: &BaseProducer<Tally>, bound: Duration) -> anyhow::Result<()> {
    if let Err(err) = producer.flush(bound) {
        let waiting = producer.in_flight_count();
        producer.purge(PurgeConfig::default().queue().inflight());
        // The purge has made a report ready for each message: serve them.
        producer.flush(Duration::from_secs(1))?;
        anyhow::bail!("{err} with {waiting} messages and events waiting; purged");
    }
    Ok(())
}
// ANCHOR_END: give_up

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: wait_again
    let tally = Tally::default();
    let producer: BaseProducer<Tally> = broker
        .config()
        // One message per request, one request at a time: the slowest a
        // producer can be, so that 2,000 messages take many round trips.
        .set("batch.num.messages", "1")
        .set("max.in.flight.requests.per.connection", "1")
        .create_with_context(tally.clone())?;
    send(&producer, &topic, 2_000)?;
    if let Err(err) = producer.flush(Duration::from_millis(10)) {
        println!(
            "flush returned Err({err}); messages and events waiting: {}",
            producer.in_flight_count()
        );
    }
    // The timeout dropped nothing: wait again, longer.
    producer.flush(Duration::from_secs(10))?;
    println!(
        "second flush returned Ok; waiting: {}; delivered: {}",
        producer.in_flight_count(),
        tally.delivered.load(Ordering::SeqCst)
    );
    // ANCHOR_END: wait_again

    // ANCHOR: purge
    // Now a broker that cannot be reached: nothing listens at this address.
    let nowhere = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let tally = Tally::default();
    let producer: BaseProducer<Tally> = ClientConfig::new()
        .set("bootstrap.servers", &nowhere)
        .create_with_context(tally.clone())?;
    send(&producer, &topic, 15)?;
    if let Err(err) = flush_or_purge(&producer, Duration::from_secs(1)) {
        println!("flush_or_purge returned Err({err})");
    }
    println!("delivered: {}", tally.delivered.load(Ordering::SeqCst));
    // ANCHOR_END: purge
    Ok(())
}
