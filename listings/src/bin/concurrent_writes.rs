// Many writes in flight from async code, four ways, each writing the same
// 10,000 keyed messages through one shared `FutureProducer`: how long each
// way takes, and how many messages it put on the topic out of the order
// they were sent in, key by key.
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A message to write: its key and its value.
pub type KeyValue = (String, String);

/// How long `send` may wait for room in the producer's queue.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(30);

// ANCHOR: spawn_each
/// A task per message, as many at once as there are messages.
pub async fn spawn_each(
    producer: &FutureProducer,
    topic: &str,
    messages: Vec<KeyValue>,
) -> anyhow::Result<Vec<KafkaResult<Delivery>>> {
    let topic: Arc<str> = topic.into();
    let mut tasks = JoinSet::new();
    for (i, (key, value)) in messages.into_iter().enumerate() {
        let producer = producer.clone();
        let topic = topic.clone();
        tasks.spawn(async move {
            let record = FutureRecord::to(&topic).key(&key).payload(&value);
            // `send` queues the message when this task first runs, not here.
            let report = producer.send(record, QUEUE_TIMEOUT).await;
            (i, report.map_err(|(err, _msg)| err))
        });
    }
    let mut reports = Vec::new();
    while let Some(task) = tasks.join_next().await {
        reports.push(task?);
    }
    Ok(in_sent_order(reports))
}
// ANCHOR_END: spawn_each

// ANCHOR: spawn_with_permits
/// A task per message, with at most `bound` of them in flight: a semaphore
/// hands out `bound` permits, and each task holds one until its report.
pub async fn spawn_with_permits(
    producer: &FutureProducer,
    topic: &str,
    messages: Vec<KeyValue>,
    bound: usize,
) -> anyhow::Result<Vec<KafkaResult<Delivery>>> {
    let topic: Arc<str> = topic.into();
    let permits = Arc::new(Semaphore::new(bound));
    let mut tasks = JoinSet::new();
    let mut reports = Vec::with_capacity(messages.len());
    for (i, (key, value)) in messages.into_iter().enumerate() {
        // The loop waits here while `bound` messages are in flight.
        let permit = permits.clone().acquire_owned().await?;
        let producer = producer.clone();
        let topic = topic.clone();
        tasks.spawn(async move {
            let record = FutureRecord::to(&topic).key(&key).payload(&value);
            let report = producer.send(record, QUEUE_TIMEOUT).await;
            drop(permit);
            (i, report.map_err(|(err, _msg)| err))
        });
        // Take finished tasks' results as we go, so the set stays small.
        while let Some(task) = tasks.try_join_next() {
            reports.push(task?);
        }
    }
    while let Some(task) = tasks.join_next().await {
        reports.push(task?);
    }
    Ok(in_sent_order(reports))
}
// ANCHOR_END: spawn_with_permits

// ANCHOR: buffered_stream
/// No tasks: one stream of `send` futures, at most `bound` of them polled
/// at a time, all in the caller's task.
pub async fn buffered_stream(
    producer: &FutureProducer,
    topic: &str,
    messages: Vec<KeyValue>,
    bound: usize,
) -> anyhow::Result<Vec<KafkaResult<Delivery>>> {
    let reports = stream::iter(messages.into_iter().enumerate())
        .map(|(i, (key, value))| async move {
            let record = FutureRecord::to(topic).key(&key).payload(&value);
            let report = producer.send(record, QUEUE_TIMEOUT).await;
            (i, report.map_err(|(err, _msg)| err))
        })
        .buffer_unordered(bound)
        .collect()
        .await;
    Ok(in_sent_order(reports))
}
// ANCHOR_END: buffered_stream

// ANCHOR: in_order_window
/// The way this book recommends: `send_result` queues each message at the
/// call, in the order of this loop, and at most `bound` reports are awaited
/// at a time, oldest first.
pub async fn in_order_window(
    producer: &FutureProducer,
    topic: &str,
    messages: Vec<KeyValue>,
    bound: usize,
) -> anyhow::Result<Vec<KafkaResult<Delivery>>> {
    let mut in_flight = VecDeque::with_capacity(bound);
    let mut reports = Vec::with_capacity(messages.len());
    for (key, value) in &messages {
        if in_flight.len() == bound {
            reports.push(report_of(in_flight.pop_front().unwrap()).await?);
        }
        let mut record = FutureRecord::to(topic).key(key).payload(value);
        loop {
            match producer.send_result(record) {
                Ok(report) => break in_flight.push_back(report),
                // The queue frees room as reports are served: wait for the
                // oldest, then try the same message again, so none overtakes it.
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    match in_flight.pop_front() {
                        Some(oldest) => reports.push(report_of(oldest).await?),
                        // Someone else's messages fill the queue.
                        None => tokio::time::sleep(Duration::from_millis(1)).await,
                    }
                }
                // Any other error is this message's report: it was not queued.
                Err((err, _record)) => break reports.push(Err(err)),
            }
        }
    }
    for report in in_flight {
        reports.push(report_of(report).await?);
    }
    Ok(reports)
}

/// What a `send_result` future resolves to: where the message landed, or
/// why it did not. It fails only if the producer went away first.
async fn report_of(
    report: rdkafka::producer::DeliveryFuture,
) -> anyhow::Result<KafkaResult<Delivery>> {
    let report = report.await?;
    Ok(report.map_err(|(err, _msg)| err))
}
// ANCHOR_END: in_order_window

/// Puts reports tagged with their message's place back in that order.
fn in_sent_order(mut reports: Vec<(usize, KafkaResult<Delivery>)>) -> Vec<KafkaResult<Delivery>> {
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, report)| report).collect()
}

// ANCHOR: out_of_order
/// How many messages landed before one with the same key sent earlier:
/// one key goes to one partition, so a lower offset means "written first".
pub fn out_of_order(messages: &[KeyValue], reports: &[KafkaResult<Delivery>]) -> usize {
    let mut highest: HashMap<&str, i64> = HashMap::new();
    let mut count = 0;
    for ((key, _value), report) in messages.iter().zip(reports) {
        let Ok(delivery) = report else { continue };
        let highest = highest.entry(key.as_str()).or_insert(-1);
        if delivery.offset < *highest {
            count += 1;
        }
        *highest = (*highest).max(delivery.offset);
    }
    count
}
// ANCHOR_END: out_of_order

/// `count` messages over ten keys; each value says which way wrote it and
/// its place in the sequence.
pub fn messages(way: &str, count: usize) -> Vec<KeyValue> {
    (0..count)
        .map(|seq| {
            let key = format!("key-{}", seq % 10);
            let value = serde_json::json!({ "way": way, "seq": seq }).to_string();
            (key, value)
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // ANCHOR: producer
    let producer: FutureProducer = broker
        .config()
        // A small queue, so that 10,000 messages are more than it holds.
        .set("queue.buffering.max.messages", "1000")
        .create()?;
    let bound = 500;
    // ANCHOR_END: producer

    println!("way                  time        delivered  failed  out of order");
    for way in [
        "spawn_each",
        "spawn_with_permits",
        "buffered_stream",
        "in_order_window",
    ] {
        let messages = messages(way, 10_000);
        let stopwatch = listings::Stopwatch::start();
        let reports = match way {
            "spawn_each" => spawn_each(&producer, &topic, messages.clone()).await?,
            "spawn_with_permits" => {
                spawn_with_permits(&producer, &topic, messages.clone(), bound).await?
            }
            "buffered_stream" => {
                buffered_stream(&producer, &topic, messages.clone(), bound).await?
            }
            _ => in_order_window(&producer, &topic, messages.clone(), bound).await?,
        };
        let elapsed = listings::format_duration(stopwatch.elapsed());
        let delivered = reports.iter().filter(|r| r.is_ok()).count();
        let failed = reports.len() - delivered;
        let out_of_order = out_of_order(&messages, &reports);
        println!("{way:<20} {elapsed:>10} {delivered:>10} {failed:>7} {out_of_order:>13}");
    }
    Ok(())
}
