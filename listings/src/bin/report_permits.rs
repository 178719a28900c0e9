// Many writes in flight from async code without a future per message: the
// producer's own thread gives back a semaphore permit with every report,
// and the async loop takes one before every send. Sends stay in the loop's
// order, at most `bound` messages await their report, and the loop waits
// for the last report by taking every permit back.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use tokio::sync::Semaphore;

// ANCHOR: context
/// Counts the reports, and gives back the permit of each message reported:
/// librdkafka frees a message's room in its queue at the same moment.
pub struct ReturnPermits {
    pub permits: Semaphore,
    pub bound: u32,
    pub delivered: AtomicUsize,
    pub failed: AtomicUsize,
    pub first_error: Mutex<Option<String>>,
}

impl ReturnPermits {
    pub fn new(bound: u32) -> ReturnPermits {
        ReturnPermits {
            permits: Semaphore::new(bound as usize),
            bound,
            delivered: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            first_error: Mutex::new(None),
        }
    }
}

impl ClientContext for ReturnPermits {}

impl ProducerContext for ReturnPermits {
    type DeliveryOpaque = ();

    // Runs on the producer's thread, never on a runtime thread.
    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_msg) => self.delivered.fetch_add(1, Ordering::Relaxed),
            Err((err, _msg)) => {
                self.first_error
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| err.to_string());
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
        self.permits.add_permits(1);
    }
}
// ANCHOR_END: context

// ANCHOR: write_all
/// Sends every (key, value) in order, with at most the context's `bound`
/// awaiting their report, and returns once every one is reported.
pub async fn write_all(
    producer: &ThreadedProducer<ReturnPermits>,
    topic: &str,
    messages: &[(String, String)],
) -> anyhow::Result<()> {
    let context = producer.context();
    for (key, value) in messages {
        // Wait, without blocking the runtime, until a report frees room.
        context.permits.acquire().await?.forget();
        producer
            .send(BaseRecord::to(topic).key(key).payload(value))
            .map_err(|(err, _record)| err)?;
    }
    // Every permit back means every message reported.
    drop(context.permits.acquire_many(context.bound).await?);
    Ok(())
}
// ANCHOR_END: write_all

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: main
    let producer: ThreadedProducer<ReturnPermits> = broker
        .config()
        .create_with_context(ReturnPermits::new(1_000))?;
    let messages: Vec<(String, String)> = (0..10_000)
        .map(|seq| (format!("key-{}", seq % 10), format!("{{\"seq\":{seq}}}")))
        .collect();

    let stopwatch = listings::Stopwatch::start();
    write_all(&producer, &topic, &messages).await?;
    let context = producer.context();
    println!(
        "{} delivered, {} failed",
        context.delivered.load(Ordering::Relaxed),
        context.failed.load(Ordering::Relaxed)
    );
    if let Some(err) = context.first_error.lock().unwrap().as_ref() {
        println!("first failure: {err}");
    }
    stopwatch.print();
    // ANCHOR_END: main
    Ok(())
}
