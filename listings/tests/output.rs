// The sample output the book shows is real: listings/output/<name>.txt is
// what the listing printed on the embedded broker, times included, with
// only the broker's random port blanked. This test runs each listing again
// and fails when its output, times blanked on both sides, no longer has
// the same shape.
//
// To regenerate the files: scripts/regenerate-output
// (REGENERATE_OUTPUT=1 cargo test -p listings --test output).
mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::{chapters_in_order, listing_exe, run_command};

/// The listings whose output the book shows: one file each in
/// listings/output, named after the listing.
fn shown() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(output_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .map(|file| {
            file.strip_suffix(".txt")
                .unwrap_or_else(|| panic!("listings/output/{file} is not a .txt file"))
                .to_string()
        })
        .collect();
    names.sort();
    names
}

/// The topic name the sample output shows: a student called alice.
const TOPIC: &str = "alice-topic";

/// Replaces what changes between runs with a fixed word in brackets.
fn normalise(text: &str) -> String {
    blank(text, true)
}

/// The embedded broker's address, 127.0.0.1:<random port>, with `[port]`;
/// with `times`, the elapsed times a listing prints with `[elapsed]`.
fn blank(text: &str, times: bool) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_string();
        if let Some(at) = line.find("127.0.0.1:") {
            let port_start = at + "127.0.0.1:".len();
            let port_end = line[port_start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(line.len(), |i| port_start + i);
            line.replace_range(port_start..port_end, "[port]");
        }
        for marker in ["time: ", "returned after "] {
            if let Some(at) = line.find(marker).filter(|_| times) {
                let start = at + marker.len();
                let end = line[start..]
                    .find([';', '\n'])
                    .map_or(line.len(), |i| start + i);
                line.replace_range(start..end, "[elapsed]");
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The shape of an output: its lines with partition and offset numbers
/// blanked (keyless messages land on partitions chosen at random), sorted
/// (a consumer reads partitions in no fixed order).
fn shape(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut shaped = String::new();
            let mut rest = line;
            while let Some(at) = rest.find(['[', '@']) {
                let (head, tail) = rest.split_at(at);
                shaped.push_str(head);
                let skip = if tail.starts_with("@ offset ") {
                    "@ offset ".len()
                } else {
                    1
                };
                shaped.push_str(&tail[..skip]);
                let tail = &tail[skip..];
                let digits =
                    tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if digits > 0 {
                    shaped.push('N');
                }
                rest = &tail[digits..];
            }
            shaped.push_str(rest);
            shaped
        })
        .collect();
    lines.sort();
    lines
}

/// Runs a listing as a reader would: embedded broker, the topic `TOPIC`.
fn sample_output(name: &str) -> String {
    let mut command = Command::new(listing_exe(name));
    command.env_remove("KAFKA_BOOTSTRAP_SERVERS");
    let run = run_command(command, &[("KAFKA_TOPIC", TOPIC)]);
    assert!(run.success, "{name} failed: {}", run.stderr);
    // The times stay: the chapters' arguments rest on them.
    blank(
        &format!(
            "$ cargo run -p listings --bin {name}\n{}{}",
            run.stderr, run.stdout
        ),
        false,
    )
}

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("output")
}

fn output_file(name: &str) -> PathBuf {
    output_dir().join(format!("{name}.txt"))
}

#[test]
fn sample_output_has_the_shape_the_book_shows() {
    let regenerate = std::env::var_os("REGENERATE_OUTPUT").is_some();
    // CI compares; a run that rewrote the files first would compare nothing.
    assert!(
        !(regenerate && std::env::var_os("CI").is_some()),
        "REGENERATE_OUTPUT is refused under CI"
    );
    for name in shown() {
        let now = sample_output(&name);
        let path = output_file(&name);
        if regenerate {
            fs::write(&path, &now).unwrap();
            continue;
        }
        let shown = fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run scripts/regenerate-output",
                path.display()
            )
        });
        assert_eq!(
            shape(&normalise(&now)),
            shape(&normalise(&shown)),
            "{name} prints something else than {}: run scripts/regenerate-output",
            path.display()
        );
    }
}

#[test]
fn every_output_file_belongs_to_a_listing_and_is_shown_in_a_chapter() {
    let chapters: String = chapters_in_order()
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let names = shown();
    assert!(!names.is_empty());
    for name in names {
        assert!(
            listing_exe(&name).exists(),
            "listings/output/{name}.txt has no listing {name}"
        );
        assert!(
            chapters.contains(&format!("listings/output/{name}.txt")),
            "no chapter shows listings/output/{name}.txt"
        );
    }
}

#[test]
fn normalising_blanks_ports_and_times_only() {
    let raw = "at 127.0.0.1:41234\ntime: 1.50 s\n15 sends returned after 87 µs; messages waiting in the producer: 15\n";
    assert_eq!(
        normalise(raw),
        "at 127.0.0.1:[port]\ntime: [elapsed]\n15 sends returned after [elapsed]; messages waiting in the producer: 15\n"
    );
    assert_eq!(
        shape("Produced record to topic t partition [2] @ offset 14"),
        ["Produced record to topic t partition [N] @ offset N"]
    );
}
