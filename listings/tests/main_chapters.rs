// The listings of the main chapters (What send does to Good practice), and
// the notebook program that runs them in order, each run against a broker
// and doing what its chapter says; then read back from the topic.
mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

const REPORT: &str = "Produced record to topic ";

/// The log lines of a loop over `{"count": n}` with or without a key.
fn production_log(key: Option<&str>, n: usize) -> Vec<String> {
    counts(n)
        .into_iter()
        .map(|value| match key {
            Some(key) => format!("Producing record: {key}\t{value}"),
            None => format!("Producing record: {value}"),
        })
        .collect()
}

fn assert_sync_loop(run: &Run, topic: &str) {
    assert_eq!(
        run.lines_starting("Producing record"),
        production_log(Some("qc-key"), 15)
    );
    let done = format!("15 messages were produced to topic {topic}!");
    assert_eq!(run.lines_starting("15 messages"), [done.as_str()]);
    assert_eq!(run.lines_starting("time: ").len(), 1);
}

#[test]
fn send_returns_before_the_broker_has_the_messages() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_send_returns_at_once"), "send");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("15 sends returned after "));
    assert!(lines[0].ends_with("; messages waiting in the producer: 15"));
    assert_eq!(lines[1], "after flush, messages waiting in the producer: 0");
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}

#[test]
fn setup_creates_the_topic_and_a_producer() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_setup"), "setup");
    assert_eq!(
        run.stdout.trim(),
        format!(
            "Producer ready to write to topic {topic} at {}",
            broker.bootstrap_servers()
        )
    );
    assert!(broker.topic_exists(&topic).unwrap());
    assert!(read_back(&broker, &topic).is_empty());
}

#[test]
// On the embedded broker the listing would start one of its own; what it
// creates there is covered by `embedded_broker_is_announced_once`.
#[cfg_attr(
    not(real_kafka),
    ignore = "needs a real Kafka: set KAFKA_BOOTSTRAP_SERVERS"
)]
fn setup_creates_a_missing_topic_with_three_partitions() {
    let broker = broker();
    assert!(!broker.is_embedded(), "needs KAFKA_BOOTSTRAP_SERVERS");
    // A name no run has used: the listing, not this test, must create it.
    let topic = listings::unique_name("test-setup-new");
    assert!(!broker.topic_exists(&topic).unwrap());
    let run = run_listing(env!("CARGO_BIN_EXE_setup"), &broker, &topic);
    assert!(run.success, "{}", run.stderr);
    let consumer: rdkafka::consumer::BaseConsumer = broker.config().create().unwrap();
    let metadata = rdkafka::consumer::Consumer::fetch_metadata(
        &consumer,
        Some(&topic),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(
        metadata.topics()[0].partitions().len() as i32,
        listings::PARTITIONS
    );
}

#[test]
#[cfg_attr(
    not(real_kafka),
    ignore = "needs a real Kafka: set KAFKA_BOOTSTRAP_SERVERS"
)]
fn an_async_listing_creates_its_missing_topic() {
    // Set-up creates the topic with the admin client; inside #[tokio::main]
    // it must not start a second runtime on the same thread (it panicked).
    let broker = broker();
    let topic = listings::unique_name("test-async-new");
    assert!(!broker.topic_exists(&topic).unwrap());
    let run = run_listing(env!("CARGO_BIN_EXE_send_and_wait"), &broker, &topic);
    assert_success(&run, "send_and_wait on a missing topic");
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}

#[test]
fn embedded_broker_is_announced_once_on_stderr() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_setup"));
    command.env_remove("KAFKA_BOOTSTRAP_SERVERS");
    let run = run_command(command, &[("KAFKA_TOPIC", "embedded-topic")]);
    assert!(run.success, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(
        "KAFKA_BOOTSTRAP_SERVERS is not set: using an embedded broker \
         (librdkafka's mock cluster) at 127.0.0.1:"
    ));
    assert!(run
        .stdout
        .starts_with("Producer ready to write to topic embedded-topic at 127.0.0.1:"));
}

#[test]
fn illegal_topic_names_are_refused_with_kafkas_rule() {
    let rule = "a Kafka topic name is 1 to 249 characters from [a-zA-Z0-9._-], \
                and is not \".\" or \"..\"";
    let too_long = "t".repeat(250);
    let cases = [
        (
            "my topic",
            format!("Error: illegal topic name \"my topic\" (character ' '): {rule}"),
        ),
        ("", format!("Error: illegal topic name \"\": {rule}")),
        ("..", format!("Error: illegal topic name \"..\": {rule}")),
        (
            too_long.as_str(),
            format!("Error: illegal topic name \"{too_long}\": {rule}"),
        ),
    ];
    for (name, expected) in &cases {
        // No broker is needed: the name is checked first. An unreachable
        // address proves it: set-up would otherwise wait and fail on it.
        let run = run_with_env(
            env!("CARGO_BIN_EXE_setup"),
            &[
                ("KAFKA_TOPIC", name),
                ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"),
            ],
        );
        assert!(!run.success, "{name:?} was accepted");
        assert_eq!(run.stderr.trim(), expected);
    }
    // The setting-up chapter shows the first of these messages verbatim.
    let chapter = include_str!("../../src/setup.md");
    assert!(
        chapter.contains(&cases[0].1),
        "src/setup.md shows another message"
    );
}

/// Runs a synchronous-writes listing, checks its log and its topic, and
/// returns the time it printed.
fn sync_listing_writes_fifteen_in_order(exe: &str, test: &str) -> Duration {
    let (broker, topic, run) = run_fresh_ok(exe, test);
    assert_sync_loop(&run, &topic);
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
    printed_time(&run)
}

/// rdkafka 0.39's `flush` polls in slices of this length whenever a
/// message is still in flight at its first check.
const SLICE: Duration = Duration::from_millis(100);

#[test]
fn flush_each_waits_a_whole_slice_for_every_message() {
    let time = sync_listing_writes_fifteen_in_order(env!("CARGO_BIN_EXE_flush_each"), "flush-each");
    // Each flush finds its message in flight, so each waits a whole slice:
    // a lower bound the mechanism guarantees, however fast the broker.
    assert!(time >= 15 * SLICE, "{time:?}");
}

#[test]
fn flush_once_waits_one_whole_slice() {
    let time = sync_listing_writes_fifteen_in_order(env!("CARGO_BIN_EXE_flush_once"), "flush-once");
    assert!(time >= SLICE, "{time:?}");
}

#[test]
fn librdkafka_flush_returns_when_the_last_report_is_served() {
    let time = sync_listing_writes_fifteen_in_order(
        env!("CARGO_BIN_EXE_librdkafka_flush"),
        "librdkafka-flush",
    );
    // Connecting and one round trip: a few milliseconds here, far from a
    // slice. Were it rdkafka's flush, it would be at least one slice.
    assert!(time < SLICE, "{time:?}");
}

#[test]
fn flush_promptly_returns_without_a_slice() {
    let time = sync_listing_writes_fifteen_in_order(
        env!("CARGO_BIN_EXE_flush_promptly"),
        "flush-promptly",
    );
    assert!(time < SLICE, "{time:?}");
}

#[test]
fn flush_promptly_raises_the_flag_that_cuts_linger_short() {
    // With linger.ms at 10 s, the batch leaves before then only if a broker
    // thread sees the flushing flag that flush_promptly's calls raise: a
    // run that never raised it would take at least the 10 s. Once the spin
    // is over, a broker thread finds the flag up only now and then: with
    // the other tests running beside it, this took up to 1.15 s here.
    const LINGER: Duration = Duration::from_secs(10);
    // The settings the suite runs with, if any (a secured cluster's), and
    // the long linger after them: the later setting wins.
    let mut text = std::env::var("KAFKA_CONFIG_FILE")
        .map(|path| std::fs::read_to_string(path).expect("KAFKA_CONFIG_FILE read"))
        .unwrap_or_default();
    text.push_str(&format!("\nlinger.ms={}\n", LINGER.as_millis()));
    let settings = settings_file(&text);
    let broker = broker();
    let topic = fresh_topic(&broker, "flush-promptly-linger");
    let run = run_with_env(
        env!("CARGO_BIN_EXE_flush_promptly"),
        &[
            ("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()),
            ("KAFKA_TOPIC", &topic),
            ("KAFKA_CONFIG_FILE", settings.to_str().unwrap()),
        ],
    );
    assert_success(&run, "flush_promptly with linger.ms=10000");
    assert_sync_loop(&run, &topic);
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
    let time = printed_time(&run);
    assert!(time < LINGER / 2, "{time:?}");
}

#[test]
fn send_and_wait_reports_each_offset_before_the_next_send() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_send_and_wait"), "send-and-wait");
    assert_sync_loop(&run, &topic);
    let records = read_back(&broker, &topic);
    assert_keyed_in_order(&records, 15);
    // Synchronous: every send is followed by its own report, in order.
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("Producing") || l.starts_with(REPORT))
        .collect();
    let log = production_log(Some("qc-key"), 15);
    for (n, pair) in lines.chunks(2).enumerate() {
        assert_eq!(pair[0], log[n]);
        assert_eq!(
            parse_report(pair[1]),
            (topic.clone(), records[n].partition, n as i64)
        );
    }
}

#[test]
fn delivery_reports_name_topic_partition_and_offset_of_every_message() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_delivery_reports"), "reports");
    let records = read_back(&broker, &topic);
    assert_keyed_in_order(&records, 15);
    let reports: Vec<_> = run
        .lines_starting(REPORT)
        .into_iter()
        .map(parse_report)
        .collect();
    let expected: Vec<_> = records
        .iter()
        .map(|r| (topic.clone(), r.partition, r.offset))
        .collect();
    assert_eq!(reports, expected);
    // The callback runs inside flush: all reports come after all sends.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let last_send = lines.iter().rposition(|l| l.starts_with("Producing"));
    let first_report = lines.iter().position(|l| l.starts_with(REPORT));
    assert!(first_report.unwrap() > last_send.unwrap());
    assert!(run.lines_starting("Failed").is_empty());
}

#[test]
fn poll_async_reports_every_keyless_message() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_poll_async"), "poll-async");
    assert_eq!(
        run.lines_starting("Producing record"),
        production_log(None, 15)
    );
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 15);
    assert!(records.iter().all(|r| r.key.is_none()), "keys are null");
    // Every value once, and in send order within each partition.
    let count = |r: &Record| -> i64 {
        let value: serde_json::Value = serde_json::from_str(&r.value).unwrap();
        value["count"].as_i64().unwrap()
    };
    let mut seen: Vec<i64> = records.iter().map(count).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..15).collect::<Vec<i64>>());
    for window in records.windows(2) {
        if window[0].partition == window[1].partition {
            assert!(count(&window[0]) < count(&window[1]), "{window:?}");
        }
    }
    let mut reports: Vec<_> = run
        .lines_starting(REPORT)
        .into_iter()
        .map(|l| {
            let (t, p, o) = parse_report(l);
            assert_eq!(t, topic);
            (p, o)
        })
        .collect();
    assert_contiguous_from_zero(&reports);
    reports.sort_unstable();
    let stored: Vec<_> = records.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(reports, stored);
}

/// A terminal, or a notebook, that shows output slowly holds a loop that
/// prints: `poll_async` runs with its standard output a pipe that has room
/// for the first `HELD_AFTER` lines of the loop only, and the test reads it
/// only `STALL` after they are written. Meanwhile the broker answers for
/// those messages, and `poll(0)` in the next turn serves their reports:
/// reports come before the loop's end, as the notebook's output showed.
/// Without `poll(0)` in the loop they would all wait for the final flush.
#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "sizes a pipe the Linux way")]
fn poll_async_serves_reports_during_a_held_loop() {
    #[cfg(target_os = "linux")]
    held_loop::run();
}

#[cfg(target_os = "linux")]
mod held_loop {
    use std::process::Command;
    use std::time::Duration;

    use super::{production_log, REPORT};
    use crate::common::*;

    pub fn run() {
        const HELD_AFTER: usize = 5;
        const STALL: Duration = Duration::from_millis(500);
        let broker = broker();
        let topic = fresh_topic(&broker, "poll-async-held");
        let room: usize = production_log(None, HELD_AFTER)
            .iter()
            .map(|line| line.len() + 1)
            .sum();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let filler = vec![b'.'; pipe::capacity(&writer) - room];
        std::io::Write::write_all(&mut writer, &filler).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_poll_async"));
        command
            .env("RUST_BACKTRACE", "0")
            .env("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers())
            .env("KAFKA_TOPIC", &topic)
            .stdout(writer)
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("poll_async started");
        // The command holds our copy of the pipe's writing end: close it, or
        // reading would never see the end of the output.
        drop(command);
        // Held: the pipe is full once the loop has written its first lines.
        // Stop watching if the listing ends, or if the pipe stops filling short
        // of that: the assertions below then say what it printed.
        let (mut unread, mut changed) = (0, std::time::Instant::now());
        while unread < filler.len() + room && changed.elapsed() < Duration::from_secs(30) {
            if child.try_wait().expect("poll_async waited for").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
            let now = pipe::unread(&reader);
            if now != unread {
                (unread, changed) = (now, std::time::Instant::now());
            }
        }
        std::thread::sleep(STALL);
        let run = wait_reading(child, reader, "poll_async", LISTING_TIME_LIMIT);
        assert_success(&run, "poll_async");
        let output = &run.stdout[filler.len()..];
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines[..HELD_AFTER], production_log(None, HELD_AFTER));
        let loop_end = lines
            .iter()
            .position(|l| l.starts_with("15 messages"))
            .expect("the loop's last line");
        let during_loop = lines[..loop_end]
            .iter()
            .filter(|l| l.starts_with(REPORT))
            .count();
        assert!(
            during_loop >= HELD_AFTER,
            "the reports of the {HELD_AFTER} held messages were ready; poll(0) served \
             {during_loop} before the loop ended:\n{output}"
        );
        let reports = lines.iter().filter(|l| l.starts_with(REPORT)).count();
        assert_eq!(reports, 15);
        assert_eq!(read_back(&broker, &topic).len(), 15);
    }

    /// A pipe's size and fill, which std does not expose.
    mod pipe {
        use std::os::fd::AsRawFd;

        /// How many bytes `pipe` holds before a write blocks.
        pub fn capacity(pipe: &impl AsRawFd) -> usize {
            // SAFETY: F_GETPIPE_SZ only reads the size of an open pipe.
            let size = unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ) };
            usize::try_from(size).expect("a pipe's size")
        }

        /// How many bytes are written to `pipe` and not yet read.
        pub fn unread(pipe: &impl AsRawFd) -> usize {
            let mut count: libc::c_int = 0;
            // SAFETY: FIONREAD writes one int, the count of unread bytes.
            let status = unsafe { libc::ioctl(pipe.as_raw_fd(), libc::FIONREAD, &mut count) };
            assert_eq!(status, 0, "FIONREAD on a pipe");
            usize::try_from(count).unwrap()
        }
    }
}

#[test]
fn dropping_without_flush_purges_and_flushing_delivers() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_drop_without_flush"), "drop");
    assert_eq!(
        run.lines_starting("flush before drop"),
        [
            "flush before drop: false: 0 delivered, 15 failed",
            "flush before drop: true: 15 delivered, 0 failed",
        ]
    );
    let failures = run.lines_starting("Failed to deliver message: ");
    assert_eq!(failures.len(), 15);
    assert!(
        failures.iter().all(|l| l.contains("PurgeQueue")),
        "{failures:?}"
    );
    // Only the flushed round reached the topic.
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}

#[test]
fn keys_are_null_when_absent_and_keep_one_partition_when_set() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_keys"), "keys");
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 6);
    let keyed: Vec<_> = records.iter().filter(|r| r.key.is_some()).collect();
    let keyless: Vec<_> = records.iter().filter(|r| r.key.is_none()).collect();
    assert_eq!(keyed.len(), 3);
    assert_eq!(keyless.len(), 3);
    assert!(keyed.iter().all(|r| r.key.as_deref() == Some("qc-key")));
    assert!(keyed.iter().all(|r| r.partition == keyed[0].partition));
    let keyed_values: Vec<_> = keyed.iter().map(|r| r.value.as_str()).collect();
    let even: Vec<_> = counts(6).into_iter().step_by(2).collect();
    assert_eq!(keyed_values, even);
    // What the listing printed is what the consumer here reads.
    let mut printed: Vec<&str> = run.lines_starting("partition [");
    let mut expected: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "partition [{}] @ offset {}: key {}, value {}",
                r.partition,
                r.offset,
                r.key.as_deref().unwrap_or("null"),
                r.value
            )
        })
        .collect();
    printed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(printed, expected);
}

#[test]
fn the_notebook_runs_every_chapter_in_order() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_notebook"), "notebook");
    let headers: Vec<&str> = run.lines_starting("== ");
    let names: Vec<&str> = headers
        .iter()
        .map(|h| h.rsplit("--bin ").next().unwrap().trim_end_matches(')'))
        .collect();
    assert!(!names.is_empty(), "{}", run.stdout);
    // In the order the book shows them, each once.
    let positions: Vec<(usize, usize)> = names
        .iter()
        .map(|name| book_position(name).unwrap_or_else(|| panic!("no chapter shows {name}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "not in the book's order: {names:?}"
    );
    // 15 messages from each of 10 writing listings (the purged round of
    // drop_without_flush writes none), and 6 from keys.
    assert_eq!(read_back(&broker, &topic).len(), 15 * 10 + 6);
}

#[test]
fn a_threaded_producer_reports_while_the_loop_still_sends() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_threaded_producer"), "threaded");
    assert_eq!(
        run.lines_starting("Producing record"),
        production_log(None, 15)
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    let last_send = lines.iter().rposition(|l| l.starts_with("Producing"));
    let first_report = lines.iter().position(|l| l.starts_with(REPORT));
    // Sends are 20 ms apart: the thread prints reports between them.
    assert!(first_report.unwrap() < last_send.unwrap(), "{lines:#?}");
    // The flush waits for the last report: every report comes before the
    // line that says all fifteen were written.
    let last_report = lines.iter().rposition(|l| l.starts_with(REPORT));
    let done = lines
        .iter()
        .position(|l| l.starts_with("15 messages were produced"));
    assert!(last_report.unwrap() < done.unwrap(), "{lines:#?}");
    let mut reports: Vec<(i32, i64)> = run
        .lines_starting(REPORT)
        .into_iter()
        .map(|l| {
            let (_, partition, offset) = parse_report(l);
            (partition, offset)
        })
        .collect();
    assert_eq!(reports.len(), 15);
    assert_contiguous_from_zero(&reports);
    reports.sort_unstable();
    let records = read_back(&broker, &topic);
    let stored: Vec<(i32, i64)> = records.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(reports, stored);
    assert!(records.iter().all(|r| r.key.is_none()));
}

#[test]
fn waiting_on_a_channel_reports_each_message_before_the_next_is_sent() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_wait_for_each"), "wait-each");
    let reports = run.lines_starting(REPORT);
    assert_eq!(reports.len(), 15, "{}", run.stdout);
    // One key, one partition: the reports name offsets 0 to 14 in order.
    let offsets: Vec<i64> = reports.iter().map(|line| parse_report(line).2).collect();
    assert_eq!(offsets, (0..15).collect::<Vec<i64>>());
    assert_eq!(run.lines_starting("time: ").len(), 1);
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}
