// Replication and acks: what waiting for the followers costs. Writes
// 20,000 messages as fast as it can with acks=1, then with acks=all, three
// rounds taking turns, to a topic with three replicas, and prints messages
// per second and the time from send to delivery report (p50, p99).
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use std::sync::{Arc, Mutex};

/// How many messages each run writes.
const MESSAGES: usize = 20_000;
/// How many rounds of acks=1 then acks=all.
const ROUNDS: usize = 3;

/// The latency of every message delivered, and how many failed.
#[derive(Clone, Default)]
struct Latencies(Arc<Mutex<(Vec<Duration>, usize)>>);

impl ClientContext for Latencies {}

// ANCHOR: latency
impl ProducerContext for Latencies {
    // Each message carries the moment it was sent.
    type DeliveryOpaque = Box<Instant>;

    fn delivery(&self, result: &DeliveryResult<'_>, sent: Box<Instant>) {
        let mut latencies = self.0.lock().unwrap();
        match result {
            Ok(_) => latencies.0.push(sent.elapsed()),
            Err(_) => latencies.1 += 1,
        }
    }
}
// ANCHOR_END: latency

fn main() -> anyhow::Result<()> {
    let topic = format!("{}-acks-cost", listings::topic_from_env()?);
    let broker = listings::Broker::from_env()?;
    create_replicated_topic(&broker, &topic, 2)?;
    let payload = "x".repeat(100);
    let mut results: Vec<(&str, f64, Duration, Duration)> = Vec::new();
    for round in 1..=ROUNDS {
        for acks in ["1", "all"] {
            // ANCHOR: run
            let latencies = Latencies::default();
            let producer: BaseProducer<Latencies> = broker
                .config()
                .set("acks", acks)
                .create_with_context(latencies.clone())?;
            let started = Instant::now();
            for n in 0..MESSAGES {
                let key = format!("qc-key-{}", n % 10);
                let mut record = BaseRecord::with_opaque_to(&topic, Box::new(Instant::now()))
                    .key(&key)
                    .payload(&payload);
                // A full queue is backpressure: serve reports, then try again.
                while let Err((err, back)) = producer.send(record) {
                    if err != KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) {
                        return Err(err.into());
                    }
                    producer.poll(Duration::from_millis(1));
                    record = back;
                }
                producer.poll(Duration::ZERO);
            }
            producer.flush(Duration::from_secs(60))?;
            let elapsed = started.elapsed();
            // ANCHOR_END: run
            let (mut times, failed) = latencies.0.lock().unwrap().clone();
            if failed > 0 || times.len() != MESSAGES {
                bail!("acks={acks}: {} delivered, {failed} failed", times.len());
            }
            times.sort_unstable();
            let p50 = times[times.len() / 2];
            let p99 = times[times.len() * 99 / 100];
            let rate = MESSAGES as f64 / elapsed.as_secs_f64();
            println!(
                "round {round}, acks={acks:<3}: {MESSAGES} messages in {}: {rate:.0} msg/s, \
                 latency p50 {}, p99 {}",
                listings::format_duration(elapsed),
                listings::format_duration(p50),
                listings::format_duration(p99)
            );
            results.push((acks, rate, p50, p99));
        }
    }
    for acks in ["1", "all"] {
        let median = |pick: fn(&(&str, f64, Duration, Duration)) -> f64| {
            let mut values: Vec<f64> = results.iter().filter(|r| r.0 == acks).map(pick).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "median of {ROUNDS}, acks={acks:<3}: {:.0} msg/s, latency p50 {}, p99 {}",
            median(|r| r.1),
            listings::format_duration(Duration::from_secs_f64(median(|r| r.2.as_secs_f64()))),
            listings::format_duration(Duration::from_secs_f64(median(|r| r.3.as_secs_f64())))
        );
    }
    Ok(())
}

/// Creates `topic` unless it exists: 3 partitions, as many replicas as the
/// cluster has brokers up to 3, and `min.insync.replicas` at most
/// `min_insync`. The embedded broker takes neither setting: 1 replica.
fn create_replicated_topic(
    broker: &listings::Broker,
    topic: &str,
    min_insync: i32,
) -> anyhow::Result<()> {
    if broker.is_embedded() {
        return broker.create_topic(topic);
    }
    if broker.topic_exists(topic)? {
        return Ok(());
    }
    let replicas = broker.replication_factor()?;
    let min_insync = min_insync.min(replicas).to_string();
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    let new_topic = NewTopic::new(
        topic,
        listings::PARTITIONS,
        TopicReplication::Fixed(replicas),
    )
    .set("min.insync.replicas", &min_insync);
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(admin.create_topics([&new_topic], &options))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => bail!("could not create topic {name:?}: {code}"),
        }
    }
    Ok(())
}
