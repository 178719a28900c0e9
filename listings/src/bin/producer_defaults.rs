// The defaults of the settings this book talks about, as librdkafka itself
// reports them for a configuration that sets none of them.
use rdkafka::config::ClientConfig;

// ANCHOR: defaults
/// The settings whose defaults the chapters quote.
const SETTINGS: [&str; 15] = [
    "acks",
    "retries",
    "enable.idempotence",
    "max.in.flight.requests.per.connection",
    "retry.backoff.ms",
    "message.timeout.ms",
    "linger.ms",
    "sticky.partitioning.linger.ms",
    "batch.num.messages",
    "batch.size",
    "queue.buffering.max.messages",
    "queue.buffering.max.kbytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "statistics.interval.ms",
];

fn main() -> anyhow::Result<()> {
    // librdkafka's own configuration object, with every default filled in.
    // Some settings, `acks` among them, belong to the default topic
    // configuration, which librdkafka makes only once a topic setting is
    // set: `partitioner`, set here to its own default, makes it.
    let config = ClientConfig::new()
        .set("partitioner", "consistent_random")
        .create_native_config()?;
    println!("| setting | librdkafka's default |");
    println!("|---|---|");
    for setting in SETTINGS {
        println!("| `{setting}` | {} |", config.get(setting)?);
    }
    Ok(())
}
// ANCHOR_END: defaults
