// The benchmark's results: one row per (strategy, client, message count),
// as a JSON line, as a Markdown table, and read back from JSON lines that
// other programs (scripts/notebook.py, scripts/perf-test) print.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Map, Value};

/// One line of the results.
#[derive(Clone, Debug)]
pub struct Row {
    pub strategy: String,
    /// "rust", "python" or "java".
    pub client: String,
    pub messages: usize,
    /// "embedded" or "kafka".
    pub broker: String,
    pub result: Result<Measured, String>,
}

/// What was measured for one row; `Err(reason)` in `Row::result` means the
/// row was skipped, and why.
#[derive(Clone, Debug)]
pub struct Measured {
    pub runs: usize,
    /// The median run, from the first send until every message was answered for.
    pub seconds: f64,
    /// The fastest and the slowest run.
    pub seconds_range: (f64, f64),
    /// The median of the process's CPU time (user and system) over the same
    /// span; none where the program could not measure it.
    pub cpu_seconds: Option<f64>,
    /// Per message, from its send to its report, over every run: only for
    /// the strategies that wait for each message.
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    /// The producer settings beyond `bootstrap.servers`, as `k=v k=v`.
    pub config: String,
    /// The extra fields of the JSON line, kept as they came.
    pub extra: Map<String, Value>,
}

impl Measured {
    pub fn msgs_per_sec(&self, messages: usize) -> f64 {
        messages as f64 / self.seconds
    }
}

/// The median of `values`, which must not be empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The `p`th percentile (0 to 100) of `latencies`, nearest rank, in µs.
pub fn percentile_us(latencies: &[Duration], p: f64) -> Option<f64> {
    if latencies.is_empty() {
        return None;
    }
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    Some(sorted[index].as_secs_f64() * 1e6)
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

impl Row {
    /// The row as one JSON object; skipped rows carry `skipped` instead of times.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("strategy".into(), json!(self.strategy));
        object.insert("client".into(), json!(self.client));
        object.insert("messages".into(), json!(self.messages));
        object.insert("broker".into(), json!(self.broker));
        match &self.result {
            Err(reason) => {
                object.insert("skipped".into(), json!(reason));
            }
            Ok(m) => {
                object.insert("runs".into(), json!(m.runs));
                object.insert("seconds".into(), json!(m.seconds));
                object.insert("seconds_min".into(), json!(m.seconds_range.0));
                object.insert("seconds_max".into(), json!(m.seconds_range.1));
                if let Some(cpu) = m.cpu_seconds {
                    object.insert("cpu_seconds".into(), json!(cpu));
                }
                object.insert(
                    "msgs_per_sec".into(),
                    json!(round(m.msgs_per_sec(self.messages), 1)),
                );
                if let Some(p50) = m.p50_us {
                    object.insert("p50_us".into(), json!(round(p50, 1)));
                }
                if let Some(p99) = m.p99_us {
                    object.insert("p99_us".into(), json!(round(p99, 1)));
                }
                object.insert("config".into(), json!(m.config));
                for (key, value) in &m.extra {
                    object.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
        Value::Object(object)
    }

    /// Reads a row back from a JSON line in the same format.
    pub fn from_json(line: &str) -> anyhow::Result<Row> {
        let value: Value = serde_json::from_str(line)?;
        let object = value.as_object().context("not a JSON object")?;
        let text = |key: &str| -> anyhow::Result<String> {
            Ok(object
                .get(key)
                .and_then(Value::as_str)
                .with_context(|| format!("no {key:?}"))?
                .to_string())
        };
        let number = |key: &str| object.get(key).and_then(Value::as_f64);
        let messages = number("messages").context("no \"messages\"")? as usize;
        let result = match object.get("skipped").and_then(Value::as_str) {
            Some(reason) => Err(reason.to_string()),
            None => {
                let known = [
                    "strategy",
                    "client",
                    "messages",
                    "broker",
                    "runs",
                    "seconds",
                    "seconds_min",
                    "seconds_max",
                    "cpu_seconds",
                    "msgs_per_sec",
                    "p50_us",
                    "p99_us",
                    "config",
                ];
                let extra = object
                    .iter()
                    .filter(|(key, _)| !known.contains(&key.as_str()))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                Ok(Measured {
                    runs: number("runs").unwrap_or(1.0) as usize,
                    seconds: number("seconds").context("no \"seconds\"")?,
                    seconds_range: (
                        number("seconds_min")
                            .or(number("seconds"))
                            .unwrap_or_default(),
                        number("seconds_max")
                            .or(number("seconds"))
                            .unwrap_or_default(),
                    ),
                    cpu_seconds: number("cpu_seconds"),
                    p50_us: number("p50_us"),
                    p99_us: number("p99_us"),
                    config: text("config").unwrap_or_default(),
                    extra,
                })
            }
        };
        Ok(Row {
            strategy: text("strategy")?,
            client: text("client")?,
            messages,
            broker: text("broker")?,
            result,
        })
    }

    /// How the row is named in the table and the chart.
    pub fn label(&self) -> String {
        match self.client.as_str() {
            "rust" => self.strategy.clone(),
            "python" => format!("{} (Python notebook)", self.strategy),
            "java" if self.strategy == "perf_test" => "kafka-producer-perf-test (Java)".into(),
            "java" if self.strategy == "perf_test_tuned" => {
                "kafka-producer-perf-test, tuned (Java)".into()
            }
            client => format!("{} ({client})", self.strategy),
        }
    }
}

/// Sorts rows by message count, then in the book's order of strategies,
/// each Rust row followed by the other clients' rows for the same loop.
pub fn sort(rows: &mut [Row], order: &[&str]) {
    let position = |row: &Row| {
        order
            .iter()
            .position(|s| *s == row.strategy)
            .unwrap_or(order.len())
    };
    let client = |row: &Row| match row.client.as_str() {
        "rust" => 0,
        "python" => 1,
        _ => 2,
    };
    rows.sort_by_key(|row| (row.messages, position(row), client(row)));
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn micros(us: Option<f64>) -> String {
    us.map(|us| listings::format_duration(Duration::from_secs_f64(us / 1e6)))
        .unwrap_or_default()
}

/// The row in one line, for stderr while the benchmark runs.
pub fn one_line(row: &Row) -> String {
    match &row.result {
        Err(reason) => format!("{} × {}: {reason}", row.strategy, row.messages),
        Ok(m) => format!(
            "{} × {}: {} (median of {}), {} messages/s",
            row.strategy,
            row.messages,
            listings::format_duration(Duration::from_secs_f64(m.seconds)),
            m.runs,
            thousands(m.msgs_per_sec(row.messages))
        ),
    }
}

/// The median time, and the fastest and slowest run when there were several.
fn time_and_range(m: &Measured) -> String {
    let time = |s: f64| listings::format_duration(Duration::from_secs_f64(s));
    if m.runs > 1 {
        let (fastest, slowest) = m.seconds_range;
        format!("{} ({}–{})", time(m.seconds), time(fastest), time(slowest))
    } else {
        time(m.seconds)
    }
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| messages | strategy | time: median (range) | CPU time (median) | messages/s | p50 per message | p99 per message | runs |\n");
    out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let _ = match &row.result {
            Err(reason) => writeln!(
                out,
                "| {} | {} | {reason} | | | | | |",
                thousands(row.messages as f64),
                row.label()
            ),
            Ok(m) => writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                thousands(row.messages as f64),
                row.label(),
                time_and_range(m),
                micros(m.cpu_seconds.map(|s| s * 1e6)),
                thousands(m.msgs_per_sec(row.messages)),
                micros(m.p50_us),
                micros(m.p99_us),
                m.runs
            ),
        };
    }
    out
}
