// Checks on the book as a whole: every Rust block a reader sees is a skeptic
// test, and the versions the book claims are the ones it is built with.
use std::fs;
use std::path::{Path, PathBuf};

/// The chapters as mdBook expands them, written by build.rs.
fn expanded_chapters() -> Vec<PathBuf> {
    let mut chapters = Vec::new();
    let mut dirs = vec![Path::new(env!("OUT_DIR")).join("book")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("expanded book") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                chapters.push(path);
            }
        }
    }
    chapters
}

/// The info strings of the fenced code blocks in `markdown`.
fn fence_infos(markdown: &str) -> Vec<String> {
    let mut infos = Vec::new();
    let mut open: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("```") else {
            continue;
        };
        match &open {
            None => {
                infos.push(rest.trim().to_string());
                open = Some("```".into());
            }
            Some(_) if rest.trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    infos
}

#[test]
fn every_rust_block_a_reader_sees_is_a_test_that_runs() {
    let mut rust_blocks = 0;
    for chapter in expanded_chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        assert!(
            !text.contains("{{#"),
            "{} has an include mdBook did not expand",
            chapter.display()
        );
        for info in fence_infos(&text) {
            assert!(
                !info.is_empty(),
                "{}: a code block without a language; mdBook would show it as Rust",
                chapter.display()
            );
            let mut words = info.split(',').map(str::trim);
            if words.next() == Some("rust") {
                let attributes: Vec<&str> = words.collect();
                assert!(
                    attributes.is_empty(),
                    "{}: rust block marked {attributes:?} would not run",
                    chapter.display()
                );
                rust_blocks += 1;
            }
        }
    }
    let generated =
        fs::read_to_string(Path::new(env!("OUT_DIR")).join("skeptic-tests.rs")).unwrap();
    let tests = generated.matches("#[test]").count();
    let runs = generated.matches("skeptic::rt::run_test(").count();
    assert!(rust_blocks > 0);
    assert_eq!(tests, rust_blocks, "skeptic tests vs Rust blocks");
    assert_eq!(runs, rust_blocks, "every skeptic test runs its program");
    assert!(!generated.contains("#[ignore]"));
}

/// The value in the row of src/tested-with.md whose first cell starts with `name`.
fn tested_with(name: &str) -> String {
    let page = include_str!("../src/tested-with.md");
    let row = page
        .lines()
        .find(|l| l.starts_with(&format!("| {name}")))
        .unwrap_or_else(|| panic!("no row for {name} in src/tested-with.md"));
    row.split('|').nth(2).unwrap().trim().to_string()
}

/// The version of `package` in Cargo.lock.
fn locked(package: &str) -> String {
    let lock = include_str!("../Cargo.lock");
    let entry = lock
        .split("[[package]]")
        .find(|p| p.contains(&format!("name = \"{package}\"\n")))
        .unwrap_or_else(|| panic!("{package} is not in Cargo.lock"));
    let line = entry.lines().find(|l| l.starts_with("version = ")).unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_string()
}

#[test]
fn rdkafka_version_is_the_one_in_cargo_lock() {
    assert_eq!(tested_with("rdkafka"), locked("rdkafka"));
}

#[test]
fn librdkafka_version_is_the_one_linked() {
    let stated = tested_with("librdkafka");
    // rdkafka-sys carries librdkafka's version after a '+'.
    let sys = locked("rdkafka-sys");
    assert_eq!(sys.split('+').nth(1), Some(stated.as_str()));
    let (_, linked) = rdkafka::util::get_rdkafka_version();
    assert_eq!(linked, stated);
}

#[test]
fn kafka_version_is_the_one_docker_compose_and_both_cis_run() {
    let stated = tested_with("Apache Kafka");
    let compose = include_str!("../docker-compose.yml");
    assert!(
        compose.contains(&format!("image: apache/kafka:{stated}\n")),
        "docker-compose.yml runs another Kafka than {stated}"
    );
    let workflow = include_str!("../.github/workflows/book.yml");
    assert!(
        workflow.contains(&format!("image: apache/kafka:{stated}\n")),
        "the GitHub workflow's service runs another Kafka than {stated}"
    );
    let ci = include_str!("../.ci/kafka");
    assert!(
        ci.contains(&format!("KAFKA_VERSION:-{stated}}}")),
        ".ci/kafka runs another Kafka than {stated}"
    );
}

#[test]
fn rust_version_is_the_workspace_minimum() {
    let stated = tested_with("Rust");
    let manifest = include_str!("../Cargo.toml");
    let minimum = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        stated.contains(&format!("{minimum} or newer")),
        "src/tested-with.md says {stated:?}, Cargo.toml's rust-version is {minimum}"
    );
}
