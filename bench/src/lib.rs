//! The benchmark of the chapter *Measure it yourself*: every way of writing
//! that the book teaches, at several message counts, several runs each, on
//! the embedded broker or on `KAFKA_BOOTSTRAP_SERVERS`.
//!
//! Every run is checked: each message must be reported delivered, and the
//! topic must have grown by exactly the number of messages written. The
//! command line is in `main.rs`: `cargo run --release -p bench -- --help`.

pub mod chart;
pub mod measure;
pub mod report;
pub mod strategies;
