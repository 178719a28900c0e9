// src/listings.md indexes every listing, and each row is true: the command
// runs that listing and the chapter it names shows it.
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

struct Row {
    file: String,
    command: String,
    chapter: String,
}

fn rows() -> Vec<Row> {
    let page = fs::read_to_string(Path::new(ROOT).join("src/listings.md")).unwrap();
    page.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line
                .split(" | ")
                .map(|c| c.trim_matches(['|', ' ']))
                .collect();
            assert_eq!(cells.len(), 4, "{line}");
            let chapter = cells[3]
                .rsplit_once("](")
                .map(|(_, target)| target.trim_end_matches(')').to_string())
                .unwrap_or_else(|| panic!("no chapter link in {line}"));
            Row {
                file: cells[0].trim_matches('`').to_string(),
                command: cells[2].trim_matches('`').to_string(),
                chapter,
            }
        })
        .collect()
}

#[test]
fn every_listing_is_indexed_once() {
    let files: BTreeSet<String> = fs::read_dir(Path::new(ROOT).join("listings/src/bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".rs"))
        .collect();
    let rows = rows();
    let indexed: BTreeSet<String> = rows.iter().map(|r| r.file.clone()).collect();
    assert_eq!(indexed.len(), rows.len(), "a listing is indexed twice");
    assert_eq!(indexed, files, "src/listings.md vs listings/src/bin");
}

#[test]
fn every_row_runs_its_listing_and_names_a_chapter_that_shows_it() {
    for row in rows() {
        let name = row.file.trim_end_matches(".rs");
        let expected = if name == "notebook" {
            // The default binary: README's first command.
            "cargo run -p listings".to_string()
        } else {
            format!("cargo run -p listings --bin {name}")
        };
        assert_eq!(row.command, expected, "{}", row.file);
        let chapter = fs::read_to_string(Path::new(ROOT).join("src").join(&row.chapter))
            .unwrap_or_else(|_| panic!("{}: no chapter {}", row.file, row.chapter));
        let shown = chapter.contains(&format!("listings/src/bin/{}", row.file))
            || chapter.contains(&expected);
        assert!(shown, "{} does not show {}", row.chapter, row.file);
    }
}

#[test]
fn every_listing_is_run_by_a_test() {
    let tests: String = fs::read_dir(Path::new(ROOT).join("listings/tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    for row in rows() {
        let name = row.file.trim_end_matches(".rs");
        let exe = format!("env!(\"CARGO_BIN_EXE_{name}\")");
        assert!(
            tests.contains(&exe),
            "no test in listings/tests runs {} ({exe})",
            row.file
        );
    }
}
