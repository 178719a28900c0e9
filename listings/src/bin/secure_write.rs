// Writes ten messages to a cluster that wants TLS and a password, with the
// settings of the file KAFKA_CONFIG_FILE names. When the cluster refuses
// it, it says why, which setting to check, and exits non-zero within the
// bounds of set-up (10 s) and of a message (10 s).
//
//   KAFKA_CONFIG_FILE=client.properties cargo run -p listings --features tls --bin secure_write
use std::process::ExitCode;
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;

// ANCHOR: write
async fn write_ten() -> anyhow::Result<()> {
    // Connects with bootstrap.servers and the file's settings, and fails
    // with librdkafka's reason if the cluster refuses this client.
    let (broker, topic) = listings::setup()?;
    let producer: FutureProducer = broker
        .config()
        // Give up on a message after 10 s, not librdkafka's 5 minutes.
        .set("message.timeout.ms", "10000")
        .create()?;
    for n in 0..10 {
        let value = json!({ "count": n }).to_string();
        let record = FutureRecord::to(&topic).key("secure").payload(&value);
        let delivery = producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(err, _msg)| err)?;
        println!(
            "Produced record to topic {topic} partition [{}] @ offset {}",
            delivery.partition, delivery.offset
        );
    }
    Ok(())
}
// ANCHOR_END: write

// ANCHOR: what_to_check
/// The setting to look at, from the words of librdkafka's error.
fn what_to_check(error: &str) -> &'static str {
    let says = |words: &str| error.contains(words);
    if says("OpenSSL not available at build time") {
        "the build: run with `--features tls`"
    } else if says("SASL authentication error") || says("Authentication failed") {
        "sasl.username and sasl.password, and sasl.mechanisms (the broker's is SCRAM-SHA-512)"
    } else if says("certificate verify failed") || says("could not be verified") {
        "ssl.ca.location: the CA that signed the broker's certificate, and that \
         bootstrap.servers uses a name the certificate holds"
    } else if says("in state APIVERSION_QUERY") {
        // The broker hung up on the client's first request: a TLS port
        // does that to a client that does not speak TLS.
        "security.protocol: this port may want TLS (SSL or SASL_SSL)"
    } else if says("SSL connection closed by peer") {
        // The broker hung up during the TLS handshake: it does not speak TLS.
        "security.protocol or the port: this listener does not speak TLS"
    } else if says("uthorization failed") {
        "the user's permissions: an ACL must allow it to Write to (and Describe) the topic"
    } else {
        "bootstrap.servers, and that the broker runs; add debug=security,broker \
         to the settings file to see librdkafka's own account"
    }
}
// ANCHOR_END: what_to_check

#[tokio::main]
async fn main() -> ExitCode {
    match write_ten().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let error = format!("{err:#}");
            eprintln!("Error: {error}");
            eprintln!("Check: {}", what_to_check(&error));
            ExitCode::FAILURE
        }
    }
}
