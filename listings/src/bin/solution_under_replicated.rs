// Exercise solution (Replication and acks): for each partition of the
// topic, its leader, its replicas, the ones in sync, and whether a write
// with acks=all would be taken now or refused with NotEnoughReplicas.
use std::time::Duration;

use anyhow::Context;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// How long each request to the cluster may take.
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    // The embedded broker keeps no topic configuration: Kafka's default.
    let min_insync: usize = if broker.is_embedded() {
        1
    } else {
        min_insync_replicas(&broker, &topic)?
    };
    let consumer: BaseConsumer = broker.config().create()?;
    let metadata = consumer.fetch_metadata(Some(&topic), TIMEOUT)?;
    for p in metadata.topics()[0].partitions() {
        let (replicas, in_sync) = (p.replicas().len(), p.isr().len());
        // The leader asks for min.insync.replicas, or for every replica
        // when the partition has fewer (Kafka's effectiveMinIsr).
        let needed = min_insync.min(replicas);
        println!(
            "partition {}: leader {}, {replicas} replicas, {in_sync} in sync {:?}, \
             {needed} needed: {}, acks=all {}",
            p.id(),
            p.leader(),
            p.isr(),
            if in_sync < replicas {
                "under-replicated"
            } else {
                "fully replicated"
            },
            // The in-sync replicas include the leader itself.
            if in_sync >= needed {
                "taken"
            } else {
                "refused"
            }
        );
    }
    Ok(())
}

/// The topic's `min.insync.replicas`, as the cluster reports it.
fn min_insync_replicas(broker: &listings::Broker, topic: &str) -> anyhow::Result<usize> {
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options))?;
    let config = results
        .into_iter()
        .next()
        .context("no answer about the topic's configuration")?
        .map_err(|code| anyhow::anyhow!("describing {topic}: {code}"))?;
    let value = config
        .get("min.insync.replicas")
        .and_then(|entry| entry.value.clone())
        .context("no min.insync.replicas in the topic's configuration")?;
    value
        .parse()
        .with_context(|| format!("min.insync.replicas is {value:?}"))
}
