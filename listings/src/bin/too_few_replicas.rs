// Replication and acks: writes to a partition that has fewer in-sync
// replicas than its topic's min.insync.replicas. The topic has three
// replicas and min.insync.replicas=2. When KILL_BROKER is set, the listing
// runs it for both followers of partition 0 (`{}` is the broker's id), and
// waits until the cluster has taken them out of the in-sync set, which
// leaves the leader alone in it. When START_BROKER is set, the last writes
// run it for one of the two, to bring it back while they wait.
//   KILL_BROKER='scripts/kafka cluster kill {}' START_BROKER='scripts/kafka cluster restart {}'
//   KILL_BROKER='docker compose kill kafka-{}' START_BROKER='docker compose start kafka-{}'
use std::env;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, ProducerContext};
use rdkafka::ClientContext;

/// How many messages each way of writing sends.
const MESSAGES: usize = 10;
/// How long each request to the cluster may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends on each delivery report: the offset, or the error.
struct Reports(mpsc::Sender<Result<i64, String>>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
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
    create_topic(&broker, &topic)?;
    // Asks the cluster for metadata and high watermarks throughout.
    let consumer: BaseConsumer = broker.config().create()?;
    let followers = match env::var("KILL_BROKER") {
        Ok(command) => kill_the_followers(&consumer, &topic, &command)?,
        Err(_) => Vec::new(),
    };
    let (leader, _, isr) = partition_zero(&consumer, &topic)?;
    println!("partition 0: leader {leader}, in sync {isr:?}, min.insync.replicas 2");
    // Where partition 0 ends before the writes (a topic of an earlier run
    // holds that run's messages).
    let start = high_watermark(&consumer, &topic)?;

    // ANCHOR: writes
    let mut delivered = write(&broker, &topic, "acks=1", &[("acks", "1")])?;
    readable(&consumer, &topic, start, delivered)?;
    delivered += write(
        &broker,
        &topic,
        "acks=all, no retries",
        &[("acks", "all"), ("retries", "0")],
    )?;
    delivered += write(
        &broker,
        &topic,
        "acks=all, 10 s to deliver",
        &[("acks", "all"), ("message.timeout.ms", "10000")],
    )?;
    // ANCHOR_END: writes
    match (&followers[..], env::var("START_BROKER")) {
        ([first, rest @ ..], Ok(command)) => {
            // ANCHOR: back
            let command = command.replace("{}", &first.to_string());
            println!("starting broker {first} again while the writes wait: {command}");
            let mut starting = Command::new("sh").args(["-c", &command]).spawn()?;
            delivered += write(
                &broker,
                &topic,
                "acks=all, 60 s to deliver",
                &[("acks", "all"), ("message.timeout.ms", "60000")],
            )?;
            readable(&consumer, &topic, start, delivered)?;
            // ANCHOR_END: back
            wait_for(&mut starting, &command)?;
            for id in rest {
                println!("broker {id} is still down");
            }
        }
        _ => println!("no broker to bring back (KILL_BROKER and START_BROKER are not both set)"),
    }
    Ok(())
}

// ANCHOR: write
/// Writes MESSAGES messages to partition 0 with `settings`, prints what
/// their delivery reports say, and returns how many were delivered.
fn write(
    broker: &listings::Broker,
    topic: &str,
    label: &str,
    settings: &[(&str, &str)],
) -> anyhow::Result<usize> {
    let (reports, report) = mpsc::channel();
    let mut config = broker.config();
    for (key, value) in settings {
        config.set(*key, *value);
    }
    let producer: BaseProducer<Reports> = config.create_with_context(Reports(reports))?;
    let sent = Instant::now();
    for n in 0..MESSAGES {
        let payload = format!("{label} #{n}");
        producer
            .send(
                BaseRecord::to(topic)
                    .partition(0)
                    .key("qc-key")
                    .payload(&payload),
            )
            .map_err(|(err, _record)| err)?;
    }
    let mut offsets = Vec::new();
    let mut errors = Vec::new();
    while offsets.len() + errors.len() < MESSAGES {
        producer.poll(Duration::from_millis(10));
        while let Ok(result) = report.try_recv() {
            match result {
                Ok(offset) => offsets.push(offset),
                Err(err) => errors.push(err),
            }
        }
        if sent.elapsed() > Duration::from_secs(90) {
            bail!("{label}: not every delivery report came within 90 s");
        }
    }
    let after = listings::format_duration(sent.elapsed());
    let mut line = format!(
        "{label}: {} of {MESSAGES} delivered in {after}",
        offsets.len()
    );
    if let (Some(first), Some(last)) = (offsets.iter().min(), offsets.iter().max()) {
        line += &format!(", at offsets {first} to {last}");
    }
    let failed = errors.len();
    errors.dedup();
    if failed > 0 {
        line += &format!("; {failed} failed: {}", errors.join(" | "));
    }
    println!("{line}");
    Ok(offsets.len())
}
// ANCHOR_END: write

/// Partition 0's high watermark: the offset up to which consumers may read.
fn high_watermark(consumer: &BaseConsumer, topic: &str) -> anyhow::Result<i64> {
    let (_low, high) = consumer.fetch_watermarks(topic, 0, TIMEOUT)?;
    Ok(high)
}

/// Prints how many of the messages delivered since `start` consumers may
/// read: the followers need a moment to fetch them, so this waits up to a
/// second for the high watermark to pass them all.
fn readable(
    consumer: &BaseConsumer,
    topic: &str,
    start: i64,
    delivered: usize,
) -> anyhow::Result<()> {
    let asked = Instant::now();
    let mut high = high_watermark(consumer, topic)?;
    while high - start < delivered as i64 && asked.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(50));
        high = high_watermark(consumer, topic)?;
    }
    println!(
        "partition 0: high watermark {high} after {}: consumers may read {} of the \
         {delivered} messages delivered so far",
        listings::format_duration(asked.elapsed()),
        high - start
    );
    Ok(())
}

/// Runs KILL_BROKER for both followers of partition 0, then waits until
/// the cluster has taken them out of the partition's in-sync replicas.
fn kill_the_followers(
    consumer: &BaseConsumer,
    topic: &str,
    command: &str,
) -> anyhow::Result<Vec<i32>> {
    let (leader, replicas, _) = partition_zero(consumer, topic)?;
    let followers: Vec<i32> = replicas.into_iter().filter(|&id| id != leader).collect();
    if followers.len() < 2 {
        bail!(
            "partition 0 of {topic} has {} followers, not two: fewer than three brokers?",
            followers.len()
        );
    }
    for follower in &followers {
        let command = command.replace("{}", &follower.to_string());
        println!("killing broker {follower}, a follower of partition 0: {command}");
        let mut kill = Command::new("sh").args(["-c", &command]).spawn()?;
        wait_for(&mut kill, &command)?;
    }
    let killed = Instant::now();
    while partition_zero(consumer, topic)?
        .2
        .iter()
        .any(|id| followers.contains(id))
    {
        if killed.elapsed() > Duration::from_secs(60) {
            bail!("brokers {followers:?} still in sync 60 s after KILL_BROKER ({command:?}) ran");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "brokers {followers:?} out of the in-sync replicas {} after the kills",
        listings::format_duration(killed.elapsed())
    );
    Ok(followers)
}

/// The leader, the replicas and the in-sync replicas of partition 0, from
/// the metadata; a topic just created may take a moment to appear there.
fn partition_zero(
    consumer: &BaseConsumer,
    topic: &str,
) -> anyhow::Result<(i32, Vec<i32>, Vec<i32>)> {
    let asked = Instant::now();
    loop {
        let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
        let partitions = metadata.topics().first().map(|t| t.partitions());
        if let Some(p) = partitions
            .and_then(|p| p.first())
            .filter(|p| p.leader() >= 0)
        {
            return Ok((p.leader(), p.replicas().to_vec(), p.isr().to_vec()));
        }
        if asked.elapsed() > TIMEOUT {
            bail!(
                "partition 0 of {topic} has no leader after {} s",
                TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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
/// cluster has brokers up to 3, and `min.insync.replicas=2`. The embedded
/// broker takes neither setting: 1 replica, and no minimum.
fn create_topic(broker: &listings::Broker, topic: &str) -> anyhow::Result<()> {
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
    .set("min.insync.replicas", "2");
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
