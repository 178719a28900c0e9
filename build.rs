// Turns every Rust code block of the book, after mdBook's includes are
// expanded, into a test (see tests/skeptic.rs), as rust-cookbook does.
#[path = "build/expand_book.rs"]
mod expand_book;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    // Directories are rescanned recursively by cargo.
    for watched in ["build", "book.toml", "src", "listings/src"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("book");
    // No stale chapters from an earlier build.
    let _ = std::fs::remove_dir_all(&out);
    let chapters = expand_book::expand_book(&root, &out)?;
    skeptic::generate_doc_tests(&chapters);

    // The blocks run on the embedded broker. On a real Kafka they show as
    // ignored: each is part of a listing, and listings/tests runs every
    // listing there, on a topic of its own, where the blocks would all
    // write to one `<user>-topic` at once.
    println!("cargo::rustc-check-cfg=cfg(real_kafka)");
    println!("cargo::rerun-if-env-changed=KAFKA_BOOTSTRAP_SERVERS");
    if std::env::var("KAFKA_BOOTSTRAP_SERVERS").is_ok_and(|s| !s.trim().is_empty()) {
        println!("cargo::rustc-cfg=real_kafka");
    }
    let generated = PathBuf::from(std::env::var("OUT_DIR")?).join("skeptic-tests.rs");
    let tests = std::fs::read_to_string(&generated)?.replace(
        "#[test]",
        "#[test]\n#[cfg_attr(real_kafka, ignore = \"runs on the embedded broker; \
         on Kafka, listings/tests runs every listing\")]",
    );
    std::fs::write(&generated, tests)?;
    Ok(())
}
