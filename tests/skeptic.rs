// Every Rust block in the book, as a reader sees it, compiled and run.
include!(concat!(env!("OUT_DIR"), "/skeptic-tests.rs"));
