// The ways of writing that the benchmark measures. Each one writes `n`
// messages `{"count": i}` to a topic with a producer of its own, and tells
// how long that took and what the broker answered for every message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use cpu_time::ProcessTime;
use indicatif::ProgressBar;
use rdkafka::client::Client;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, ToBytes};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DeliveryResult, FutureProducer, FutureRecord, Producer,
    ProducerContext, ThreadedProducer,
};
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

/// The notebook's key, for the loops that set one.
pub const KEY: &str = "qc-key";

/// How long any one wait for the broker may take before the run fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The notebook's message value: `{"count": n}`.
pub fn value(n: usize) -> String {
    serde_json::json!({ "count": n }).to_string()
}

/// What a strategy pays per message, beyond queueing it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cost {
    /// Nothing: messages travel in batches, and the run waits once.
    Batched,
    /// One round trip to the broker per message.
    RoundTripEach,
    /// One of rdkafka's 100 ms flush slices per message.
    SliceEach,
    /// A new producer per message: a client, its connection and its threads.
    ProducerEach,
}

/// One way of writing.
pub struct Strategy {
    /// The name in the table and in the JSON lines.
    pub name: &'static str,
    /// What it does, in a few words, for `--help`.
    pub summary: &'static str,
    /// Whether it waits for each message before sending the next: then the
    /// benchmark reports each message's latency too.
    pub synchronous: bool,
    pub cost: Cost,
    /// The producer settings it makes, beyond `bootstrap.servers`.
    pub settings: &'static [(&'static str, &'static str)],
    /// The notebook's loops that the book recommends it in place of.
    pub replaces: &'static [&'static str],
    pub run: fn(&Target<'_>, usize) -> anyhow::Result<Outcome>,
}

impl Strategy {
    /// Its settings, each replaced by an override of the same key, in the
    /// order the producer gets them.
    pub fn settings_with(&self, overrides: &[(String, String)]) -> Vec<(String, String)> {
        let mut settings: Vec<(String, String)> = self
            .settings
            .iter()
            .filter(|(key, _)| !overrides.iter().any(|(k, _)| k == key))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        settings.extend_from_slice(overrides);
        settings
    }
}

/// The strategy called `name`.
pub fn by_name(name: &str) -> Option<&'static Strategy> {
    ALL.iter().find(|s| s.name == name)
}

/// Every strategy, in the order of the book: the notebook's three loops as
/// literal ports, the callback, then the idioms the book recommends.
pub const ALL: &[Strategy] = &[
    Strategy {
        name: "flush_each",
        summary: "literal port: flush after each message",
        synchronous: true,
        cost: Cost::SliceEach,
        settings: &[],
        replaces: &[],
        run: flush_each,
    },
    Strategy {
        name: "flush_once",
        summary: "literal port: flush once at the end",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: flush_once,
    },
    Strategy {
        name: "poll_then_flush",
        summary: "literal port: poll(0) after each, flush at the end",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: poll_then_flush,
    },
    Strategy {
        name: "delivery_callback",
        summary: "callback collects every report; flush once",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: delivery_callback,
    },
    Strategy {
        name: "send_and_wait",
        summary: "FutureProducer, await each send",
        synchronous: true,
        cost: Cost::RoundTripEach,
        settings: &[("linger.ms", "0")],
        replaces: &["flush_each"],
        run: send_and_wait,
    },
    Strategy {
        name: "threaded_channel",
        summary: "ThreadedProducer, wait on a channel for each report",
        synchronous: true,
        cost: Cost::RoundTripEach,
        settings: &[("linger.ms", "0")],
        replaces: &["flush_each"],
        run: threaded_channel,
    },
    Strategy {
        name: "native_flush_each",
        summary: "ThreadedProducer, librdkafka's own flush (unsafe FFI) after each message",
        synchronous: true,
        cost: Cost::RoundTripEach,
        settings: &[],
        replaces: &["flush_each"],
        run: native_flush_each,
    },
    Strategy {
        name: "prompt_flush_each",
        summary: "poll(0) and flush(0) until done (safe, spins then naps) after each message",
        synchronous: true,
        cost: Cost::RoundTripEach,
        settings: &[],
        replaces: &["flush_each"],
        run: prompt_flush_each,
    },
    Strategy {
        name: "poll_then_drain",
        summary: "poll(0) after each, then poll 1 ms at a time until none is left",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[("linger.ms", "0")],
        replaces: &[],
        run: poll_then_drain,
    },
    Strategy {
        name: "threaded_all_in_flight",
        summary: "ThreadedProducer, take the reports in while sending, then wait for the rest",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[("linger.ms", "0")],
        replaces: &["poll_then_flush"],
        run: threaded_all_in_flight,
    },
    Strategy {
        name: "native_flush",
        summary: "ThreadedProducer, then librdkafka's own flush (unsafe FFI), as Python calls it",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &["flush_once", "poll_then_flush"],
        run: native_flush,
    },
    Strategy {
        name: "prompt_flush",
        summary: "poll(0) and flush(0) until done (safe, spins then naps), once at the end",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &["flush_once", "poll_then_flush"],
        run: prompt_flush,
    },
    Strategy {
        name: "future_all_in_flight",
        summary: "FutureProducer, send_result for all, then await all",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[("linger.ms", "0")],
        replaces: &["flush_once"],
        run: future_all_in_flight,
    },
    Strategy {
        name: "tokio_in_order",
        summary: "FutureProducer, send_result with at most 10,000 reports awaited, oldest first",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: tokio_in_order_window,
    },
    Strategy {
        name: "tokio_report_permits",
        summary: "ThreadedProducer whose reports give back semaphore permits, 10,000 of them",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: tokio_report_permits,
    },
    Strategy {
        name: "tokio_buffered",
        summary: "FutureProducer, a stream of send futures, buffer_unordered(10,000)",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: tokio_buffered_stream,
    },
    Strategy {
        name: "tokio_permits",
        summary: "FutureProducer, a task per message, 10,000 semaphore permits",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: tokio_spawn_with_permits,
    },
    Strategy {
        name: "tokio_spawn_each",
        summary: "FutureProducer, a task per message, no bound",
        synchronous: false,
        cost: Cost::Batched,
        settings: &[],
        replaces: &[],
        run: tokio_spawn_each,
    },
    Strategy {
        name: "producer_per_message",
        summary: "a new FutureProducer for each message, one after another",
        synchronous: true,
        cost: Cost::ProducerEach,
        settings: &[],
        replaces: &[],
        run: producer_per_message,
    },
];

/// Where and how a strategy writes.
pub struct Target<'a> {
    /// Where the broker is, with the settings of `KAFKA_CONFIG_FILE`.
    pub broker: &'a listings::Broker,
    pub topic: &'a str,
    /// The strategy's settings with the command line's overrides, from
    /// [`Strategy::settings_with`].
    pub settings: &'a [(String, String)],
    pub runtime: &'a tokio::runtime::Runtime,
    pub progress: &'a ProgressBar,
}

impl Target<'_> {
    /// The configuration: the broker's (`bootstrap.servers` and the
    /// settings file's), then the strategy's settings.
    fn config(&self) -> ClientConfig {
        let mut config = self.broker.config();
        for (key, value) in self.settings {
            config.set(key, value);
        }
        config
    }

    /// Waits until `client` knows the topic's partitions and their leaders;
    /// returns how many partitions there are.
    fn wait_for_leaders<C: ClientContext>(&self, client: &Client<C>) -> anyhow::Result<i32> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let metadata = client.fetch_metadata(Some(self.topic), TIMEOUT)?;
            let ready = metadata.topics().iter().find(|t| {
                t.error().is_none()
                    && !t.partitions().is_empty()
                    && t.partitions().iter().all(|p| p.leader() >= 0)
            });
            if let Some(topic) = ready {
                return Ok(topic.partitions().len() as i32);
            }
            if Instant::now() > deadline {
                bail!("topic {} has no leader for every partition", self.topic);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Writes the warm-up message to every partition with `send_to`, once
    /// `client` knows each partition's leader; returns how many there are.
    fn warm_up<C: ClientContext>(
        &self,
        client: &Client<C>,
        mut send_to: impl FnMut(i32) -> anyhow::Result<()>,
    ) -> anyhow::Result<i32> {
        let partitions = self.wait_for_leaders(client)?;
        for partition in 0..partitions {
            send_to(partition)?;
        }
        Ok(partitions)
    }

    /// The warm-up record for `partition`.
    fn warm_up_record(&self, partition: i32) -> BaseRecord<'_, (), str> {
        BaseRecord::to(self.topic)
            .partition(partition)
            .payload(WARM_UP)
    }

    /// A `BaseProducer` that has written its warm-up messages, with `tally`
    /// reset afterwards.
    fn base_producer(&self, tally: &Tally) -> anyhow::Result<BaseProducer<Tally>> {
        let producer: BaseProducer<Tally> = self.config().create_with_context(tally.clone())?;
        let partitions = self.warm_up(producer.client(), |partition| {
            send(&producer, self.warm_up_record(partition))
        })?;
        drain(&producer)?;
        tally.warmed_up(partitions)?;
        Ok(producer)
    }

    /// A `FutureProducer` that has written its warm-up messages.
    fn future_producer(&self) -> anyhow::Result<FutureProducer> {
        let producer: FutureProducer = self.config().create()?;
        self.warm_up(producer.client(), |partition| {
            let record = FutureRecord::<(), _>::to(self.topic).partition(partition);
            self.runtime
                .block_on(producer.send(record.payload(WARM_UP), TIMEOUT))
                .map_err(|(err, _msg)| err)?;
            Ok(())
        })?;
        Ok(producer)
    }

    /// A `ThreadedProducer` that has written its warm-up messages, and the
    /// channel its reports arrive on.
    fn threaded_producer(
        &self,
    ) -> anyhow::Result<(ThreadedProducer<Channel>, mpsc::Receiver<Report>)> {
        let (sender, reports) = mpsc::channel();
        let producer: ThreadedProducer<Channel> =
            self.config().create_with_context(Channel(sender))?;
        self.warm_up(producer.client(), |partition| {
            send_threaded(&producer, self.warm_up_record(partition))?;
            reports
                .recv_timeout(TIMEOUT)
                .context("no delivery report")??;
            Ok(())
        })?;
        Ok((producer, reports))
    }

    /// A `ThreadedProducer` with a `Tally`, warmed up, for the strategies
    /// that call librdkafka's own flush.
    fn counting_threaded_producer(&self) -> anyhow::Result<(ThreadedProducer<Tally>, Tally)> {
        let tally = Tally::default();
        let producer: ThreadedProducer<Tally> = self.config().create_with_context(tally.clone())?;
        let partitions = self.warm_up(producer.client(), |partition| {
            send_threaded(&producer, self.warm_up_record(partition))
        })?;
        flush_now(&producer, TIMEOUT)?;
        tally.warmed_up(partitions)?;
        Ok((producer, tally))
    }
}

/// Every run starts with this message to each partition, untimed, so that
/// no run pays for connecting to the leaders or for a partition's first write.
pub const WARM_UP: &str = r#"{"warm_up": true}"#;

/// Polls in 1 ms steps until every report has been served.
fn drain<C: ProducerContext>(producer: &BaseProducer<C>) -> anyhow::Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    while producer.in_flight_count() > 0 {
        if Instant::now() > deadline {
            bail!("{} messages still in flight", producer.in_flight_count());
        }
        producer.poll(Duration::from_millis(1));
    }
    Ok(())
}

/// Wall time, and the CPU time of the whole process (user and system, every
/// thread, librdkafka's included), since `start`: so that a strategy that
/// spins and one that sleeps are compared honestly.
#[derive(Clone, Copy)]
pub struct Clock {
    wall: Instant,
    cpu: ProcessTime,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: ProcessTime::now(),
        }
    }
}

/// What one run of a strategy did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// From the first send until the last message was answered for.
    pub elapsed: Duration,
    /// The process's CPU time over the same span.
    pub cpu: Duration,
    /// Delivery reports that said "stored".
    pub delivered: usize,
    /// Delivery reports that said "failed", and the first such error.
    pub failed: usize,
    pub first_error: Option<String>,
    /// For the synchronous strategies: each message, from send to report.
    pub latencies: Vec<Duration>,
    /// For `delivery_callback`: (partition, offset) of every report.
    pub offsets: Option<Vec<(i32, i64)>>,
}

/// Where each message landed: (partition, offset).
type Offsets = Arc<Mutex<Vec<(i32, i64)>>>;

/// A producer context that counts delivery reports, and collects where each
/// message landed when asked to.
#[derive(Clone, Default)]
struct Tally {
    delivered: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    first_error: Arc<Mutex<Option<String>>>,
    offsets: Option<Offsets>,
}

impl ClientContext for Tally {}

impl ProducerContext for Tally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(msg) => {
                self.delivered.fetch_add(1, Ordering::SeqCst);
                if let Some(offsets) = &self.offsets {
                    offsets
                        .lock()
                        .unwrap()
                        .push((msg.partition(), msg.offset()));
                }
            }
            Err((err, _msg)) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                self.first_error
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| err.to_string());
            }
        }
    }
}

impl Tally {
    /// Checks that the `partitions` warm-up messages were delivered, then
    /// starts counting from zero.
    fn warmed_up(&self, partitions: i32) -> anyhow::Result<()> {
        ensure!(
            self.delivered.load(Ordering::SeqCst) == partitions as usize,
            "the warm-up messages were not delivered"
        );
        self.reset();
        Ok(())
    }

    fn reset(&self) {
        self.delivered.store(0, Ordering::SeqCst);
        self.failed.store(0, Ordering::SeqCst);
        if let Some(offsets) = &self.offsets {
            offsets.lock().unwrap().clear();
        }
    }

    fn collecting() -> Tally {
        Tally {
            offsets: Some(Arc::default()),
            ..Tally::default()
        }
    }

    fn outcome(&self, clock: Clock, latencies: Vec<Duration>) -> Outcome {
        Outcome {
            elapsed: clock.wall.elapsed(),
            cpu: clock.cpu.elapsed(),
            delivered: self.delivered.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            first_error: self.first_error.lock().unwrap().clone(),
            latencies,
            offsets: self
                .offsets
                .as_ref()
                .map(|offsets| offsets.lock().unwrap().clone()),
        }
    }
}

/// `send`, waiting for room while the producer's queue is full.
// The record handed back is rdkafka's own large error type, as in its `send`.
#[allow(clippy::result_large_err)]
fn send<K, P, C>(producer: &BaseProducer<C>, record: BaseRecord<'_, K, P>) -> anyhow::Result<()>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
    C: ProducerContext<DeliveryOpaque = ()>,
{
    // Serving reports is what makes room in a BaseProducer's queue.
    send_when_room(
        record,
        |r| producer.send(r),
        || producer.poll(Duration::from_millis(1)),
    )
}

/// `send` on a `ThreadedProducer`, waiting while its queue is full: its
/// thread makes room as it serves reports.
// The record handed back is rdkafka's own large error type, as in its `send`.
#[allow(clippy::result_large_err)]
fn send_threaded<K, P, C>(
    producer: &ThreadedProducer<C>,
    record: BaseRecord<'_, K, P>,
) -> anyhow::Result<()>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
    C: ProducerContext<DeliveryOpaque = ()>,
{
    send_when_room(
        record,
        |r| producer.send(r),
        || std::thread::sleep(Duration::from_millis(1)),
    )
}

/// Tries `try_send` until the queue takes the record, calling `wait` after
/// each `QueueFull`; any other error ends it.
fn send_when_room<'a, K, P>(
    mut record: BaseRecord<'a, K, P>,
    try_send: impl Fn(BaseRecord<'a, K, P>) -> Result<(), (KafkaError, BaseRecord<'a, K, P>)>,
    wait: impl Fn(),
) -> anyhow::Result<()>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    loop {
        match try_send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                wait();
            }
            Err((err, _)) => return Err(err.into()),
        }
    }
}

// The notebook's first loop: flush after every message.
fn flush_each(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    flush_after_each_send(target, n, rdkafka_flush)
}

/// A flush of a `BaseProducer`: rdkafka's, or the safe one of the listing
/// `flush_promptly`.
type Flush = fn(&BaseProducer<Tally>, Duration) -> rdkafka::error::KafkaResult<()>;

/// rdkafka's own flush, in 100 ms slices.
fn rdkafka_flush(
    producer: &BaseProducer<Tally>,
    timeout: Duration,
) -> rdkafka::error::KafkaResult<()> {
    producer.flush(timeout)
}

/// Sends `n` keyed messages, each followed by `flush`.
fn flush_after_each_send(target: &Target<'_>, n: usize, flush: Flush) -> anyhow::Result<Outcome> {
    let tally = Tally::default();
    let producer = target.base_producer(&tally)?;
    let mut latencies = Vec::with_capacity(n);
    let clock = Clock::start();
    for i in 0..n {
        let sent = Instant::now();
        send(
            &producer,
            BaseRecord::to(target.topic).key(KEY).payload(&value(i)),
        )?;
        flush(&producer, TIMEOUT)?;
        latencies.push(sent.elapsed());
        target.progress.inc(1);
    }
    Ok(tally.outcome(clock, latencies))
}

// The notebook's second loop: queue everything, flush once.
fn flush_once(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    send_all_then_flush(target, n, Tally::default(), rdkafka_flush)
}

// The notebook's callback loop: the same, with every report collected.
fn delivery_callback(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    send_all_then_flush(target, n, Tally::collecting(), rdkafka_flush)
}

/// Sends `n` keyed messages, then calls `flush` once.
fn send_all_then_flush(
    target: &Target<'_>,
    n: usize,
    tally: Tally,
    flush: Flush,
) -> anyhow::Result<Outcome> {
    let producer = target.base_producer(&tally)?;
    let clock = Clock::start();
    for i in 0..n {
        send(
            &producer,
            BaseRecord::to(target.topic).key(KEY).payload(&value(i)),
        )?;
    }
    flush(&producer, TIMEOUT)?;
    Ok(tally.outcome(clock, Vec::new()))
}

// The notebook's asynchronous loop: no key, poll(0) after each send; then
// the flush it recommends before the producer goes away.
fn poll_then_flush(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    poll_each_then(target, n, |producer| Ok(producer.flush(TIMEOUT)?))
}

// The same loop, ended by polling in 1 ms steps until every report has been
// served, instead of in flush's 100 ms slices.
fn poll_then_drain(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    poll_each_then(target, n, drain)
}

/// Sends `n` keyless messages with `poll(0)` after each, then waits with
/// `finish` until every report has been served.
fn poll_each_then(
    target: &Target<'_>,
    n: usize,
    finish: impl FnOnce(&BaseProducer<Tally>) -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    let tally = Tally::default();
    let producer = target.base_producer(&tally)?;
    let clock = Clock::start();
    for i in 0..n {
        send(
            &producer,
            BaseRecord::<(), _>::to(target.topic).payload(&value(i)),
        )?;
        producer.poll(Duration::ZERO);
    }
    finish(&producer)?;
    Ok(tally.outcome(clock, Vec::new()))
}

// The synchronous write the book recommends: await each message's future.
fn send_and_wait(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let producer = target.future_producer()?;
    // A clone is a handle to the same producer: nothing is built per message.
    await_each_send(target, n, || Ok(producer.clone()))
}

/// Sends `n` keyed messages one at a time, each through the producer
/// `producer_for` gives and awaited before the next; each message's time
/// includes getting its producer and dropping it.
fn await_each_send(
    target: &Target<'_>,
    n: usize,
    mut producer_for: impl FnMut() -> anyhow::Result<FutureProducer>,
) -> anyhow::Result<Outcome> {
    target.runtime.block_on(async {
        let mut outcome = Outcome::default();
        let clock = Clock::start();
        for i in 0..n {
            let sent = Instant::now();
            let producer = producer_for()?;
            let payload = value(i);
            let record = FutureRecord::to(target.topic).key(KEY).payload(&payload);
            match producer.send(record, TIMEOUT).await {
                Ok(_delivery) => outcome.delivered += 1,
                Err((err, _msg)) => outcome.fail(err),
            }
            drop(producer);
            outcome.latencies.push(sent.elapsed());
            target.progress.inc(1);
        }
        outcome.stop(clock);
        Ok(outcome)
    })
}

// The context that hands every report to a channel, as the listing
// `wait_for_each` teaches it.
#[allow(dead_code)]
#[path = "../../listings/src/bin/wait_for_each.rs"]
mod wait_for_each;
use wait_for_each::{Report, ToChannel as Channel};

// A synchronous write without async: a ThreadedProducer's thread serves the
// reports, and the caller waits on a channel for each one.
fn threaded_channel(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let (producer, reports) = target.threaded_producer()?;
    let mut outcome = Outcome::default();
    let clock = Clock::start();
    for i in 0..n {
        let sent = Instant::now();
        producer
            .send(BaseRecord::to(target.topic).key(KEY).payload(&value(i)))
            .map_err(|(err, _record)| err)?;
        match reports
            .recv_timeout(TIMEOUT)
            .context("no delivery report")?
        {
            Ok(_) => outcome.delivered += 1,
            Err(err) => outcome.fail(err),
        }
        outcome.latencies.push(sent.elapsed());
        target.progress.inc(1);
    }
    outcome.stop(clock);
    Ok(outcome)
}

// The notebook's asynchronous loop with a thread that polls for you: the
// reports arrive on the channel while the loop still sends; at the end,
// wait for the ones not yet in.
fn threaded_all_in_flight(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let (producer, reports) = target.threaded_producer()?;
    let mut outcome = Outcome::default();
    let clock = Clock::start();
    let mut answered = 0;
    for i in 0..n {
        send_threaded(
            &producer,
            BaseRecord::<(), _>::to(target.topic).payload(&value(i)),
        )?;
        // Take the reports that are in, without waiting for the others.
        for report in reports.try_iter() {
            answered += 1;
            outcome.count(report);
        }
    }
    while answered < n {
        outcome.count(
            reports
                .recv_timeout(TIMEOUT)
                .context("no delivery report")?,
        );
        answered += 1;
    }
    outcome.stop(clock);
    Ok(outcome)
}

// The asynchronous write the book recommends: every message in flight at
// once, then one await per message, in order.
fn future_all_in_flight(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let producer = target.future_producer()?;
    target.runtime.block_on(async {
        let mut outcome = Outcome::default();
        let clock = Clock::start();
        let mut deliveries = Vec::with_capacity(n);
        for i in 0..n {
            let payload = value(i);
            let mut record = FutureRecord::<(), _>::to(target.topic).payload(&payload);
            // `send_result` queues the message now; `send` would queue it
            // only when awaited.
            loop {
                match producer.send_result(record) {
                    Ok(delivery) => break deliveries.push(delivery),
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((err, _)) => return Err(err.into()),
                }
            }
        }
        for delivery in deliveries {
            match delivery.await.context("producer dropped")? {
                Ok(_delivery) => outcome.delivered += 1,
                Err((err, _msg)) => outcome.fail(err),
            }
        }
        outcome.stop(clock);
        Ok(outcome)
    })
}

// librdkafka's own flush, as the listing `librdkafka_flush` teaches it: the
// benchmark runs the listing's own function (its `main` is not used here).
#[allow(dead_code)]
#[path = "../../listings/src/bin/librdkafka_flush.rs"]
mod librdkafka_flush;
use librdkafka_flush::flush_now;

// The safe flush, as the listing `flush_promptly` teaches it.
#[allow(dead_code)]
#[path = "../../listings/src/bin/flush_promptly.rs"]
mod flush_promptly;
use flush_promptly::flush_promptly;

// The notebook's first loop with the safe flush after every message.
fn prompt_flush_each(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    flush_after_each_send(target, n, flush_promptly)
}

// The notebook's second loop with the safe flush: queue everything, with
// linger.ms left at 5 ms, then flush once. A full queue is served by
// `send`'s poll, as in flush_once.
fn prompt_flush(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    send_all_then_flush(target, n, Tally::default(), flush_promptly)
}

// The notebook's first loop as Python runs it: send, then librdkafka's
// flush after every message, with linger.ms left at 5 ms (the flush cuts
// it short).
fn native_flush_each(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let (producer, tally) = target.counting_threaded_producer()?;
    let mut latencies = Vec::with_capacity(n);
    let clock = Clock::start();
    for i in 0..n {
        let sent = Instant::now();
        send_threaded(
            &producer,
            BaseRecord::to(target.topic).key(KEY).payload(&value(i)),
        )?;
        flush_now(&producer, TIMEOUT)?;
        latencies.push(sent.elapsed());
        target.progress.inc(1);
    }
    Ok(tally.outcome(clock, latencies))
}

// The notebook's second loop as Python runs it: queue everything, with
// linger.ms left at 5 ms, then librdkafka's flush.
fn native_flush(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let (producer, tally) = target.counting_threaded_producer()?;
    let clock = Clock::start();
    for i in 0..n {
        send_threaded(
            &producer,
            BaseRecord::to(target.topic).key(KEY).payload(&value(i)),
        )?;
    }
    flush_now(&producer, TIMEOUT)?;
    Ok(tally.outcome(clock, Vec::new()))
}

// The ways of keeping many writes in flight from async code, as the listing
// `concurrent_writes` teaches them: the benchmark runs the listing's own
// functions.
#[allow(dead_code)]
#[path = "../../listings/src/bin/concurrent_writes.rs"]
mod concurrent_writes;
use concurrent_writes::KeyValue;

/// How many messages the bounded async ways keep in flight: a tenth of
/// librdkafka's default queue, so that none of them meets a full queue.
const BOUND: usize = 10_000;

/// The benchmark's messages, keyed as the synchronous loops key them.
fn key_values(n: usize) -> Vec<KeyValue> {
    (0..n).map(|i| (KEY.to_string(), value(i))).collect()
}

/// Runs one of `concurrent_writes`' ways on a warmed-up `FutureProducer`,
/// timing everything from making the messages to the last report.
fn run_async_way<F, Fut>(target: &Target<'_>, n: usize, way: F) -> anyhow::Result<Outcome>
where
    F: FnOnce(FutureProducer, Vec<KeyValue>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<rdkafka::error::KafkaResult<Delivery>>>>,
{
    let producer = target.future_producer()?;
    target.runtime.block_on(async {
        let clock = Clock::start();
        // A clone: dropping the last handle, which joins the producer's
        // thread, happens after the clock stops.
        let reports = way(producer.clone(), key_values(n)).await?;
        let mut outcome = Outcome::default();
        for report in reports {
            match report {
                Ok(_delivery) => outcome.delivered += 1,
                Err(err) => outcome.fail(err),
            }
        }
        outcome.stop(clock);
        Ok(outcome)
    })
}

fn tokio_in_order_window(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let topic = target.topic;
    run_async_way(target, n, |producer, messages| async move {
        concurrent_writes::in_order_window(&producer, topic, messages, BOUND).await
    })
}

fn tokio_buffered_stream(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let topic = target.topic;
    run_async_way(target, n, |producer, messages| async move {
        concurrent_writes::buffered_stream(&producer, topic, messages, BOUND).await
    })
}

fn tokio_spawn_with_permits(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let topic = target.topic;
    run_async_way(target, n, |producer, messages| async move {
        concurrent_writes::spawn_with_permits(&producer, topic, messages, BOUND).await
    })
}

fn tokio_spawn_each(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let topic = target.topic;
    run_async_way(target, n, |producer, messages| async move {
        concurrent_writes::spawn_each(&producer, topic, messages).await
    })
}

// What a handler that builds its own producer costs: a client, a connection
// and its threads for every message, then a drop that joins its thread.
fn producer_per_message(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    // Every run starts with the warm-up messages, written by a producer of
    // their own.
    drop(target.future_producer()?);
    await_each_send(target, n, || Ok(target.config().create()?))
}

// The async way without a future per message, as the listing
// `report_permits` teaches it: the benchmark runs the listing's own context
// and `write_all`.
#[allow(dead_code)]
#[path = "../../listings/src/bin/report_permits.rs"]
mod report_permits;
use report_permits::ReturnPermits;

fn tokio_report_permits(target: &Target<'_>, n: usize) -> anyhow::Result<Outcome> {
    let bound = BOUND as u32;
    let producer: ThreadedProducer<ReturnPermits> = target
        .config()
        .create_with_context(ReturnPermits::new(bound))?;
    let context = producer.context().clone();
    // The warm-up takes a permit per message, as `write_all` does, and
    // waits for all of them back.
    let partitions = target.warm_up(producer.client(), |partition| {
        target.runtime.block_on(context.permits.acquire())?.forget();
        send_threaded(&producer, target.warm_up_record(partition))
    })?;
    drop(
        target
            .runtime
            .block_on(context.permits.acquire_many(bound))?,
    );
    ensure!(
        context.delivered.swap(0, Ordering::SeqCst) == partitions as usize,
        "the warm-up messages were not delivered"
    );
    target.runtime.block_on(async {
        let clock = Clock::start();
        report_permits::write_all(&producer, target.topic, &key_values(n)).await?;
        let mut outcome = Outcome {
            delivered: context.delivered.load(Ordering::SeqCst),
            failed: context.failed.load(Ordering::SeqCst),
            first_error: context.first_error.lock().unwrap().clone(),
            ..Outcome::default()
        };
        outcome.stop(clock);
        Ok(outcome)
    })
}

impl Outcome {
    /// The run ends now: its wall and CPU time since `clock` started.
    fn stop(&mut self, clock: Clock) {
        self.elapsed = clock.wall.elapsed();
        self.cpu = clock.cpu.elapsed();
    }

    fn fail(&mut self, err: KafkaError) {
        self.failed += 1;
        self.first_error.get_or_insert_with(|| err.to_string());
    }

    fn count(&mut self, report: Report) {
        match report {
            Ok(_) => self.delivered += 1,
            Err(err) => self.fail(err),
        }
    }
}

/// One round trip to the broker, estimated two ways.
pub struct RoundTrip {
    /// Timed around `count` metadata requests: the fastest and the median.
    pub fastest: Duration,
    pub median: Duration,
    /// librdkafka's own measure of the same requests, from sending each to
    /// receiving its response: the median (p50) of its `rtt` statistics.
    pub librdkafka_p50: Duration,
}

/// Keeps the latest statistics report.
#[derive(Default)]
struct LatestReport(Mutex<Option<Statistics>>);

impl ClientContext for LatestReport {
    fn stats(&self, report: Statistics) {
        *self.0.lock().unwrap() = Some(report);
    }
}

impl ConsumerContext for LatestReport {}

/// Times `count` metadata requests for `topic`, and reads librdkafka's own
/// round-trip times of them from its statistics.
pub fn round_trip(
    broker: &listings::Broker,
    topic: &str,
    count: usize,
) -> anyhow::Result<RoundTrip> {
    let consumer: BaseConsumer<LatestReport> = broker
        .config()
        .set("statistics.interval.ms", "50")
        .create_with_context(LatestReport::default())?;
    let mut times = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let started = Instant::now();
        consumer.fetch_metadata(Some(topic), TIMEOUT)?;
        times.push(started.elapsed());
    }
    times.sort();
    // The next report covers the requests just made; `poll` serves it.
    *consumer.context().0.lock().unwrap() = None;
    let deadline = Instant::now() + TIMEOUT;
    let librdkafka_p50 = loop {
        ensure!(
            Instant::now() < deadline,
            "no statistics report with a round trip"
        );
        consumer.poll(Duration::from_millis(10));
        let report = consumer.context().0.lock().unwrap().take();
        let rtt = report.and_then(|report| {
            report
                .brokers
                .into_values()
                .filter_map(|broker| broker.rtt)
                .filter(|rtt| rtt.cnt > 0)
                .max_by_key(|rtt| rtt.cnt)
        });
        if let Some(rtt) = rtt {
            break Duration::from_micros(rtt.p50.max(0) as u64);
        }
    };
    Ok(RoundTrip {
        fastest: times[0],
        median: times[times.len() / 2],
        librdkafka_p50,
    })
}
