// Runs the notebook's listings in chapter order, as one would run the
// notebook's cells top to bottom: `cargo run -p listings`.
//
// Each listing is compiled in here as a module, so that this one command
// needs nothing else built, and all of them share one broker and one topic.

/// Compiles each listing in as a module, and lists the chapters in the
/// book's order: the chapter's title and the listing it runs.
macro_rules! chapters {
    ($($name:ident: $title:literal,)*) => {
        $(
            mod $name {
                include!(concat!(stringify!($name), ".rs"));

                pub fn run() -> anyhow::Result<()> {
                    main()
                }
            }
        )*

        const CHAPTERS: &[(&str, &str, fn() -> anyhow::Result<()>)] =
            &[$(($title, stringify!($name), $name::run)),*];
    };
}

chapters! {
    send_returns_at_once: "What send does",
    setup: "Setting up",
    flush_each: "Synchronous writes: flush after each message",
    flush_once: "Synchronous writes: flush once",
    librdkafka_flush: "Synchronous writes: librdkafka's flush",
    flush_promptly: "Synchronous writes: flush promptly, without unsafe",
    send_and_wait: "Synchronous writes: send and wait",
    delivery_reports: "Delivery reports",
    poll_async: "Asynchronous writes",
    threaded_producer: "Asynchronous writes: a polling thread",
    drop_without_flush: "Good practice: flush before drop",
    keys: "Good practice: keys",
}

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
