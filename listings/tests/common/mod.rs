// What the listing tests share: a broker, a fresh topic per test, running a
// listing as a child process with a time limit, and reading a topic back.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

pub use listings::Broker;

/// How long a listing may run before the test kills it and fails.
pub const LISTING_TIME_LIMIT: Duration = Duration::from_secs(120);

/// The broker for one test: `KAFKA_BOOTSTRAP_SERVERS`, or an embedded one
/// that lives in the test process, so that it outlives the listing.
pub fn broker() -> Broker {
    Broker::from_env().expect("a broker")
}

/// A topic no other test or run uses, created with `listings::PARTITIONS`.
pub fn fresh_topic(broker: &Broker, test: &str) -> String {
    let topic = listings::unique_name(&format!("test-{test}"));
    broker.create_topic(&topic).expect("topic created");
    topic
}

/// Runs the listing `exe` on a fresh topic of its own. Returns the broker
/// too: an embedded one holds the data only while it lives.
pub fn run_fresh(exe: &str, test: &str) -> (Broker, String, Run) {
    let broker = broker();
    let topic = fresh_topic(&broker, test);
    let run = run_listing(exe, &broker, &topic);
    (broker, topic, run)
}

/// Like `run_fresh`, for a listing that must succeed.
pub fn run_fresh_ok(exe: &str, test: &str) -> (Broker, String, Run) {
    let (broker, topic, run) = run_fresh(exe, test);
    assert_success(&run, test);
    (broker, topic, run)
}

pub fn assert_success(run: &Run, what: &str) {
    assert!(
        run.success,
        "{what} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

/// Asserts that `records` are `{"count": 0}` to `{"count": n - 1}`, keyed
/// `qc-key`, in order at offsets 0, 1, 2, … of one partition.
pub fn assert_keyed_in_order(records: &[Record], n: usize) {
    assert_eq!(records.len(), n, "{records:?}");
    let partition = records[0].partition;
    for (i, (record, value)) in records.iter().zip(counts(n)).enumerate() {
        assert_eq!(record.partition, partition, "one key, one partition");
        assert_eq!(record.offset, i as i64);
        assert_eq!(record.key.as_deref(), Some("qc-key"));
        assert_eq!(record.value, value);
    }
}

/// What a listing printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines that start with `prefix`.
    pub fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }
}

/// Writes `text` to a fresh settings file in the temporary folder, which
/// is removed when the value is dropped, even by a failed assertion.
pub fn settings_file(text: &str) -> SettingsFile {
    let path =
        std::env::temp_dir().join(format!("{}.properties", listings::unique_name("settings")));
    std::fs::write(&path, text).unwrap();
    SettingsFile(path)
}

/// A settings file that `settings_file` wrote; it derefs to its path.
pub struct SettingsFile(std::path::PathBuf);

impl std::ops::Deref for SettingsFile {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for SettingsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the listing at `exe` against `broker` and `topic`.
pub fn run_listing(exe: &str, broker: &Broker, topic: &str) -> Run {
    run_with_env(
        exe,
        &[
            ("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()),
            ("KAFKA_TOPIC", topic),
        ],
    )
}

/// Runs `exe` with `env` added, killing it after `LISTING_TIME_LIMIT`.
pub fn run_with_env(exe: &str, env: &[(&str, &str)]) -> Run {
    run_command(Command::new(exe), env)
}

/// Runs `command` with `env` added, killing it after `LISTING_TIME_LIMIT`.
pub fn run_command(command: Command, env: &[(&str, &str)]) -> Run {
    run_command_within(command, env, LISTING_TIME_LIMIT)
}

/// Runs `command` with `env` added, killing it after `limit`.
pub fn run_command_within(mut command: Command, env: &[(&str, &str)], limit: Duration) -> Run {
    command
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let exe = format!("{:?}", command.get_program());
    wait_within(command.spawn().expect("listing started"), &exe, limit)
}

/// Waits up to `limit` for `child`, started with its output piped, to end,
/// and returns what it printed; kills it and fails after `limit`.
pub fn wait_within(mut child: Child, what: &str, limit: Duration) -> Run {
    let stdout = child.stdout.take().unwrap();
    wait_reading(child, stdout, what, limit)
}

/// Like `wait_within`, for a child whose standard output the test set up
/// itself and reads from `stdout`; its standard error is piped.
pub fn wait_reading(
    mut child: Child,
    mut stdout: impl Read + Send + 'static,
    what: &str,
    limit: Duration,
) -> Run {
    // Read both pipes on threads so that a chatty listing cannot block.
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("listing waited for") {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("{what} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        success: status.success(),
        stdout: out.join().unwrap().expect("stdout read"),
        stderr: err.join().unwrap().expect("stderr read"),
    }
}

/// A message as a consumer reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: String,
    /// Its headers, in order, values as text.
    pub headers: Vec<(String, String)>,
}

/// Every message in `topic`, read from the beginning up to the end each
/// partition has now, in partition and offset order.
pub fn read_back(broker: &Broker, topic: &str) -> Vec<Record> {
    let timeout = Duration::from_secs(10);
    let consumer: BaseConsumer = broker
        .config()
        .set("group.id", "listing-tests")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .expect("metadata");
    let partitions = metadata.topics()[0].partitions().len() as i32;
    let mut assignment = TopicPartitionList::new();
    let mut remaining = BTreeMap::new();
    for partition in 0..partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, timeout)
            .expect("watermarks");
        if high > low {
            remaining.insert(partition, high);
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .unwrap();
        }
    }
    let mut records = Vec::new();
    if remaining.is_empty() {
        return records;
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !remaining.is_empty() {
        assert!(
            Instant::now() < deadline,
            "read back {} records of {topic}, partitions {remaining:?} still short",
            records.len()
        );
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = match message {
            Ok(message) => message,
            // A broker that is down, as the cluster tests leave one, is
            // reported here while librdkafka keeps reading from the others;
            // the deadline above bounds the wait.
            Err(KafkaError::MessageConsumption(RDKafkaErrorCode::BrokerTransportFailure)) => {
                continue;
            }
            Err(err) => panic!("a message: {err}"),
        };
        let text = |bytes: Option<&[u8]>| bytes.map(|b| String::from_utf8_lossy(b).into_owned());
        let record = Record {
            partition: message.partition(),
            offset: message.offset(),
            key: text(message.key()),
            value: text(message.payload()).unwrap_or_default(),
            headers: message
                .headers()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|h| (h.key.to_string(), text(h.value).unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        if remaining.get(&record.partition) == Some(&(record.offset + 1)) {
            remaining.remove(&record.partition);
        }
        records.push(record);
    }
    records.sort_by_key(|r| (r.partition, r.offset));
    records
}

/// The JSON values `{"count": 0}` to `{"count": n - 1}` as the listings write them.
pub fn counts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| serde_json::json!({ "count": i }).to_string())
        .collect()
}

/// A delivery report line: (topic, partition, offset).
pub fn parse_report(line: &str) -> (String, i32, i64) {
    // "Produced record to topic T partition [P] @ offset O"
    let rest = line
        .strip_prefix("Produced record to topic ")
        .expect("a report line");
    let (topic, rest) = rest.split_once(" partition [").unwrap();
    let (partition, offset) = rest.split_once("] @ offset ").unwrap();
    (
        topic.to_string(),
        partition.parse().unwrap(),
        offset.parse().unwrap(),
    )
}

/// Asserts that, per partition, `offsets` are 0, 1, 2, … with no gap.
pub fn assert_contiguous_from_zero(offsets: &[(i32, i64)]) {
    let mut by_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for &(partition, offset) in offsets {
        by_partition.entry(partition).or_default().push(offset);
    }
    for (partition, mut seen) in by_partition {
        seen.sort_unstable();
        let expected: Vec<i64> = (0..seen.len() as i64).collect();
        assert_eq!(seen, expected, "offsets of partition {partition}");
    }
}

/// The repository's root.
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The book's chapters in reading order, as src/SUMMARY.md lists them:
/// their paths under src/ and their text.
pub fn chapters_in_order() -> Vec<(String, String)> {
    let summary = std::fs::read_to_string(format!("{ROOT}/src/SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|line| Some(line.split_once("](")?.1.split_once(')')?.0.to_string()))
        .map(|path| {
            let text = std::fs::read_to_string(format!("{ROOT}/src/{path}"))
                .unwrap_or_else(|_| panic!("src/SUMMARY.md names src/{path}, which is missing"));
            (path, text)
        })
        .collect()
}

/// Where the book first shows `listings/src/bin/<name>.rs`: the chapter's
/// place in reading order, and the place in the chapter.
pub fn book_position(name: &str) -> Option<(usize, usize)> {
    let file = format!("listings/src/bin/{name}.rs");
    chapters_in_order()
        .iter()
        .enumerate()
        .find_map(|(chapter, (_, text))| Some((chapter, text.find(&file)?)))
}

/// The path of the listing binary `name`: beside this test's own listing
/// binaries, which cargo builds into one folder.
pub fn listing_exe(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_BIN_EXE_notebook")).with_file_name(name)
}

/// The time a listing printed on its `time: …` line.
pub fn printed_time(run: &Run) -> Duration {
    let lines = run.lines_starting("time: ");
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    parse_duration(&lines[0]["time: ".len()..])
}

/// A duration as `listings::format_duration` writes it: `812 µs`,
/// `1.52 ms`, `2.03 s`.
pub fn parse_duration(text: &str) -> Duration {
    let (number, unit) = text
        .split_once(' ')
        .unwrap_or_else(|| panic!("not a duration: {text}"));
    let number: f64 = number.parse().unwrap();
    let seconds = match unit {
        "s" => number,
        "ms" => number / 1e3,
        "µs" => number / 1e6,
        _ => panic!("unknown unit in {text}"),
    };
    Duration::from_secs_f64(seconds)
}
