// Replication and acks: 10,000 keyed messages to a topic with three
// replicas and min.insync.replicas=2, with `acks` from ACKS (all, the
// default, or 1). After 3,000 messages the listing runs the command in
// KILL_BROKER, with `{}` replaced by the id of partition 0's leader, e.g.
//   KILL_BROKER='scripts/kafka cluster kill {}'   or
//   KILL_BROKER='docker compose kill kafka-{}'
// then reads the topic back and compares it with the delivery reports.
use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;

/// How many messages the listing writes.
const MESSAGES: usize = 10_000;
/// The keys are `qc-key-0` to `qc-key-9`: every partition gets some.
const KEYS: usize = 10;
/// After how many messages the leader of partition 0 is killed.
const KILL_AFTER: usize = 3_000;
/// How long each request to the cluster may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One delivery report: when it came, which message, and where it went.
struct Report {
    at: Instant,
    count: usize,
    result: Result<(i32, i64), String>,
}

/// Keeps every delivery report.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<Report>>>);

impl ClientContext for Reports {}

// ANCHOR: reports
impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let (message, outcome) = match result {
            Ok(m) => (m, Ok((m.partition(), m.offset()))),
            Err((e, m)) => (m, Err(e.to_string())),
        };
        let value: serde_json::Value =
            serde_json::from_slice(message.payload().unwrap_or_default()).unwrap_or_default();
        self.0.lock().unwrap().push(Report {
            at: Instant::now(),
            count: value["count"].as_u64().unwrap_or(u64::MAX) as usize,
            result: outcome,
        });
    }
}
// ANCHOR_END: reports

fn main() -> anyhow::Result<()> {
    let acks = env::var("ACKS").unwrap_or_else(|_| "all".into());
    if acks != "all" && acks != "1" {
        bail!("ACKS is {acks:?}: this listing compares acks=all and acks=1");
    }
    let topic = format!("{}-leader-kill", listings::topic_from_env()?);
    let broker = listings::Broker::from_env()?;
    create_replicated_topic(&broker, &topic, 2)?;
    let start = end_offsets(&broker, &topic)?;

    // ANCHOR: producer
    let reports = Reports::default();
    let producer: BaseProducer<Reports> = broker
        .config()
        .set("acks", &acks)
        // Idempotence needs acks=all; with acks=1 it is off.
        .set("enable.idempotence", (acks == "all").to_string())
        // A minute per message: longer than a new leader takes.
        .set("message.timeout.ms", "60000")
        .set("reconnect.backoff.max.ms", "1000")
        .create_with_context(reports.clone())?;
    // ANCHOR_END: producer

    let leaders_before = leaders(&producer, &topic)?;
    let mut killed = None;
    let started = Instant::now();
    // ANCHOR: produce
    for n in 0..MESSAGES {
        if n == KILL_AFTER {
            killed = kill_leader(leaders_before[&0])?.map(|id| (id, Instant::now()));
        }
        let key = format!("qc-key-{}", n % KEYS);
        let value = json!({ "count": n }).to_string();
        producer
            .send(BaseRecord::to(&topic).key(&key).payload(&value))
            .map_err(|(err, _record)| err)?;
        producer.poll(Duration::ZERO);
        // About five seconds in all, so that the kill finds writes in flight.
        if n % 100 == 99 {
            thread::sleep(Duration::from_millis(50));
        }
    }
    producer.flush(Duration::from_secs(65))?;
    // ANCHOR_END: produce
    println!(
        "acks={acks}: {MESSAGES} sent and reported in {}",
        listings::format_duration(started.elapsed())
    );

    let leaders_after = leaders(&producer, &topic)?;
    let reports = std::mem::take(&mut *reports.0.lock().unwrap());
    // ANCHOR: stall
    for (partition, before) in &leaders_before {
        let after = leaders_after[partition];
        match killed {
            Some((_, at)) => println!(
                "partition {partition}: leader {before} -> {after}, longest wait for an \
                 acknowledgement after the kill: {}",
                listings::format_duration(longest_wait_after(&reports, *partition, at))
            ),
            None => println!("partition {partition}: leader {before} -> {after}"),
        }
    }
    // ANCHOR_END: stall
    // ANCHOR: compare
    let acknowledged: BTreeMap<usize, (i32, i64)> = reports
        .iter()
        .filter_map(|r| Some((r.count, r.result.clone().ok()?)))
        .collect();
    let failed: Vec<&Report> = reports.iter().filter(|r| r.result.is_err()).collect();
    let stored = read_back(&broker, &topic, &start)?;
    let copies = stored.iter().fold(BTreeMap::new(), |mut copies, m| {
        *copies.entry(m.count).or_insert(0) += 1;
        copies
    });
    let missing: Vec<usize> = acknowledged
        .keys()
        .filter(|count| !copies.contains_key(count))
        .copied()
        .collect();
    let unacknowledged = copies
        .keys()
        .filter(|count| !acknowledged.contains_key(count))
        .count();
    // ANCHOR_END: compare
    println!(
        "acks={acks}: {} acknowledged, {} failed{}",
        acknowledged.len(),
        failed.len(),
        match failed.first() {
            Some(r) => format!(" (first: {})", r.result.clone().unwrap_err()),
            None => String::new(),
        }
    );
    println!(
        "acks={acks}: the topic holds {} messages, {} distinct: {} acknowledged and \
         missing, {unacknowledged} stored without an acknowledgement, {} duplicates, \
         {} out of order",
        stored.len(),
        copies.len(),
        missing.len(),
        stored.len() - copies.len(),
        out_of_order(&stored)
    );
    if !missing.is_empty() {
        println!("acks={acks}: acknowledged and missing: {missing:?}");
    }
    if killed.is_none() {
        println!("acks={acks}: nobody killed a broker (KILL_BROKER is not set)");
    }
    Ok(())
}

// ANCHOR: kill
/// Runs KILL_BROKER for `leader`, if it is set; returns whom it killed.
fn kill_leader(leader: i32) -> anyhow::Result<Option<i32>> {
    let Ok(command) = env::var("KILL_BROKER") else {
        return Ok(None);
    };
    let command = command.replace("{}", &leader.to_string());
    println!("killing broker {leader}, the leader of partition 0: {command}");
    let status = Command::new("sh").args(["-c", &command]).status()?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(Some(leader))
}
// ANCHOR_END: kill

/// The leader of each partition of `topic`, from the cluster's metadata.
fn leaders(producer: &BaseProducer<Reports>, topic: &str) -> anyhow::Result<BTreeMap<i32, i32>> {
    let metadata = producer.client().fetch_metadata(Some(topic), TIMEOUT)?;
    let partitions = metadata.topics()[0].partitions();
    if partitions.is_empty() {
        bail!("topic {topic} has no partitions");
    }
    Ok(partitions.iter().map(|p| (p.id(), p.leader())).collect())
}

/// The longest time `partition` went without an acknowledgement after `from`.
fn longest_wait_after(reports: &[Report], partition: i32, from: Instant) -> Duration {
    let mut last = from;
    let mut longest = Duration::ZERO;
    for report in reports.iter().filter(|r| r.at >= from) {
        if report.result.as_ref().is_ok_and(|(p, _)| *p == partition) {
            longest = longest.max(report.at - last);
            last = report.at;
        }
    }
    longest
}

/// A message as read back: its key and count.
struct Stored {
    key: Vec<u8>,
    count: usize,
}

/// Messages stored after a message with a higher count of the same key.
fn out_of_order(stored: &[Stored]) -> usize {
    let mut last: BTreeMap<&[u8], usize> = BTreeMap::new();
    let mut late = 0;
    for m in stored {
        if last
            .insert(&m.key, m.count)
            .is_some_and(|before| before >= m.count)
        {
            late += 1;
        }
    }
    late
}

/// Where each partition of `topic` ends now.
fn end_offsets(broker: &listings::Broker, topic: &str) -> anyhow::Result<BTreeMap<i32, i64>> {
    let consumer: BaseConsumer = broker.config().create()?;
    let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
    let mut ends = BTreeMap::new();
    for partition in metadata.topics()[0].partitions() {
        // A new leader answers OffsetNotAvailable until its high watermark
        // has caught up, which takes a follower's fetch: ask again.
        let deadline = Instant::now() + Duration::from_secs(30);
        let high = loop {
            match consumer.fetch_watermarks(topic, partition.id(), TIMEOUT) {
                Ok((_low, high)) => break high,
                Err(KafkaError::MetadataFetch(RDKafkaErrorCode::OffsetNotAvailable))
                    if Instant::now() < deadline =>
                {
                    thread::sleep(Duration::from_millis(200))
                }
                Err(err) => return Err(err.into()),
            }
        };
        ends.insert(partition.id(), high);
    }
    Ok(ends)
}

/// The messages of `topic` from `start` to its end now, partition by
/// partition, in offset order.
fn read_back(
    broker: &listings::Broker,
    topic: &str,
    start: &BTreeMap<i32, i64>,
) -> anyhow::Result<Vec<Stored>> {
    let end = end_offsets(broker, topic)?;
    let consumer: BaseConsumer = broker
        .config()
        .set("group.id", "leader-kill-listing")
        .set("enable.auto.commit", "false")
        .create()?;
    let from = |p: &i32| start.get(p).copied().unwrap_or(0);
    let mut assignment = TopicPartitionList::new();
    for partition in end.keys() {
        assignment.add_partition_offset(topic, *partition, Offset::Offset(from(partition)))?;
    }
    consumer.assign(&assignment)?;
    let mut remaining: BTreeSet<i32> = end
        .iter()
        .filter(|(p, e)| **e > from(p))
        .map(|(p, _)| *p)
        .collect();
    let mut by_partition: BTreeMap<i32, Vec<(i64, Stored)>> = BTreeMap::new();
    while !remaining.is_empty() {
        let message = match consumer.poll(TIMEOUT) {
            Some(Ok(message)) => message,
            // A connection to the killed broker failing: not a message.
            Some(Err(KafkaError::MessageConsumption(RDKafkaErrorCode::BrokerTransportFailure))) => {
                continue;
            }
            Some(Err(err)) => return Err(err.into()),
            None => bail!("partitions {remaining:?} of {topic} did not come back"),
        };
        let partition = message.partition();
        if message.offset() >= end[&partition] {
            continue;
        }
        if message.offset() + 1 == end[&partition] {
            remaining.remove(&partition);
        }
        let value: serde_json::Value =
            serde_json::from_slice(message.payload().unwrap_or_default()).unwrap_or_default();
        by_partition.entry(partition).or_default().push((
            message.offset(),
            Stored {
                key: message.key().unwrap_or_default().to_vec(),
                count: value["count"].as_u64().unwrap_or(u64::MAX) as usize,
            },
        ));
    }
    let mut stored = Vec::new();
    for (_, mut messages) in by_partition {
        messages.sort_by_key(|(offset, _)| *offset);
        stored.extend(messages.into_iter().map(|(_, m)| m));
    }
    Ok(stored)
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
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
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
