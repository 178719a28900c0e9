// Replication and acks: a topic with three replicas per partition and
// min.insync.replicas=2, and what the cluster's metadata says about it:
// the brokers, and each partition's leader, replicas and in-sync replicas.
use std::time::Duration;

use anyhow::Context;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;

/// How long each request to the cluster may take.
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> anyhow::Result<()> {
    let topic = format!("{}-replicated", listings::topic_from_env()?);
    let broker = listings::Broker::from_env()?;
    create_replicated_topic(&broker, &topic, 2)?;

    // ANCHOR: metadata
    let consumer: BaseConsumer = broker.config().create()?;
    let metadata = consumer.fetch_metadata(Some(&topic), TIMEOUT)?;
    for b in metadata.brokers() {
        println!("broker {} at {}:{}", b.id(), b.host(), b.port());
    }
    for partition in metadata.topics()[0].partitions() {
        println!(
            "{topic} [{}]: leader {}, replicas {:?}, in sync {:?}",
            partition.id(),
            partition.leader(),
            partition.replicas(),
            partition.isr()
        );
    }
    // ANCHOR_END: metadata
    if !broker.is_embedded() {
        println!(
            "min.insync.replicas: {}",
            min_insync_replicas(&broker, &topic)?
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
    // ANCHOR: create
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    let new_topic = NewTopic::new(
        topic,
        listings::PARTITIONS,
        TopicReplication::Fixed(replicas),
    )
    .set("min.insync.replicas", &min_insync);
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let results = block_on(admin.create_topics([&new_topic], &options))??;
    // ANCHOR_END: create
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => anyhow::bail!("could not create topic {name:?}: {code}"),
        }
    }
    Ok(())
}

/// The topic's `min.insync.replicas`, as the cluster reports it.
fn min_insync_replicas(broker: &listings::Broker, topic: &str) -> anyhow::Result<String> {
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let results = block_on(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options))??;
    let config = results
        .into_iter()
        .next()
        .context("no answer about the topic's configuration")?
        .map_err(|code| anyhow::anyhow!("describing {topic}: {code}"))?;
    let entry = config
        .get("min.insync.replicas")
        .context("no min.insync.replicas in the topic's configuration")?;
    Ok(entry.value.clone().unwrap_or_default())
}

/// Waits for an admin request: the admin client's calls are futures.
fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future))
}
