// The exercises' solutions do what the exercises ask.
mod common;

use std::collections::BTreeMap;

use common::*;

#[test]
fn waiting_in_short_slices_still_delivers_every_message_in_order() {
    let (broker, topic, run) = run_fresh_ok(
        env!("CARGO_BIN_EXE_solution_flush_in_short_slices"),
        "short-slices",
    );
    assert_eq!(
        run.lines_starting("15 messages"),
        [format!("15 messages were produced to topic {topic}!").as_str()]
    );
    assert_keyed_in_order(&read_back(&broker, &topic), 15);
}

#[test]
fn counting_reports_counts_every_message() {
    let (broker, topic, run) = run_fresh_ok(env!("CARGO_BIN_EXE_solution_count_reports"), "count");
    assert_eq!(run.stdout.trim(), "15 delivered, 0 failed");
    assert_eq!(read_back(&broker, &topic).len(), 15);
}

#[test]
fn reports_served_during_the_loop_and_by_flush_add_up() {
    let (broker, topic, run) = run_fresh_ok(
        env!("CARGO_BIN_EXE_solution_reports_during_loop"),
        "during-loop",
    );
    let number = |prefix: &str| -> usize {
        run.lines_starting(prefix)[0][prefix.len()..]
            .parse()
            .unwrap()
    };
    let during = number("reports served during the loop: ");
    let by_flush = number("reports served by the final flush: ");
    assert_eq!(run.lines_starting("20000 messages sent").len(), 1);
    // The exercise's point: poll(0) in the loop serves reports while the
    // loop still sends. Without it, every report would wait for flush.
    assert!(during > 0, "{}", run.stdout);
    assert_eq!(during + by_flush, number("delivered in all: "));
    assert_eq!(number("delivered in all: "), 20_000);
    assert_eq!(read_back(&broker, &topic).len(), 20_000);
}

#[test]
fn each_students_messages_share_one_partition() {
    let (broker, topic, run) =
        run_fresh_ok(env!("CARGO_BIN_EXE_solution_keys_per_student"), "students");
    let printed: BTreeMap<String, i32> = run
        .lines_starting("key ")
        .into_iter()
        .map(|line| {
            // "key alice: 10 messages, all in partition 2: true"
            let (key, rest) = line["key ".len()..].split_once(": ").unwrap();
            assert!(rest.starts_with("10 messages, all in partition "), "{line}");
            assert!(rest.ends_with(": true"), "{line}");
            let partition = rest
                .trim_start_matches("10 messages, all in partition ")
                .trim_end_matches(": true");
            (key.to_string(), partition.parse().unwrap())
        })
        .collect();
    assert_eq!(
        printed.keys().collect::<Vec<_>>(),
        ["alice", "erin", "judy", "mallory"]
    );
    // What a consumer reads agrees: each key in exactly the printed partition.
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 40);
    for record in &records {
        let key = record.key.as_deref().unwrap();
        assert_eq!(record.partition, printed[key], "{record:?}");
    }
}
