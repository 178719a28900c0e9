// KAFKA_CONFIG_FILE: a file of librdkafka settings that every client the
// listings create gets; bad files stop a listing before it connects.
mod common;

use std::path::Path;

use common::*;

/// Runs `setup` with the settings file, no KAFKA_BOOTSTRAP_SERVERS, and
/// returns how it ended.
fn setup_with(path: &Path) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_setup"));
    command.env_remove("KAFKA_BOOTSTRAP_SERVERS");
    run_command(command, &[("KAFKA_CONFIG_FILE", path.to_str().unwrap())])
}

#[test]
fn an_unknown_setting_is_named_with_its_file_and_line() {
    let path = settings_file("# a comment\nlinger.ms=5\n\nlinger.mss=5\n");
    let run = setup_with(&path);
    assert!(!run.success);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "Error: {}:4: No such configuration property: \"linger.mss\"",
            path.display()
        )
    );
}

#[test]
fn a_line_that_is_not_key_equals_value_is_named() {
    let path = settings_file("linger.ms 5\n");
    let run = setup_with(&path);
    assert!(!run.success);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "Error: {}:1: expected key=value, found \"linger.ms 5\"",
            path.display()
        )
    );
}

#[test]
fn a_bad_value_is_refused_by_librdkafka() {
    let path = settings_file("acks=some\n");
    let run = setup_with(&path);
    assert!(!run.success);
    assert!(
        run.stderr.starts_with(&format!(
            "Error: {}:1: Invalid value for configuration property \"request.required.acks\"",
            path.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_file_is_named() {
    let path = std::env::temp_dir().join("no-such-settings.properties");
    let run = setup_with(&path);
    assert!(!run.success);
    assert!(
        run.stderr.starts_with(&format!(
            "Error: cannot read the settings file {} (KAFKA_CONFIG_FILE)",
            path.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn the_files_bootstrap_servers_is_used_unless_the_environment_names_one() {
    let broker = broker();
    let topic = fresh_topic(&broker, "settings-bootstrap");
    let path = settings_file(&format!(
        "bootstrap.servers={}\n",
        broker.bootstrap_servers()
    ));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_setup"));
    command.env_remove("KAFKA_BOOTSTRAP_SERVERS");
    let run = run_command(
        command,
        &[
            ("KAFKA_CONFIG_FILE", path.to_str().unwrap()),
            ("KAFKA_TOPIC", &topic),
        ],
    );
    assert_success(&run, "setup with the file's bootstrap.servers");
    assert!(!run.stderr.contains("embedded broker"), "{}", run.stderr);
    assert!(run
        .stdout
        .ends_with(&format!("at {}\n", broker.bootstrap_servers())));

    // Both set: KAFKA_BOOTSTRAP_SERVERS wins over a file naming a dead port.
    let dead = settings_file("bootstrap.servers=127.0.0.1:1\n");
    let run = run_command(
        std::process::Command::new(env!("CARGO_BIN_EXE_setup")),
        &[
            ("KAFKA_CONFIG_FILE", dead.to_str().unwrap()),
            ("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()),
            ("KAFKA_TOPIC", &topic),
        ],
    );
    assert_success(&run, "setup with both");
    assert!(run
        .stdout
        .ends_with(&format!("at {}\n", broker.bootstrap_servers())));
}

#[test]
fn every_client_gets_the_files_settings() {
    // acks=0: the producer does not wait for the broker, so no report can
    // carry an offset: each says -1001, librdkafka's "invalid offset". Seen
    // in the reports, the setting reached the producer.
    let broker = broker();
    let topic = fresh_topic(&broker, "settings-acks");
    let path = settings_file("acks=0\n");
    let run = run_command(
        std::process::Command::new(env!("CARGO_BIN_EXE_send_and_wait")),
        &[
            ("KAFKA_CONFIG_FILE", path.to_str().unwrap()),
            ("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers()),
            ("KAFKA_TOPIC", &topic),
        ],
    );
    assert_success(&run, "send_and_wait with acks=0");
    let reports = run.lines_starting("Produced record to topic ");
    assert_eq!(reports.len(), 15);
    assert!(
        reports.iter().all(|line| parse_report(line).2 == -1001),
        "{reports:?}"
    );
    assert_eq!(read_back(&broker, &topic).len(), 15);
}
