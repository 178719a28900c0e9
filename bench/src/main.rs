// The benchmark's command line: `cargo run --release -p bench -- --help`.
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use bench::measure::{measure, plan};
use bench::report::{self, Measured, Row};
use bench::strategies::{self, Strategy, Target};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use serde_json::json;

/// Writes {"count": n} messages with every strategy of the book and reports
/// the median time of several runs. Without KAFKA_BOOTSTRAP_SERVERS it
/// starts an embedded broker.
#[derive(Parser)]
#[command(name = "bench", after_help = strategy_list())]
struct Options {
    /// One JSON object per line on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// 15 and 1,000 messages, 2 runs, flush_each at 15 only.
    #[arg(long)]
    quick: bool,
    /// The message counts [default: 15,1000,100000; with --quick 15,1000].
    #[arg(long, value_delimiter = ',', value_parser = message_count)]
    messages: Vec<usize>,
    /// Runs per strategy and count [default: 5; with --quick 2].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    runs: Option<u16>,
    /// Only these strategies [default: all of them].
    #[arg(long, value_delimiter = ',', value_parser = strategy)]
    strategies: Vec<&'static Strategy>,
    /// Also write the table to PATH.
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// Also draw the chart to PATH.
    #[arg(long, value_name = "PATH")]
    svg: Option<PathBuf>,
    /// Add the JSON lines in this file (scripts/notebook.py,
    /// scripts/perf-test) to the table and the chart.
    #[arg(long, value_name = "JSONL")]
    compare: Vec<PathBuf>,
    /// A producer setting for every strategy, e.g. linger.ms=5.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = setting)]
    overrides: Vec<(String, String)>,
    /// On a real Kafka, keep the topics written to.
    #[arg(long)]
    keep_topics: bool,
}

impl Options {
    fn messages(&self) -> Vec<usize> {
        match (self.messages.is_empty(), self.quick) {
            (false, _) => self.messages.clone(),
            (true, true) => vec![15, 1_000],
            (true, false) => vec![15, 1_000, 100_000],
        }
    }

    fn runs(&self) -> usize {
        self.runs
            .map_or(if self.quick { 2 } else { 5 }, usize::from)
    }

    fn strategies(&self) -> Vec<&'static Strategy> {
        if self.strategies.is_empty() {
            strategies::ALL.iter().collect()
        } else {
            self.strategies.clone()
        }
    }

    /// How many runs of `strategy` at `n` messages, or why none.
    fn plan(&self, strategy: &Strategy, n: usize) -> Result<usize, String> {
        plan(strategy, n, self.runs(), self.quick)
    }
}

fn strategy_list() -> String {
    let mut list = String::from("Strategies:\n");
    for strategy in strategies::ALL {
        list.push_str(&format!("  {:<24}{}\n", strategy.name, strategy.summary));
    }
    list
}

fn message_count(text: &str) -> Result<usize, String> {
    match text.trim().replace('_', "").parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a message count is a whole number of at least 1".into()),
    }
}

fn strategy(name: &str) -> Result<&'static Strategy, String> {
    strategies::by_name(name.trim()).ok_or_else(|| format!("no strategy {name:?}"))
}

fn setting(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or("--set takes KEY=VALUE")?;
    Ok((key.trim().into(), value.trim().into()))
}

/// What every measurement shares: where it writes and how it reports.
struct Bench {
    broker: listings::Broker,
    /// Each strategy's own fresh topic, so that its high watermarks count
    /// exactly what the benchmark wrote.
    topics: BTreeMap<&'static str, String>,
    runtime: tokio::runtime::Runtime,
    progress: ProgressBar,
    /// One round trip: 21 metadata requests, timed here and by librdkafka.
    round_trip: strategies::RoundTrip,
}

impl Bench {
    fn broker_kind(&self) -> &'static str {
        if self.broker.is_embedded() {
            "embedded"
        } else {
            "kafka"
        }
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let bench = prepare(&options)?;
    let result = run_all(&bench, &options);
    bench.progress.finish_and_clear();
    if !bench.broker.is_embedded() && !options.keep_topics {
        delete_topics(&bench)?;
    }
    let mut rows = result?;
    for path in &options.compare {
        rows.extend(read_rows(path)?);
    }
    let order: Vec<&str> = strategies::ALL
        .iter()
        .map(|s| s.name)
        .chain(["perf_test", "perf_test_tuned"])
        .collect();
    report::sort(&mut rows, &order);
    write_results(&bench, &options, &rows)
}

/// The broker, a fresh topic per strategy, one round trip measured, and a
/// progress bar when stderr is a terminal.
fn prepare(options: &Options) -> anyhow::Result<Bench> {
    let base_topic = listings::topic_from_env()?;
    let broker = listings::Broker::from_env()?;
    let prefix = listings::unique_name(&format!("{base_topic}-bench"));
    let mut topics = BTreeMap::new();
    for strategy in options.strategies() {
        let topic = format!("{prefix}-{}", strategy.name);
        broker.create_topic(&topic)?;
        topics.insert(strategy.name, topic);
    }
    let first_topic = topics.values().next().context("no strategy to run")?;
    let round_trip = strategies::round_trip(&broker, first_topic, 21)?;
    eprintln!(
        "round trip (metadata request): fastest {}, median {}; librdkafka's rtt p50 {}",
        listings::format_duration(round_trip.fastest),
        listings::format_duration(round_trip.median),
        listings::format_duration(round_trip.librdkafka_p50),
    );
    let messages: u64 = options
        .strategies()
        .into_iter()
        .flat_map(|s| options.messages().into_iter().map(move |n| (s, n)))
        .filter_map(|(s, n)| Some((options.plan(s, n).ok()? * n) as u64))
        .sum();
    Ok(Bench {
        broker,
        topics,
        runtime: tokio::runtime::Runtime::new()?,
        progress: progress_bar(messages)?,
        round_trip,
    })
}

fn progress_bar(messages: u64) -> anyhow::Result<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let bar = ProgressBar::new(messages);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} messages  {msg}",
        )?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Ok(bar)
}

/// Every strategy at every message count, each row printed as it is done.
fn run_all(bench: &Bench, options: &Options) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for n in options.messages() {
        for strategy in options.strategies() {
            let result = match options.plan(strategy, n) {
                Err(reason) => Err(reason),
                Ok(runs) => Ok(run_one(bench, options, strategy, n, runs)?),
            };
            let row = Row {
                strategy: strategy.name.into(),
                client: "rust".into(),
                messages: n,
                broker: bench.broker_kind().into(),
                result,
            };
            if options.json {
                println!("{}", row.to_json());
            } else if bench.progress.is_hidden() {
                eprintln!("{}", report::one_line(&row));
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// `runs` checked runs of `strategy` at `n` messages, with what the JSON
/// line says of them besides the times.
fn run_one(
    bench: &Bench,
    options: &Options,
    strategy: &Strategy,
    n: usize,
    runs: usize,
) -> anyhow::Result<Measured> {
    bench
        .progress
        .set_message(format!("{} × {n}", strategy.name));
    let settings = strategy.settings_with(&options.overrides);
    let target = Target {
        broker: &bench.broker,
        topic: &bench.topics[strategy.name],
        settings: &settings,
        runtime: &bench.runtime,
        progress: &bench.progress,
    };
    let measured = measure(strategy, &target, &bench.broker, n, runs)?;
    let micros = |d: Duration| (d.as_secs_f64() * 1e7).round() / 10.0;
    let extra = [
        ("verified", json!(true)),
        ("delivered", json!(n)),
        ("round_trip_us", json!(micros(bench.round_trip.median))),
        (
            "librdkafka_rtt_p50_us",
            json!(micros(bench.round_trip.librdkafka_p50)),
        ),
        ("synchronous", json!(strategy.synchronous)),
        ("replaces", json!(strategy.replaces)),
        ("librdkafka", json!(rdkafka::util::get_rdkafka_version().1)),
        ("topic", json!(target.topic)),
    ];
    Ok(Measured {
        extra: extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..measured
    })
}

/// The rows of a JSON-lines file from another program.
fn read_rows(path: &PathBuf) -> anyhow::Result<Vec<Row>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    text.lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|line| Row::from_json(line).with_context(|| format!("in {}", path.display())))
        .collect()
}

/// The table on stdout (unless --json), and the files asked for.
fn write_results(bench: &Bench, options: &Options, rows: &[Row]) -> anyhow::Result<()> {
    let where_ = if bench.broker.is_embedded() {
        "the embedded broker (librdkafka's mock cluster)".to_string()
    } else {
        format!("Apache Kafka at {}", bench.broker.bootstrap_servers())
    };
    let table = format!(
        "{}\nBroker: {where_}. One round trip, as the median of 21 metadata requests: {} \
         (librdkafka's own rtt of them, p50: {}).\n",
        report::markdown(rows),
        listings::format_duration(bench.round_trip.median),
        listings::format_duration(bench.round_trip.librdkafka_p50),
    );
    if !options.json {
        print!("{table}");
    }
    if let Some(path) = &options.markdown {
        std::fs::write(path, &table)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    if let Some(path) = &options.svg {
        let title = if bench.broker.is_embedded() {
            "Writing {\"count\": n} to the embedded broker"
        } else {
            "Writing {\"count\": n} to Apache Kafka"
        };
        bench::chart::write_svg(path, title, rows)?;
    }
    Ok(())
}

fn delete_topics(bench: &Bench) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = bench.broker.config().create()?;
    let names: Vec<&str> = bench.topics.values().map(String::as_str).collect();
    let options = AdminOptions::new().operation_timeout(Some(strategies::TIMEOUT));
    for result in bench
        .runtime
        .block_on(admin.delete_topics(&names, &options))?
    {
        if let Err((name, code)) = result {
            eprintln!("could not delete topic {name}: {code}");
        }
    }
    Ok(())
}
