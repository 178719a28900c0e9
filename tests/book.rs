// Checks on the book as a whole: every Rust block a reader sees is a skeptic
// test, and the versions the book claims are the ones it is built with.
use std::fs;
use std::path::{Path, PathBuf};

/// The Markdown files under `dir`, at any depth.
fn markdown_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|_| panic!("{} is missing", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
}

/// The chapters as mdBook expands them, written by build.rs.
fn expanded_chapters() -> Vec<PathBuf> {
    markdown_under(&Path::new(env!("OUT_DIR")).join("book"))
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
    let ci = include_str!("../scripts/kafka");
    assert!(
        ci.contains(&format!("KAFKA_VERSION:-{stated}}}")),
        "scripts/kafka runs another Kafka than {stated}"
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

/// The pages that name repository paths: the book's sources, README.md
/// and CONTRIBUTING.md.
fn pages_naming_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    pages.extend(markdown_under(&root.join("src")));
    pages
}

/// The repository paths `text` names: words that start with one of the
/// repository's top-level folders or are one of its top-level files. A
/// path in another project is written with that project's name first
/// (`rdkafka-0.39.0/src/...`), so it is not taken for one of ours.
fn repository_paths(text: &str) -> Vec<String> {
    const FOLDERS: &[&str] = &[
        ".ci/",
        ".github/",
        "bench/",
        "build/",
        "listings/",
        "scripts/",
        "src/",
        "tests/",
        "theme/",
    ];
    const FILES: &[&str] = &[
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "CONTRIBUTING.md",
        "book.toml",
        "build.rs",
        "docker-compose.yml",
    ];
    let path_char = |c: char| c.is_ascii_alphanumeric() || "_./-".contains(c);
    text.split(|c: char| !path_char(c))
        .map(|word| word.trim_end_matches(['.', ',', ':']))
        .filter(|word| FOLDERS.iter().any(|f| word.starts_with(f)) || FILES.contains(word))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_repository_path_the_pages_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = 0;
    for page in pages_naming_paths() {
        let text =
            fs::read_to_string(&page).unwrap_or_else(|_| panic!("{} is missing", page.display()));
        for path in repository_paths(&text) {
            named += 1;
            assert!(
                root.join(&path).exists(),
                "{} names {path}, which does not exist",
                page.strip_prefix(root).unwrap().display()
            );
        }
    }
    assert!(named > 50, "only {named} paths found: is the scan broken?");
}

#[test]
fn paths_are_told_apart_from_other_words() {
    let text = "see `listings/src/lib.rs`, [x](scripts/measure). Not \
                rdkafka-0.39.0/src/producer/base_producer.rs nor \
                https://example.org/src/a.rs; but Cargo.toml and .ci/run:";
    assert_eq!(
        repository_paths(text),
        [
            "listings/src/lib.rs",
            "scripts/measure",
            "Cargo.toml",
            ".ci/run"
        ]
    );
}
