// How many runs each strategy gets, one strategy measured over its runs,
// and the check that makes a run count.

use std::collections::BTreeMap;

use anyhow::{bail, ensure, Context as _};

use crate::report::{self, Measured};
use crate::strategies::{Cost, Outcome, Strategy, Target};

/// Strategies that pay per message run at most this many messages.
pub const PER_MESSAGE_LIMIT: usize = 1_000;

/// How many runs of `strategy` at `n` messages, or why none: `runs` each,
/// except where a strategy pays per message. `quick` runs a strategy that
/// pays 100 ms a message at 15 messages only.
pub fn plan(strategy: &Strategy, n: usize, runs: usize, quick: bool) -> Result<usize, String> {
    match strategy.cost {
        Cost::SliceEach if quick && n > 15 => Err("skipped: 100 ms × n".into()),
        Cost::SliceEach if n > PER_MESSAGE_LIMIT => Err("skipped: 100 ms × n".into()),
        Cost::RoundTripEach if n > PER_MESSAGE_LIMIT => Err("skipped: one round trip × n".into()),
        Cost::ProducerEach if quick && n > 15 => Err("skipped: a producer × n".into()),
        Cost::ProducerEach if n > PER_MESSAGE_LIMIT => Err("skipped: a producer × n".into()),
        Cost::ProducerEach if n > 100 => Ok(1),
        // A run takes 100 ms × n: more than ten seconds is worth one run only.
        Cost::SliceEach if n > 100 => Ok(1),
        _ => Ok(runs),
    }
}

/// Runs `strategy` `runs` times on `target` and checks every run.
pub fn measure(
    strategy: &Strategy,
    target: &Target<'_>,
    broker: &listings::Broker,
    n: usize,
    runs: usize,
) -> anyhow::Result<Measured> {
    let mut seconds = Vec::with_capacity(runs);
    let mut cpu_seconds = Vec::with_capacity(runs);
    let mut latencies = Vec::new();
    // Each run writes one warm-up message to each partition first.
    let partitions = i64::from(listings::PARTITIONS);
    for run in 1..=runs {
        let before = broker.messages_written(target.topic)?;
        let outcome = (strategy.run)(target, n)
            .with_context(|| format!("{} × {n}, run {run}", strategy.name))?;
        let after = broker.messages_written(target.topic)?;
        verify(&outcome, n, after - before - partitions)
            .with_context(|| format!("{} × {n}, run {run} lost messages", strategy.name))?;
        if !strategy.synchronous {
            target.progress.inc(n as u64);
        }
        seconds.push(outcome.elapsed.as_secs_f64());
        cpu_seconds.push(outcome.cpu.as_secs_f64());
        latencies.extend(outcome.latencies);
    }
    let config = target
        .settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Measured {
        runs,
        seconds: report::median(&seconds),
        seconds_range: (
            seconds.iter().copied().fold(f64::INFINITY, f64::min),
            seconds.iter().copied().fold(0.0, f64::max),
        ),
        cpu_seconds: Some(report::median(&cpu_seconds)),
        p50_us: report::percentile_us(&latencies, 50.0),
        p99_us: report::percentile_us(&latencies, 99.0),
        config,
        extra: Default::default(),
    })
}

/// A run counts only if every message was reported delivered, none failed,
/// and the topic grew by exactly `n`.
pub fn verify(outcome: &Outcome, n: usize, grown: i64) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::by_name;

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
        let flush_each = by_name("flush_each").unwrap();
        assert_eq!(plan(flush_each, 15, 5, false), Ok(5));
        assert_eq!(plan(flush_each, 1_000, 5, false), Ok(1));
        assert!(plan(flush_each, 100_000, 5, false).is_err());
        let send_and_wait = by_name("send_and_wait").unwrap();
        assert!(plan(send_and_wait, 100_000, 5, false).is_err());
        let future_all_in_flight = by_name("future_all_in_flight").unwrap();
        assert_eq!(plan(future_all_in_flight, 100_000, 5, false), Ok(5));
        assert!(plan(flush_each, 1_000, 2, true).is_err());
    }
}
