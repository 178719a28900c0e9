// The benchmark of the chapter "Measure it yourself": every way of writing
// that the book teaches, at several message counts, several runs each, on
// the embedded broker or on KAFKA_BOOTSTRAP_SERVERS. Every run is checked:
// each message must be reported delivered, and the topic must have grown by
// exactly the number of messages written.
//
//   cargo run --release -p listings --bin bench -- [--json] [--quick]
//       [--messages 15,1000,100000] [--runs 5] [--strategies a,b]
//       [--markdown PATH] [--svg PATH] [--compare JSONL]... [--set key=value]...
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::BaseConsumer;

#[path = "../bench/chart.rs"]
mod chart;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/strategies.rs"]
mod strategies;

use report::{Measured, Row};
use strategies::{Cost, Outcome, Strategy, Target};

const USAGE: &str = "\
usage: bench [--json] [--quick] [--messages 15,1000,100000] [--runs N]
             [--strategies NAME,NAME] [--markdown PATH] [--svg PATH]
             [--compare JSONL]... [--set KEY=VALUE]... [--keep-topics]

Writes {\"count\": n} messages with every strategy of the book and reports
the median time of several runs. Without KAFKA_BOOTSTRAP_SERVERS it starts
an embedded broker.

  --json          one JSON object per line on stdout instead of the table
  --quick         15 and 1,000 messages, 2 runs, flush_each at 15 only
  --messages      the message counts
  --runs          runs per strategy and count (default 5)
  --strategies    only these strategies
  --markdown      also write the table to PATH
  --svg           also draw the chart to PATH
  --compare       add the JSON lines in this file (scripts/notebook.py,
                  scripts/perf-test) to the table and the chart
  --set           a producer setting for every strategy, e.g. linger.ms=5
  --keep-topics   on a real Kafka, keep the topics written to";

/// Strategies that pay per message run at most this many messages.
const PER_MESSAGE_LIMIT: usize = 1_000;

struct Options {
    json: bool,
    quick: bool,
    messages: Vec<usize>,
    runs: usize,
    strategies: Vec<&'static Strategy>,
    markdown: Option<PathBuf>,
    svg: Option<PathBuf>,
    compare: Vec<PathBuf>,
    overrides: Vec<(String, String)>,
    keep_topics: bool,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut options = Options {
        json: false,
        quick: false,
        messages: Vec::new(),
        runs: 0,
        strategies: strategies::ALL.iter().collect(),
        markdown: None,
        svg: None,
        compare: Vec::new(),
        overrides: Vec::new(),
        keep_topics: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--json" => options.json = true,
            "--quick" => options.quick = true,
            "--keep-topics" => options.keep_topics = true,
            "--messages" => {
                options.messages = value()?
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse::<usize>())
                    .collect::<Result<_, _>>()
                    .context("--messages takes numbers separated by commas")?;
                ensure!(
                    options.messages.iter().all(|&n| n > 0),
                    "--messages must be at least 1"
                );
            }
            "--runs" => {
                options.runs = value()?.parse().context("--runs takes a number")?;
                ensure!(options.runs > 0, "--runs must be at least 1");
            }
            "--strategies" => {
                options.strategies = value()?
                    .split(',')
                    .map(|name| {
                        strategies::ALL
                            .iter()
                            .find(|s| s.name == name.trim())
                            .with_context(|| format!("no strategy {name:?}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--markdown" => options.markdown = Some(value()?.into()),
            "--svg" => options.svg = Some(value()?.into()),
            "--compare" => options.compare.push(value()?.into()),
            "--set" => {
                let setting = value()?;
                let (key, value) = setting.split_once('=').context("--set takes KEY=VALUE")?;
                options.overrides.push((key.into(), value.into()));
            }
            "-h" | "--help" => {
                println!("{USAGE}\n\nstrategies:");
                for strategy in strategies::ALL {
                    println!("  {:<24}{}", strategy.name, strategy.summary);
                }
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    if options.messages.is_empty() {
        options.messages = if options.quick {
            vec![15, 1_000]
        } else {
            vec![15, 1_000, 100_000]
        };
    }
    if options.runs == 0 {
        options.runs = if options.quick { 2 } else { 5 };
    }
    Ok(options)
}

/// How many runs of `strategy` at `n` messages, or why none.
fn plan(strategy: &Strategy, n: usize, options: &Options) -> Result<usize, String> {
    match strategy.cost {
        Cost::SliceEach if options.quick && n > 15 => Err("skipped: 100 ms × n".into()),
        Cost::SliceEach if n > PER_MESSAGE_LIMIT => Err("skipped: 100 ms × n".into()),
        Cost::RoundTripEach if n > PER_MESSAGE_LIMIT => Err("skipped: one round trip × n".into()),
        // A run takes 100 ms × n: more than ten seconds is worth one run only.
        Cost::SliceEach if n > 100 => Ok(1),
        _ => Ok(options.runs),
    }
}

fn main() -> anyhow::Result<()> {
    let options = parse_args()?;
    let base_topic = listings::topic_from_env()?;
    let broker = listings::Broker::from_env()?;
    let broker_kind = if broker.is_embedded() {
        "embedded"
    } else {
        "kafka"
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let consumer: BaseConsumer = broker.config().create()?;

    // One fresh topic per strategy, so that its high watermarks count
    // exactly what the benchmark wrote.
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut topics = BTreeMap::new();
    for strategy in &options.strategies {
        let topic = format!("{base_topic}-bench-{stamp}-{}", strategy.name);
        broker.create_topic(&topic)?;
        topics.insert(strategy.name, topic);
    }
    let first_topic = topics.values().next().context("no strategy to run")?;
    let (rtt_min, rtt_median) = strategies::round_trip(&consumer, first_topic, 21)?;
    eprintln!(
        "round trip (metadata request): fastest {}, median {}",
        listings::format_duration(rtt_min),
        listings::format_duration(rtt_median)
    );

    let total: u64 = options
        .strategies
        .iter()
        .flat_map(|s| options.messages.iter().map(move |&n| (s, n)))
        .filter_map(|(s, n)| plan(s, n, &options).ok().map(|runs| (runs * n) as u64))
        .sum();
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} messages  {msg}",
            )?
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };

    let result = run_all(
        &options,
        &broker,
        broker_kind,
        &topics,
        &consumer,
        &runtime,
        &progress,
        rtt_median,
    );
    progress.finish_and_clear();
    if !broker.is_embedded() && !options.keep_topics {
        delete_topics(&broker, &runtime, topics.values())?;
    }
    let mut rows = result?;

    for path in &options.compare {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            rows.push(Row::from_json(line).with_context(|| format!("in {}", path.display()))?);
        }
    }
    let order: Vec<&str> = strategies::ALL
        .iter()
        .map(|s| s.name)
        .chain(["perf_test"])
        .collect();
    report::sort(&mut rows, &order);

    let table = report::markdown(&rows);
    let footnote = format!(
        "\nBroker: {}. One round trip, as the median of 21 metadata requests: {}.\n",
        if broker.is_embedded() {
            "the embedded broker (librdkafka's mock cluster)".to_string()
        } else {
            format!("Apache Kafka at {}", broker.bootstrap_servers())
        },
        listings::format_duration(rtt_median)
    );
    if !options.json {
        print!("{table}{footnote}");
    }
    if let Some(path) = &options.markdown {
        std::fs::write(path, format!("{table}{footnote}"))
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    if let Some(path) = &options.svg {
        let title = if broker.is_embedded() {
            "Writing {\"count\": n} to the embedded broker"
        } else {
            "Writing {\"count\": n} to Apache Kafka"
        };
        chart::write_svg(path, title, &rows)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run_all(
    options: &Options,
    broker: &listings::Broker,
    broker_kind: &str,
    topics: &BTreeMap<&str, String>,
    consumer: &BaseConsumer,
    runtime: &tokio::runtime::Runtime,
    progress: &ProgressBar,
    round_trip: Duration,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &n in &options.messages {
        for strategy in &options.strategies {
            let topic = &topics[strategy.name];
            let row = match plan(strategy, n, options) {
                Err(reason) => Row {
                    strategy: strategy.name.into(),
                    client: "rust".into(),
                    messages: n,
                    broker: broker_kind.into(),
                    result: Err(reason),
                },
                Ok(runs) => {
                    progress.set_message(format!("{} × {n}", strategy.name));
                    let target = Target {
                        bootstrap_servers: broker.bootstrap_servers(),
                        topic,
                        overrides: &options.overrides,
                        runtime,
                        progress,
                    };
                    let measured = measure(strategy, &target, consumer, n, runs)?;
                    Row {
                        strategy: strategy.name.into(),
                        client: "rust".into(),
                        messages: n,
                        broker: broker_kind.into(),
                        result: Ok(Measured {
                            extra: [
                                ("verified", serde_json::json!(true)),
                                ("delivered", serde_json::json!(n)),
                                (
                                    "round_trip_us",
                                    serde_json::json!(
                                        (round_trip.as_secs_f64() * 1e7).round() / 10.0
                                    ),
                                ),
                            ]
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                            ..measured
                        }),
                    }
                }
            };
            if options.json {
                println!("{}", row.to_json());
            } else if progress.is_hidden() {
                eprintln!("{}", one_line(&row));
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Runs `strategy` `runs` times and checks every run.
fn measure(
    strategy: &Strategy,
    target: &Target<'_>,
    consumer: &BaseConsumer,
    n: usize,
    runs: usize,
) -> anyhow::Result<Measured> {
    let mut seconds = Vec::with_capacity(runs);
    let mut latencies = Vec::new();
    // Each run writes one warm-up message to each partition first.
    let partitions = i64::from(listings::PARTITIONS);
    for run in 1..=runs {
        let before = strategies::high_watermarks(consumer, target.topic)?;
        let outcome = (strategy.run)(target, n)
            .with_context(|| format!("{} × {n}, run {run}", strategy.name))?;
        let after = strategies::high_watermarks(consumer, target.topic)?;
        verify(&outcome, n, after - before - partitions)
            .with_context(|| format!("{} × {n}, run {run} lost messages", strategy.name))?;
        if !strategy.synchronous {
            target.progress.inc(n as u64);
        }
        seconds.push(outcome.elapsed.as_secs_f64());
        latencies.extend(outcome.latencies);
    }
    // The strategy's settings, each replaced by an override of the same key.
    let mut settings: Vec<(String, String)> = strategy
        .settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (key, value) in target.overrides {
        settings.retain(|(k, _)| k != key);
        settings.push((key.clone(), value.clone()));
    }
    let config = settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Measured {
        runs,
        seconds: report::median(&seconds),
        p50_us: report::percentile_us(&latencies, 50.0),
        p99_us: report::percentile_us(&latencies, 99.0),
        config,
        extra: Default::default(),
    })
}

/// A run counts only if every message was reported delivered, none failed,
/// and the topic grew by exactly `n`.
fn verify(outcome: &Outcome, n: usize, grown: i64) -> anyhow::Result<()> {
    if outcome.failed > 0 {
        bail!(
            "{} delivery reports said failed, the first: {}",
            outcome.failed,
            outcome.first_error.as_deref().unwrap_or("?")
        );
    }
    ensure!(
        outcome.delivered == n,
        "{} of {n} messages reported delivered",
        outcome.delivered
    );
    ensure!(
        grown == n as i64,
        "the topic grew by {grown} messages besides the warm-up, not {n}"
    );
    if let Some(offsets) = &outcome.offsets {
        // Per partition, the reported offsets follow one another.
        let mut by_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
        for &(partition, offset) in offsets {
            by_partition.entry(partition).or_default().push(offset);
        }
        for (partition, mut seen) in by_partition {
            seen.sort_unstable();
            let gaps = seen.windows(2).filter(|w| w[1] != w[0] + 1).count();
            ensure!(
                gaps == 0,
                "partition {partition}: reported offsets have gaps"
            );
        }
    }
    Ok(())
}

fn one_line(row: &Row) -> String {
    match &row.result {
        Err(reason) => format!("{} × {}: {reason}", row.strategy, row.messages),
        Ok(m) => format!(
            "{} × {}: {} (median of {}), {} messages/s",
            row.strategy,
            row.messages,
            listings::format_duration(Duration::from_secs_f64(m.seconds)),
            m.runs,
            report::thousands(m.msgs_per_sec(row.messages))
        ),
    }
}

fn delete_topics<'a>(
    broker: &listings::Broker,
    runtime: &tokio::runtime::Runtime,
    topics: impl Iterator<Item = &'a String>,
) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = broker.config().create()?;
    let names: Vec<&str> = topics.map(String::as_str).collect();
    let options = AdminOptions::new().operation_timeout(Some(strategies::TIMEOUT));
    for result in runtime.block_on(admin.delete_topics(&names, &options))? {
        if let Err((name, code)) = result {
            eprintln!("could not delete topic {name}: {code}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(n: usize) -> Outcome {
        Outcome {
            delivered: n,
            ..Outcome::default()
        }
    }

    #[test]
    fn a_run_counts_only_when_every_message_arrived() {
        assert!(verify(&delivered(1000), 1000, 1000).is_ok());
        // One report missing, or one message not in the topic.
        assert!(verify(&delivered(999), 1000, 1000).is_err());
        assert!(verify(&delivered(1000), 1000, 999).is_err());
        // A failed report fails the run, whatever the counts say.
        let failed = Outcome {
            failed: 1,
            first_error: Some("Message production error: MessageTimedOut".into()),
            ..delivered(1000)
        };
        let err = verify(&failed, 1000, 1000).unwrap_err().to_string();
        assert!(err.contains("MessageTimedOut"), "{err}");
    }

    #[test]
    fn reported_offsets_must_follow_one_another() {
        let with = |offsets: Vec<(i32, i64)>| Outcome {
            offsets: Some(offsets),
            ..delivered(4)
        };
        assert!(verify(&with(vec![(0, 7), (0, 8), (1, 3), (1, 4)]), 4, 4).is_ok());
        assert!(verify(&with(vec![(0, 7), (0, 9), (1, 3), (1, 4)]), 4, 4).is_err());
    }

    #[test]
    fn strategies_that_pay_per_message_stop_at_a_thousand() {
        let options = Options {
            json: false,
            quick: false,
            messages: vec![15, 1_000, 100_000],
            runs: 5,
            strategies: Vec::new(),
            markdown: None,
            svg: None,
            compare: Vec::new(),
            overrides: Vec::new(),
            keep_topics: false,
        };
        let by_name = |name: &str| strategies::ALL.iter().find(|s| s.name == name).unwrap();
        let flush_each = by_name("flush_each");
        assert_eq!(plan(flush_each, 15, &options), Ok(5));
        assert_eq!(plan(flush_each, 1_000, &options), Ok(1));
        assert!(plan(flush_each, 100_000, &options).is_err());
        assert!(plan(by_name("send_and_wait"), 100_000, &options).is_err());
        assert_eq!(
            plan(by_name("future_all_in_flight"), 100_000, &options),
            Ok(5)
        );
        let quick = Options {
            quick: true,
            ..options
        };
        assert!(plan(flush_each, 1_000, &quick).is_err());
    }
}
