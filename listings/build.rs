// Which broker the tests run on decides which tests can run: one that needs
// the other broker is marked ignored, with its reason, instead of passing
// without having run. The listings themselves never look at these.
use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(real_kafka, fault_tests, cluster)");
    println!("cargo::rerun-if-env-changed=KAFKA_BOOTSTRAP_SERVERS");
    println!("cargo::rerun-if-env-changed=KAFKA_FAULT_TESTS");
    println!("cargo::rerun-if-env-changed=KAFKA_CLUSTER");
    if env::var("KAFKA_BOOTSTRAP_SERVERS").is_ok_and(|s| !s.trim().is_empty()) {
        println!("cargo::rustc-cfg=real_kafka");
    }
    if env::var("KAFKA_FAULT_TESTS").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=fault_tests");
    }
    // The three-broker cluster of `scripts/kafka cluster start`, whose
    // nodes the tests of listings/tests/cluster.rs kill and restart.
    if env::var("KAFKA_CLUSTER").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=cluster");
    }
}
