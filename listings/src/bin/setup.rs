// Setting up: which broker, which topic, and a producer to write with.
use rdkafka::producer::BaseProducer;

fn main() -> anyhow::Result<()> {
    // ANCHOR: topic
    // One topic per student, so that a class can share one broker.
    // KAFKA_TOPIC names it; unset, it is "<your user name>-topic".
    let topic = listings::topic_from_env()?;
    // ANCHOR_END: topic

    // ANCHOR: broker
    // KAFKA_BOOTSTRAP_SERVERS names the broker; unset, an embedded one starts.
    let broker = listings::Broker::from_env()?;
    broker.create_topic(&topic)?;
    // ANCHOR_END: broker

    // ANCHOR: producer
    // `bootstrap.servers`, and the settings of KAFKA_CONFIG_FILE if it is set.
    let producer: BaseProducer = broker.config().create()?;
    // ANCHOR_END: producer

    let _ = producer;
    println!(
        "Producer ready to write to topic {topic} at {}",
        broker.bootstrap_servers()
    );
    Ok(())
}
