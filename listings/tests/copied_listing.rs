// The promise of the index of listings: a listing copied into a crate of
// one's own, with the support library and the dependencies the page
// "Teaching with this book" names, builds and runs outside this workspace.
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

/// The listings copied: a BaseProducer one, and an async one for tokio's
/// features.
const COPIED: [&str; 2] = ["flush_each", "send_and_wait"];

/// The dependency lines of the `toml` block in src/teaching.md.
fn dependencies_the_book_names() -> Vec<String> {
    let page = std::fs::read_to_string(format!("{ROOT}/src/teaching.md")).unwrap();
    let block = page
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block in src/teaching.md");
    block
        .lines()
        .filter(|line| !line.trim().is_empty() && *line != "[dependencies]")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_dependencies_the_book_names_are_the_workspaces() {
    let manifest = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).unwrap();
    let named = dependencies_the_book_names();
    assert!(!named.is_empty());
    for line in named {
        assert!(
            manifest.lines().any(|l| l == line),
            "src/teaching.md names {line:?}, the workspace's Cargo.toml does not"
        );
    }
}

/// How long the copy's first build may take: it compiles librdkafka.
const BUILD_TIME_LIMIT: Duration = Duration::from_secs(900);

/// Runs `cargo` with `args` in `dir`; panics with its output if it fails.
fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(dir).args(args);
    let run = run_command_within(command, env, BUILD_TIME_LIMIT);
    assert_success(&run, &format!("cargo {}", args.join(" ")));
    run
}

#[test]
#[cfg_attr(real_kafka, ignore = "checked once, in the run on the embedded broker")]
fn a_copied_listing_builds_and_runs_in_a_crate_of_its_own() {
    // Outside the workspace, or cargo would take the copy for a member. One
    // folder per checkout, made afresh: the copy's build is then reused
    // from one run to the next, not piled up beside the workspace's.
    let checkout = {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(ROOT, &mut hasher);
        std::hash::Hasher::finish(&hasher)
    };
    let folder = std::env::temp_dir().join(format!("copied-listing-{checkout:x}"));
    if folder.exists() {
        std::fs::remove_dir_all(&folder).unwrap();
    }
    std::fs::create_dir_all(&folder).unwrap();
    // 1. A library crate named `listings`.
    cargo(&folder, &["new", "--lib", "--vcs", "none", "listings"], &[]);
    let krate = folder.join("listings");
    // 2. The support library and the listings, copied as they are.
    std::fs::copy(
        format!("{ROOT}/listings/src/lib.rs"),
        krate.join("src/lib.rs"),
    )
    .unwrap();
    std::fs::create_dir_all(krate.join("src/bin")).unwrap();
    for name in COPIED {
        std::fs::copy(
            format!("{ROOT}/listings/src/bin/{name}.rs"),
            krate.join(format!("src/bin/{name}.rs")),
        )
        .unwrap();
    }
    // 3. The dependencies, below the `[dependencies]` cargo new wrote.
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(
        manifest.trim_end().ends_with("[dependencies]"),
        "{manifest}"
    );
    let manifest = format!("{manifest}{}\n", dependencies_the_book_names().join("\n"));
    std::fs::write(krate.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file, so that the same versions are built, into
    // a target folder of the copy's own, kept between runs.
    std::fs::copy(format!("{ROOT}/Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("copied-listing-target");
    let target = target.to_str().unwrap();
    // Its intermediate files go where the workspace's do (cargo 1.91 and
    // later), so the dependencies it shares with the workspace (librdkafka
    // above all) are not compiled a second time; its programs go to its own
    // folder. A build directory set in the environment is kept.
    let build_dir = std::env::var("CARGO_BUILD_BUILD_DIR").unwrap_or_else(|_| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
        target.to_str().unwrap().to_string()
    });
    cargo(
        &krate,
        &["build", "--bins"],
        &[
            ("CARGO_TARGET_DIR", target),
            ("CARGO_BUILD_BUILD_DIR", &build_dir),
        ],
    );

    for name in COPIED {
        let broker = broker();
        let topic = fresh_topic(&broker, &format!("copied-{name}"));
        let run = run_listing(&format!("{target}/debug/{name}"), &broker, &topic);
        assert_success(&run, name);
        assert_eq!(
            run.lines_starting("15 messages"),
            [format!("15 messages were produced to topic {topic}!").as_str()]
        );
        assert_keyed_in_order(&read_back(&broker, &topic), 15);
    }
    std::fs::remove_dir_all(&folder).unwrap();
}
