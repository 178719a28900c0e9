// "Connecting to a secured cluster": the listing secure_write against the
// broker of scripts/kafka-secure, with the good settings file and with each
// wrong one: its error, the setting it names, how long it took, and that
// nothing reached the topic (read back over the broker's PLAINTEXT
// listener, whose clients are super users).
//
// Needs the `tls` feature and the secured broker:
//   scripts/kafka-secure start && eval "$(scripts/kafka-secure env)"
//   cargo test -p listings --features tls --test secure
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// The secured broker's state folder and its PLAINTEXT listener.
fn secured() -> (String, Broker) {
    let dir = std::env::var("KAFKA_SECURE_DIR")
        .expect("KAFKA_SECURE_DIR: run scripts/kafka-secure start, then eval its env");
    let plaintext = std::env::var("KAFKA_SECURE_PLAINTEXT").expect("KAFKA_SECURE_PLAINTEXT");
    (dir, listings::Broker::at(&plaintext))
}

/// A fresh `secure-` topic (the prefix the ACLs name), created over PLAINTEXT.
fn secure_topic(broker: &Broker, test: &str) -> String {
    let topic = listings::unique_name(&format!("secure-{test}"));
    broker.create_topic(&topic).expect("topic created");
    topic
}

/// Runs secure_write with `<case>.properties`; returns how it ended and how
/// long it took.
fn secure_write(dir: &str, case: &str, topic: &str) -> (Run, Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_secure_write"));
    command.env_remove("KAFKA_BOOTSTRAP_SERVERS");
    let settings = format!("{dir}/{case}.properties");
    let started = Instant::now();
    let run = run_command(
        command,
        &[("KAFKA_CONFIG_FILE", &settings), ("KAFKA_TOPIC", topic)],
    );
    (run, started.elapsed())
}

/// The listing's bound: set-up gives up after 10 s, a message after 10 s.
const BOUND: Duration = Duration::from_secs(25);

/// Asserts that `case` fails with librdkafka's `words` and the listing's
/// `check`, within the bound, having written nothing.
fn refused(case: &str, words: &str, check: &str) -> Duration {
    let (dir, broker) = secured();
    let topic = secure_topic(&broker, case);
    let (run, took) = secure_write(&dir, case, &topic);
    println!("{case}: {took:?}\n{}", run.stderr);
    assert!(!run.success, "{case} wrote:\n{}", run.stdout);
    assert!(run.stderr.contains(words), "{case}:\n{}", run.stderr);
    let advice = run.lines_starting("Check: ");
    assert!(advice.is_empty(), "advice goes to stderr");
    let advice: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("Check: "))
        .collect();
    assert_eq!(advice.len(), 1, "{}", run.stderr);
    assert!(advice[0].contains(check), "{case}: {}", advice[0]);
    assert!(took < BOUND, "{case} took {took:?}");
    assert_eq!(broker.messages_written(&topic).unwrap(), 0, "{case}");
    took
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn the_good_settings_write_and_read_back() {
    let (dir, broker) = secured();
    let topic = secure_topic(&broker, "good");
    let (run, took) = secure_write(&dir, "writer", &topic);
    assert_success(&run, "secure_write with writer.properties");
    println!("writer: {took:?}");
    assert_eq!(run.lines_starting("Produced record").len(), 10);
    let records = read_back(&broker, &topic);
    assert_eq!(records.len(), 10);
    assert!(records.iter().all(|r| r.key.as_deref() == Some("secure")));
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn a_wrong_password_fails_authentication_at_once() {
    let took = refused(
        "wrong-password",
        "Authentication failed",
        "sasl.username and sasl.password",
    );
    // Set-up stops at the first authentication error, not at its 10 s bound.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn an_untrusted_ca_fails_certificate_verification_at_once() {
    let took = refused(
        "untrusted-ca",
        "certificate verify failed",
        "ssl.ca.location",
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn a_certificate_for_another_name_fails_verification() {
    refused(
        "name-mismatch",
        "certificate verify failed",
        "a name the certificate holds",
    );
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn plaintext_to_the_tls_port_names_security_protocol() {
    refused(
        "plaintext-to-tls",
        "in state APIVERSION_QUERY",
        "security.protocol: this port may want TLS",
    );
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn tls_to_the_plaintext_port_names_the_listener() {
    refused(
        "tls-to-plaintext",
        "SSL connection closed by peer",
        "this listener does not speak TLS",
    );
}

#[test]
#[cfg_attr(
    not(feature = "tls"),
    ignore = "needs --features tls and scripts/kafka-secure"
)]
fn a_user_without_write_permission_is_refused_until_an_acl_allows_it() {
    let (dir, broker) = secured();
    let topic = secure_topic(&broker, "reader");
    let (run, took) = secure_write(&dir, "reader", &topic);
    println!("reader: {took:?}\n{}", run.stderr);
    assert!(!run.success);
    assert!(
        run.stderr.contains("Topic authorization failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Check: the user's permissions"));
    assert!(took < BOUND, "{took:?}");
    assert_eq!(broker.messages_written(&topic).unwrap(), 0);

    // The ACL that fixes it, over the PLAINTEXT listener.
    let classpath = Command::new(format!("{ROOT}/scripts/kafka"))
        .arg("classpath")
        .output()
        .expect("scripts/kafka classpath");
    let classpath = String::from_utf8(classpath.stdout).unwrap();
    let plaintext = std::env::var("KAFKA_SECURE_PLAINTEXT").unwrap();
    let status = Command::new("java")
        .args(["-cp", classpath.trim(), "org.apache.kafka.tools.AclCommand"])
        .args(["--bootstrap-server", &plaintext, "--add"])
        .args(["--allow-principal", "User:reader", "--operation", "Write"])
        .args(["--topic", &topic])
        .status()
        .expect("AclCommand ran");
    assert!(status.success());
    let (run, _) = secure_write(&dir, "reader", &topic);
    assert_success(&run, "secure_write as reader after the ACL");
    assert_eq!(read_back(&broker, &topic).len(), 10);
}
