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
    // Every service: the single broker, the controller and the three
    // brokers of the profile `cluster` and the two of the profile `secure`
    // (.ci/compose-check loads the file as docker compose does).
    let services = [
        "kafka",
        "kafka-0",
        "kafka-1",
        "kafka-2",
        "kafka-3",
        "kafka-secure-init",
        "kafka-secure",
    ];
    let images: Vec<&str> = compose
        .lines()
        .filter_map(|line| line.trim().strip_prefix("image:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        images,
        vec![format!("apache/kafka:{stated}"); services.len()],
        "docker-compose.yml: the services {services:?} must all run Kafka {stated}"
    );
    for service in services {
        assert!(
            compose.contains(&format!(
                "\n  {service}:\n    image: apache/kafka:{stated}\n"
            )),
            "docker-compose.yml: service {service} does not run apache/kafka:{stated}"
        );
    }
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

/// Kafka's words, each with the chapter that defines it and the phrase
/// that does (in the chapter's Markdown source). A reader of the main
/// chapters meets each word first in, or after, that phrase. The last
/// field lists the forms of the word that count as a use: each matches at
/// the start of a word, with any ending (`partition` matches
/// `partitions` and `partitioner`).
const GLOSSARY: &[(&str, &str, &str, &[&str])] = &[
    (
        "key",
        "kafka-in-brief.md",
        "optionally, a **key**",
        &["key"],
    ),
    (
        "broker",
        "kafka-in-brief.md",
        "A **broker** is",
        &["broker"],
    ),
    (
        "topic",
        "kafka-in-brief.md",
        "stored by **topic**",
        &["topic"],
    ),
    (
        "partition",
        "kafka-in-brief.md",
        "split into **partitions**",
        &["partition"],
    ),
    (
        "offset",
        "kafka-in-brief.md",
        "A message's **offset**",
        &["offset"],
    ),
    (
        "producer",
        "kafka-in-brief.md",
        "A **producer** is",
        &["producer"],
    ),
    (
        "acknowledgement",
        "kafka-in-brief.md",
        "an\n**acknowledgement**",
        &["acknowledg", "acks"],
    ),
    (
        "delivery report",
        "kafka-in-brief.md",
        "as a **delivery report**",
        &["delivery report"],
    ),
    (
        "consumer",
        "kafka-in-brief.md",
        "A **consumer** is",
        &["consumer"],
    ),
    (
        "reading back",
        "kafka-in-brief.md",
        "to **read back**",
        &[
            "read back",
            "reads back",
            "reading back",
            "read it back",
            "read them back",
            "read the topic back",
            "reads the topic back",
        ],
    ),
    (
        "replica",
        "kafka-in-brief.md",
        "its\n**replicas**",
        &["replica"],
    ),
    (
        "leader",
        "kafka-in-brief.md",
        "partition's\n**leader**",
        &["leader"],
    ),
    (
        "in-sync replica",
        "kafka-in-brief.md",
        "an **in-sync replica**",
        &["in-sync replica", "in-sync"],
    ),
];

/// The chapter the main reading path ends with, inclusive.
const LAST_MAIN_CHAPTER: &str = "good-practice.md";

/// The main reading path: the chapters of src/SUMMARY.md, in order, up to
/// `LAST_MAIN_CHAPTER`.
fn main_reading_path(summary: &str) -> Vec<String> {
    let mut files = Vec::new();
    for line in summary.lines() {
        let Some(open) = line.find("](") else {
            continue;
        };
        let Some(close) = line[open..].find(')') else {
            continue;
        };
        let file = line[open + 2..open + close].to_string();
        let last = file == LAST_MAIN_CHAPTER;
        files.push(file);
        if last {
            return files;
        }
    }
    panic!("src/SUMMARY.md has no chapter {LAST_MAIN_CHAPTER}");
}

/// `text` as spaces, byte for byte, its line breaks kept.
fn blanked(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' {
                "\n".to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect()
}

/// What a reader reads as prose, with each byte kept at its place (the rest
/// blanked with spaces, lines kept): no fenced code blocks, no
/// `{{#include}}` lines (listings, output, diagrams), no HTML tags, and no
/// headings or text of links to other chapters (a title names what is
/// about to be explained, it does not use the word as known).
fn prose(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fenced = false;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let blank = if trimmed.starts_with("```") {
            fenced = !fenced;
            true
        } else {
            fenced || trimmed.starts_with("{{#") || trimmed.starts_with('#')
        };
        if blank {
            out.push_str(&blanked(line));
        } else {
            out.push_str(line);
        }
    }
    let blank_range = |text: &mut String, from: usize, to: usize| {
        let spaces = blanked(&text[from..to]);
        text.replace_range(from..to, &spaces);
    };
    // HTML tags.
    let mut from = 0;
    while let Some(open) = out[from..].find('<').map(|i| from + i) {
        let Some(close) = out[open..].find('>').map(|i| open + i + 1) else {
            break;
        };
        blank_range(&mut out, open, close);
        from = close;
    }
    // [text](chapter.md...) links: the text.
    let mut from = 0;
    while let Some(mid) = out[from..].find("](").map(|i| from + i) {
        let target_end = out[mid..].find(')').map_or(out.len(), |i| mid + i);
        if out[mid + 2..target_end].contains(".md") {
            if let Some(open) = out[..mid].rfind('[') {
                blank_range(&mut out, open, mid);
            }
        }
        from = mid + 2;
    }
    out
}

/// The byte offset of the first use of any of `forms` in `text`: at the
/// start of a word, in any case.
fn first_use(text: &str, forms: &[&str]) -> Option<usize> {
    let lower = text.to_lowercase();
    forms
        .iter()
        .filter_map(|form| {
            let form = form.to_lowercase();
            let mut from = 0;
            while let Some(at) = lower[from..].find(&form).map(|i| from + i) {
                let starts_word = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                if starts_word {
                    return Some(at);
                }
                from = at + form.len();
            }
            None
        })
        .min()
}

/// The glossary's terms that the main reading path uses before defining.
fn used_before_defined(chapters: &[(String, String)]) -> Vec<String> {
    let mut errors = Vec::new();
    for (term, defining, phrase, forms) in GLOSSARY {
        let Some(at) = chapters.iter().position(|(name, _)| name == defining) else {
            errors.push(format!(
                "{term}: {defining} is not in the main reading path"
            ));
            continue;
        };
        let Some(defined_at) = chapters[at].1.find(phrase) else {
            errors.push(format!("{term}: {defining} has no {phrase:?}"));
            continue;
        };
        for (index, (name, text)) in chapters[..=at].iter().enumerate() {
            let prose = prose(text);
            let Some(used) = first_use(&prose, forms) else {
                continue;
            };
            if index < at || used < defined_at {
                let line = text[..used].lines().count().max(1);
                let context: String = prose[used..].chars().take(50).collect();
                errors.push(format!(
                    "{term}: used in {name} line {line} ({context:?}) before {defining} defines it"
                ));
            }
            break;
        }
    }
    errors
}

#[test]
fn every_kafka_word_is_defined_before_the_main_chapters_use_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let chapters: Vec<(String, String)> = main_reading_path(&summary)
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(src.join(&file))
                .unwrap_or_else(|_| panic!("src/SUMMARY.md names {file}, which is missing"));
            (file, text)
        })
        .collect();
    assert!(chapters.len() >= 8, "main reading path: {chapters:?}");
    let errors = used_before_defined(&chapters);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_word_used_a_chapter_before_its_definition_fails_the_glossary_check() {
    let chapter = |name: &str, text: &str| (name.to_string(), text.to_string());
    let defining =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kafka-in-brief.md"))
            .unwrap();
    let clean = [
        chapter(
            "introduction.md",
            "Writing from Rust. See [Partitions](kafka-in-brief.md).\n```text\npartition 0\n```\n",
        ),
        chapter("kafka-in-brief.md", &defining),
        chapter("produce.md", "Each partition has a leader.\n"),
    ];
    assert_eq!(used_before_defined(&clean), Vec::<String>::new());
    let early = [
        chapter("introduction.md", "Messages go to a Partition.\n"),
        chapter("kafka-in-brief.md", &defining),
    ];
    let errors = used_before_defined(&early);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("partition: used in introduction.md line 1"),
        "{errors:?}"
    );
}

/// The failure chapters' sample runs whose numbers change from run to run,
/// kept as printed (scripts/regenerate-output writes them): each is a run
/// of the listing it is named after, shown by a failure chapter.
#[test]
fn every_failure_sample_run_is_its_listings_and_is_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("src/failures/output");
    let chapters: String = markdown_under(&root.join("src/failures"))
        .iter()
        .map(|page| fs::read_to_string(page).unwrap())
        .collect();
    let mut runs = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("txt"),
            "{}",
            path.display()
        );
        assert!(
            root.join(format!("listings/src/bin/{name}.rs")).exists(),
            "src/failures/output/{name}.txt has no listing {name}"
        );
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(format!("$ cargo run -p listings --bin {name}").as_str()),
            "src/failures/output/{name}.txt: run scripts/regenerate-output {name}"
        );
        assert!(
            lines.next().is_some(),
            "src/failures/output/{name}.txt shows no output"
        );
        assert!(
            chapters.contains(&format!("{{{{#include output/{name}.txt}}}}")),
            "no failure chapter shows src/failures/output/{name}.txt"
        );
        runs += 1;
    }
    assert!(runs >= 5, "only {runs} sample runs in src/failures/output");
}
