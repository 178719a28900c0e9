//! The set-up every listing of the book shares, and nothing else: where the
//! broker is ([`Broker`]), which topic to write to ([`topic_from_env`]),
//! creating that topic ([`setup`]), and printing elapsed time
//! ([`Stopwatch`]). It plays the part of the notebook's `qcutils` helper.
//!
//! Without `KAFKA_BOOTSTRAP_SERVERS` every listing starts an embedded
//! broker, librdkafka's mock cluster, and says so in one line on standard
//! error. The listings themselves are the programs in `src/bin/`.

use std::env;
use std::fs;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{
    BaseProducer, DefaultProducerContext, DeliveryResult, Producer, ProducerContext,
};
use rdkafka::ClientContext;

/// How many partitions a topic gets when the listings create it.
pub const PARTITIONS: i32 = 3;

/// The most replicas a topic gets when the listings create it; a cluster
/// with fewer brokers gives it one per broker.
pub const MAX_REPLICAS: i32 = 3;

/// How long set-up may wait for a broker before it gives up.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The Kafka cluster the listings write to.
///
/// Its address is `KAFKA_BOOTSTRAP_SERVERS`, else the `bootstrap.servers`
/// of the settings file `KAFKA_CONFIG_FILE` names. With neither, it is an
/// embedded broker: librdkafka's mock cluster, running inside this process
/// and gone when it exits. Keep the `Broker` alive for as long as you
/// produce.
pub struct Broker {
    bootstrap_servers: String,
    /// The settings file's other settings, for every client.
    settings: Vec<(String, String)>,
    embedded: Option<MockCluster<'static, DefaultProducerContext>>,
}

impl Broker {
    /// Reads `KAFKA_CONFIG_FILE` if it is set, then connects to
    /// `KAFKA_BOOTSTRAP_SERVERS` or the file's `bootstrap.servers`, or
    /// starts an embedded broker.
    pub fn from_env() -> anyhow::Result<Broker> {
        let mut settings = match env::var_os("KAFKA_CONFIG_FILE") {
            Some(path) if !path.is_empty() => read_settings(Path::new(&path))?,
            _ => Vec::new(),
        };
        let from_file = settings
            .iter()
            .position(|(key, _)| key == "bootstrap.servers")
            .map(|at| settings.remove(at).1);
        let servers = match env::var("KAFKA_BOOTSTRAP_SERVERS") {
            Ok(servers) if !servers.trim().is_empty() => Some(servers.trim().to_string()),
            _ => from_file,
        };
        if let Some(bootstrap_servers) = servers {
            return Ok(Broker {
                bootstrap_servers,
                settings,
                embedded: None,
            });
        }
        let mock = MockCluster::new(1).context("could not start the embedded broker")?;
        let bootstrap_servers = mock.bootstrap_servers();
        eprintln!(
            "KAFKA_BOOTSTRAP_SERVERS is not set: using an embedded broker \
             (librdkafka's mock cluster) at {bootstrap_servers}"
        );
        Ok(Broker {
            bootstrap_servers,
            settings,
            embedded: Some(mock),
        })
    }

    /// A Kafka at `bootstrap_servers`, with no settings file: how the tests
    /// reach a broker's open listener.
    pub fn at(bootstrap_servers: &str) -> Broker {
        Broker {
            bootstrap_servers: bootstrap_servers.to_string(),
            settings: Vec::new(),
            embedded: None,
        }
    }

    /// The value for the `bootstrap.servers` setting.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Whether this is the embedded broker rather than a real Kafka.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Creates `topic` with [`PARTITIONS`] partitions, each with
    /// [`Broker::replication_factor`] replicas, unless it exists.
    pub fn create_topic(&self, topic: &str) -> anyhow::Result<()> {
        self.create_topic_with(topic, &[])
    }

    /// Like [`Broker::create_topic`], with topic settings such as
    /// `min.insync.replicas`, which only a real Kafka takes.
    pub fn create_topic_with(&self, topic: &str, settings: &[(&str, &str)]) -> anyhow::Result<()> {
        check_topic_name(topic)?;
        if let Some(mock) = &self.embedded {
            if !settings.is_empty() {
                bail!("the embedded broker takes no topic settings ({settings:?})");
            }
            // The mock cluster does not serve CreateTopics; it has its own call.
            return mock
                .create_topic(topic, PARTITIONS, 1)
                .with_context(|| format!("could not create topic {topic:?}"));
        }
        if self.topic_exists(topic)? {
            return Ok(());
        }
        let admin: AdminClient<DefaultClientContext> = self.config().create()?;
        let replicas = self.replication_factor()?;
        let new_topic = settings.iter().fold(
            NewTopic::new(topic, PARTITIONS, TopicReplication::Fixed(replicas)),
            |new_topic, (key, value)| new_topic.set(key, value),
        );
        let options = AdminOptions::new().operation_timeout(Some(SETUP_TIMEOUT));
        // On a thread of its own: the caller may be running inside a tokio
        // runtime (a listing with `#[tokio::main]`), where blocking on a
        // second runtime panics.
        let results = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?
                        .block_on(admin.create_topics([&new_topic], &options))
                        .map_err(anyhow::Error::from)
                })
                .join()
                .map_err(|_| anyhow::anyhow!("the thread creating the topic panicked"))?
        })
        .with_context(|| format!("could not create topic {topic:?}"))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => bail!("could not create topic {name:?}: {code}"),
            }
        }
        Ok(())
    }

    /// The replication factor topics get when the listings create them:
    /// [`MAX_REPLICAS`], or fewer when the cluster has fewer brokers (one
    /// on a single-node Kafka, three on the cluster of *Replication and
    /// acks*).
    pub fn replication_factor(&self) -> anyhow::Result<i32> {
        let consumer: BaseConsumer = self.config().create()?;
        let metadata = consumer
            .fetch_metadata(None, SETUP_TIMEOUT)
            .with_context(|| {
                format!(
                    "no answer from Kafka at {} within {} s: is it running?",
                    self.bootstrap_servers,
                    SETUP_TIMEOUT.as_secs()
                )
            })?;
        let brokers = i32::try_from(metadata.brokers().len()).unwrap_or(i32::MAX);
        Ok(brokers.clamp(1, MAX_REPLICAS))
    }

    /// Whether the cluster knows `topic`. Asks for every topic's metadata,
    /// because asking for one by name may create it on a broker that has
    /// `auto.create.topics.enable`.
    pub fn topic_exists(&self, topic: &str) -> anyhow::Result<bool> {
        // librdkafka logs connection failures at the info level; rdkafka
        // passes on only errors unless told (or unless a logger wants more).
        let client: BaseProducer<FirstError> = self
            .config()
            .set_log_level(RDKafkaLogLevel::Info)
            .create_with_context(FirstError::default())?;
        let deadline = Instant::now() + SETUP_TIMEOUT;
        loop {
            let metadata = client
                .client()
                .fetch_metadata(None, Duration::from_millis(200));
            if let Ok(metadata) = metadata {
                return Ok(metadata.topics().iter().any(|t| t.name() == topic));
            }
            // Serves the error events librdkafka has for us.
            client.poll(Duration::ZERO);
            // A wrong password or certificate does not fix itself: say so now.
            if let Some(reason) = client.context().lasting() {
                bail!(
                    "Kafka at {} refused this client: {reason}",
                    self.bootstrap_servers
                );
            }
            if Instant::now() >= deadline {
                let said = client
                    .context()
                    .reason()
                    .map_or(String::new(), |reason| format!(" (librdkafka: {reason})"));
                bail!(
                    "no answer from Kafka at {} within {} s: is it running?{said}",
                    self.bootstrap_servers,
                    SETUP_TIMEOUT.as_secs()
                );
            }
        }
    }

    /// How many messages `topic` has received in all: the sum of its
    /// partitions' high watermarks. The tests and the benchmark compare it
    /// before and after a write.
    pub fn messages_written(&self, topic: &str) -> anyhow::Result<i64> {
        let consumer: BaseConsumer = self.config().create()?;
        let metadata = consumer.fetch_metadata(Some(topic), SETUP_TIMEOUT)?;
        let partitions = metadata
            .topics()
            .first()
            .map_or(&[][..], |t| t.partitions());
        if partitions.is_empty() {
            bail!("topic {topic} has no partitions");
        }
        let mut sum = 0;
        for partition in partitions {
            let (_low, high) = consumer
                .fetch_watermarks(topic, partition.id(), SETUP_TIMEOUT)
                .with_context(|| format!("watermarks of {topic} [{}]", partition.id()))?;
            sum += high;
        }
        Ok(sum)
    }

    /// A client configuration: `bootstrap.servers`, then the settings of
    /// `KAFKA_CONFIG_FILE` (security, for example), if any.
    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap_servers);
        for (key, value) in &self.settings {
            config.set(key, value);
        }
        config
    }
}

/// What librdkafka said went wrong, first: the cause, rather than the "all
/// brokers are down" that follows it.
#[derive(Default)]
struct FirstError {
    /// The first error event, with its code, other than "all brokers down".
    event: Mutex<Option<(RDKafkaErrorCode, String)>>,
    /// The first connection failure in librdkafka's log.
    failure: Mutex<Option<String>>,
    /// "All brokers are down", if nothing better came.
    all_down: Mutex<Option<String>>,
}

impl FirstError {
    /// An error event whose code says it will not fix itself.
    fn lasting(&self) -> Option<String> {
        match &*self.event.lock().unwrap() {
            Some((RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SSL, reason)) => {
                Some(reason.clone())
            }
            _ => None,
        }
    }

    /// The best account of what went wrong.
    fn reason(&self) -> Option<String> {
        let event = self.event.lock().unwrap().clone().map(|(_, reason)| reason);
        event
            .or_else(|| self.failure.lock().unwrap().clone())
            .or_else(|| self.all_down.lock().unwrap().clone())
    }
}

impl ClientContext for FirstError {
    fn error(&self, error: KafkaError, reason: &str) {
        let code = error
            .rdkafka_error_code()
            .unwrap_or(RDKafkaErrorCode::Unknown);
        let slot = if code == RDKafkaErrorCode::AllBrokersDown {
            &self.all_down
        } else {
            self.event
                .lock()
                .unwrap()
                .get_or_insert((code, reason.to_string()));
            return;
        };
        slot.lock().unwrap().get_or_insert(reason.to_string());
    }

    // Some causes reach only the log: a connection the broker closes while
    // librdkafka asks for its API versions (a TLS port, for one) raises no
    // error event of its own, only "all brokers are down" after it.
    fn log(&self, _level: RDKafkaLogLevel, facility: &str, message: &str) {
        if facility == "FAIL" {
            self.failure
                .lock()
                .unwrap()
                .get_or_insert(message.to_string());
        }
    }
}

impl ProducerContext for FirstError {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// Reads a file of librdkafka settings: one `key=value` a line, as kcat's
/// `-F` and managed clusters' `client.properties` files have them; blank
/// lines and lines starting with `#` are skipped. Each setting is checked by
/// librdkafka itself, so a key it does not know, or a value it refuses, is
/// an error naming the file and the line before anything connects.
pub fn read_settings(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the settings file {} (KAFKA_CONFIG_FILE)",
            path.display()
        )
    })?;
    let mut settings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), index + 1);
        let Some((key, value)) = line.split_once('=') else {
            bail!("{at}: expected key=value, found {line:?}");
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            bail!("{at}: the setting has no name before '='");
        }
        // librdkafka refuses an unknown key or a bad value when it is set.
        if let Err(err) = ClientConfig::new().set(key, value).create_native_config() {
            let reason = match err {
                KafkaError::ClientConfig(_, description, _, _) => description,
                other => other.to_string(),
            };
            let hint = if reason.contains("not available at build time") {
                "; build with `--features tls` (see the chapter on secured clusters)"
            } else {
                ""
            };
            bail!("{at}: {reason}{hint}");
        }
        settings.push((key.to_string(), value.to_string()));
    }
    Ok(settings)
}

/// The topic to write to: `KAFKA_TOPIC`, or `<user>-topic`, so that students
/// sharing a broker each write to their own topic.
pub fn topic_from_env() -> anyhow::Result<String> {
    let topic = match env::var("KAFKA_TOPIC") {
        Ok(topic) => topic,
        Err(_) => {
            let user = user_name().context("set KAFKA_TOPIC (or USER) to name your topic")?;
            format!("{user}-topic")
        }
    };
    check_topic_name(&topic)?;
    Ok(topic)
}

/// A name no earlier run has used: `prefix`, this process's id and the time
/// in nanoseconds. The tests and the benchmark write to topics so named, so
/// that what they read back is only what they wrote.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The login name: `USER`, `USERNAME` or `LOGNAME`, else the home folder's name
/// (a shell started by a service may set none of the three).
fn user_name() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| env::var(name).ok())
        .or_else(|| {
            let home = std::path::PathBuf::from(env::var_os("HOME")?);
            Some(home.file_name()?.to_str()?.to_string())
        })
        .filter(|user| !user.is_empty())
}

/// Checks `name` against Kafka's rule for topic names.
pub fn check_topic_name(name: &str) -> anyhow::Result<()> {
    const RULE: &str = "a Kafka topic name is 1 to 249 characters from \
                        [a-zA-Z0-9._-], and is not \".\" or \"..\"";
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 249 || name == "." || name == ".." {
        bail!("illegal topic name {name:?}: {RULE}");
    }
    if let Some(c) = name.chars().find(|&c| !legal(c)) {
        bail!("illegal topic name {name:?} (character {c:?}): {RULE}");
    }
    Ok(())
}

/// What every listing starts with: the broker, the topic, the topic created.
pub fn setup() -> anyhow::Result<(Broker, String)> {
    let topic = topic_from_env()?;
    let broker = Broker::from_env()?;
    broker.create_topic(&topic)?;
    Ok((broker, topic))
}

/// Measures a cell's run time, as the notebook's `autotime` extension does.
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }

    /// Prints `time: …` with the elapsed time.
    pub fn print(&self) {
        println!("time: {}", format_duration(self.elapsed()));
    }
}

/// Formats a duration the way `autotime` does: `812 µs`, `1.52 ms`, `2.03 s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafkas_rule() {
        for good in ["a", "alice-topic", "x.y_z-1", &"t".repeat(249)] {
            assert!(check_topic_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "with space", "ü", "a/b", &"t".repeat(250)] {
            let err = check_topic_name(bad).unwrap_err().to_string();
            assert!(err.contains("[a-zA-Z0-9._-]"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_read_like_autotime() {
        assert_eq!(format_duration(Duration::from_micros(812)), "812 µs");
        assert_eq!(format_duration(Duration::from_micros(1520)), "1.52 ms");
        assert_eq!(format_duration(Duration::from_millis(2030)), "2.03 s");
    }
}
