// Setting up: which broker, which topic, and a producer to write with.
use rdkafka::config::ClientConfig;
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
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap_servers())
        .create()?;
    // ANCHOR_END: producer

    let _ = producer;
    println!(
        "Producer ready to write to topic {topic} at {}",
        broker.bootstrap_servers()
    );
    Ok(())
}
