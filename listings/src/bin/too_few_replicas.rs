// Replication and acks: writes to a partition that has fewer in-sync
// replicas than its topic's min.insync.replicas. The topic asks for all
// three (min.insync.replicas=3). When KILL_BROKER is set, the listing runs
// it first for a follower of partition 0 (`{}` is the broker's id), and
// waits until the cluster has taken that broker out of the in-sync set; on
// a cluster of fewer than three brokers there are too few replicas anyway.
// When START_BROKER is set, the last write runs it to bring the broker back.
//   KILL_BROKER='scripts/kafka cluster kill {}' START_BROKER='scripts/kafka cluster restart {}'
//   KILL_BROKER='docker compose kill kafka-{}' START_BROKER='docker compose start kafka-{}'
use std::env;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, ProducerContext};
use rdkafka::ClientContext;

/// How long each request to the cluster may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends the delivery report of the one message a producer writes.
struct Report(mpsc::Sender<Result<i64, String>>);

impl ClientContext for Report {}

impl ProducerContext for Report {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let report = match result {
            Ok(m) => Ok(m.offset()),
            Err((e, _)) => Err(e.to_string()),
        };
        self.0.send(report).ok();
    }
}

fn main() -> anyhow::Result<()> {
    let topic = format!("{}-too-few-replicas", listings::topic_from_env()?);
    let broker = listings::Broker::from_env()?;
    create_topic_needing_three(&broker, &topic)?;
    let follower = match env::var("KILL_BROKER") {
        Ok(command) => Some(kill_a_follower(&broker, &topic, &command)?),
        Err(_) => None,
    };
    let isr = in_sync_replicas(&broker, &topic)?;
    println!("partition 0: in sync {isr:?}, min.insync.replicas 3");

    // ANCHOR: writes
    write(&broker, &topic, "acks=1", &[("acks", "1")])?;
    write(
        &broker,
        &topic,
        "acks=all, no retries",
        &[("acks", "all"), ("retries", "0")],
    )?;
    write(
        &broker,
        &topic,
        "acks=all, 5 s to deliver",
        &[("acks", "all"), ("message.timeout.ms", "5000")],
    )?;
    // ANCHOR_END: writes
    match (follower, env::var("START_BROKER")) {
        (Some(id), Ok(command)) => {
            // ANCHOR: back
            let command = command.replace("{}", &id.to_string());
            println!("starting broker {id} again while the write waits: {command}");
            let mut start = Command::new("sh").args(["-c", &command]).spawn()?;
            write(
                &broker,
                &topic,
                "acks=all, 60 s to deliver",
                &[("acks", "all"), ("message.timeout.ms", "60000")],
            )?;
            // ANCHOR_END: back
            wait_for(&mut start, &command)?;
        }
        _ => println!("no broker to bring back (KILL_BROKER and START_BROKER are not both set)"),
    }
    Ok(())
}

// ANCHOR: write
/// Writes one message to partition 0 with `settings`; prints its report.
fn write(
    broker: &listings::Broker,
    topic: &str,
    label: &str,
    settings: &[(&str, &str)],
) -> anyhow::Result<()> {
    let (reports, report) = mpsc::channel();
    let mut config = broker.config();
    for (key, value) in settings {
        config.set(*key, *value);
    }
    let producer: BaseProducer<Report> = config.create_with_context(Report(reports))?;
    let sent = Instant::now();
    producer
        .send(
            BaseRecord::to(topic)
                .partition(0)
                .key("qc-key")
                .payload(label),
        )
        .map_err(|(err, _record)| err)?;
    let result = loop {
        producer.poll(Duration::from_millis(10));
        if let Ok(result) = report.try_recv() {
            break result;
        }
        if sent.elapsed() > Duration::from_secs(90) {
            bail!("{label}: no delivery report after 90 s");
        }
    };
    let after = listings::format_duration(sent.elapsed());
    match result {
        Ok(offset) => println!("{label}: delivered at offset {offset} after {after}"),
        Err(err) => println!("{label}: failed after {after}: {err}"),
    }
    Ok(())
}
// ANCHOR_END: write

/// Runs KILL_BROKER for a follower of partition 0, then waits until the
/// cluster has taken it out of the partition's in-sync replicas.
fn kill_a_follower(broker: &listings::Broker, topic: &str, command: &str) -> anyhow::Result<i32> {
    let consumer: BaseConsumer = broker.config().create()?;
    let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
    let partition = &metadata.topics()[0].partitions()[0];
    let Some(&follower) = partition
        .replicas()
        .iter()
        .find(|&&id| id != partition.leader())
    else {
        bail!("partition 0 of {topic} has no follower to kill: one broker only?");
    };
    let command = command.replace("{}", &follower.to_string());
    println!("killing broker {follower}, a follower of partition 0: {command}");
    let mut kill = Command::new("sh").args(["-c", &command]).spawn()?;
    wait_for(&mut kill, &command)?;
    let killed = Instant::now();
    while in_sync_replicas(broker, topic)?.contains(&follower) {
        if killed.elapsed() > Duration::from_secs(60) {
            bail!("broker {follower} still in sync 60 s after {command:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "broker {follower} out of the in-sync replicas {} after the kill",
        listings::format_duration(killed.elapsed())
    );
    Ok(follower)
}

/// The in-sync replicas of partition 0, from the cluster's metadata.
fn in_sync_replicas(broker: &listings::Broker, topic: &str) -> anyhow::Result<Vec<i32>> {
    let consumer: BaseConsumer = broker.config().create()?;
    let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
    let partitions = metadata.topics()[0].partitions();
    let partition = partitions.first().context("the topic has no partition 0")?;
    Ok(partition.isr().to_vec())
}

/// Waits up to 90 s for a command this listing started.
fn wait_for(child: &mut Child, command: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{command:?} failed: {status}");
            }
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(90) {
            child.kill().ok();
            bail!("{command:?} still running after 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates `topic` unless it exists: 3 partitions, as many replicas as the
/// cluster has brokers up to 3, and `min.insync.replicas=3`. The embedded
/// broker takes neither setting: 1 replica, and no minimum.
fn create_topic_needing_three(broker: &listings::Broker, topic: &str) -> anyhow::Result<()> {
    if broker.is_embedded() {
        return broker.create_topic(topic);
    }
    if broker.topic_exists(topic)? {
        return Ok(());
    }
    let replicas = broker.replication_factor()?;
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    // ANCHOR: topic
    let new_topic = NewTopic::new(
        topic,
        listings::PARTITIONS,
        TopicReplication::Fixed(replicas),
    )
    .set("min.insync.replicas", "3");
    // ANCHOR_END: topic
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
