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
    Ok(())
}
