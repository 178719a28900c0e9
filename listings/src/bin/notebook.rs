// Runs the notebook's listings in chapter order, as one would run the
// notebook's cells top to bottom: `cargo run -p listings`.
//
// Each listing is compiled in here as a module, so that this one command
// needs nothing else built, and all of them share one broker and one topic.

macro_rules! listing {
    ($name:ident) => {
        mod $name {
            include!(concat!(stringify!($name), ".rs"));

            pub fn run() -> anyhow::Result<()> {
                main()
            }
        }
    };
}

listing!(send_returns_at_once);
listing!(setup);
listing!(flush_each);
listing!(flush_once);
listing!(librdkafka_flush);
listing!(send_and_wait);
listing!(delivery_reports);
listing!(poll_async);
listing!(threaded_producer);
listing!(drop_without_flush);
listing!(keys);

/// A chapter's title, its listing's name, and the listing.
type Chapter = (&'static str, &'static str, fn() -> anyhow::Result<()>);

/// The chapters, in the book's order, with the listing each one runs.
const CHAPTERS: &[Chapter] = &[
    (
        "What send does",
        "send_returns_at_once",
        send_returns_at_once::run,
    ),
    ("Setting up", "setup", setup::run),
    (
        "Synchronous writes: flush after each message",
        "flush_each",
        flush_each::run,
    ),
    (
        "Synchronous writes: flush once",
        "flush_once",
        flush_once::run,
    ),
    (
        "Synchronous writes: librdkafka's flush",
        "librdkafka_flush",
        librdkafka_flush::run,
    ),
    (
        "Synchronous writes: send and wait",
        "send_and_wait",
        send_and_wait::run,
    ),
    (
        "Delivery reports",
        "delivery_reports",
        delivery_reports::run,
    ),
    ("Asynchronous writes", "poll_async", poll_async::run),
    (
        "Asynchronous writes: a polling thread",
        "threaded_producer",
        threaded_producer::run,
    ),
    (
        "Good practice: flush before drop",
        "drop_without_flush",
        drop_without_flush::run,
    ),
    ("Good practice: keys", "keys", keys::run),
];

fn main() -> anyhow::Result<()> {
    // Start the embedded broker once, before any listing does, and point
    // every listing at it: one broker, one topic, offsets that keep growing.
    let broker = listings::Broker::from_env()?;
    if broker.is_embedded() {
        // The listings see a broker address, so they cannot create the topic
        // through the embedded broker's own call: create it for them.
        broker.create_topic(&listings::topic_from_env()?)?;
        std::env::set_var("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers());
    }
    for (number, (title, name, run)) in CHAPTERS.iter().enumerate() {
        println!(
            "\n== {}. {title} (cargo run -p listings --bin {name})",
            number + 1
        );
        run()?;
    }
    Ok(())
}
