// Typed messages: a struct serialised with serde_json, its key taken from
// one of its fields, and headers that say what the bytes are. A value that
// cannot be serialised is an error at the call, and nothing is sent.
use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::{Deserialize, Serialize};

// ANCHOR: types
/// An event the way the rest of the program knows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OrderPlaced {
    pub order_id: u64,
    pub customer: String,
    pub lines: Vec<OrderLine>,
    pub total_cents: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
}

/// What every typed event says about itself in the message's headers.
pub trait Event: Serialize {
    /// The key: events with the same key stay in order on one partition.
    fn key(&self) -> String;
    /// Unique per event, so that a consumer can tell a duplicate.
    fn event_id(&self) -> String;
    const TYPE: &'static str;
}

impl Event for OrderPlaced {
    fn key(&self) -> String {
        self.customer.clone()
    }
    fn event_id(&self) -> String {
        format!("order-{}", self.order_id)
    }
    const TYPE: &'static str = "OrderPlaced";
}
// ANCHOR_END: types

// ANCHOR: send_event
/// Serialises `event` and writes it with its key and headers. A value
/// serde_json cannot write is an error here, before anything is queued.
pub async fn send_event<E: Event>(
    producer: &FutureProducer,
    topic: &str,
    event: &E,
) -> anyhow::Result<Delivery> {
    let payload = serde_json::to_vec(event)?;
    let key = event.key();
    let event_id = event.event_id();
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "content-type",
            value: Some("application/json"),
        })
        .insert(Header {
            key: "event-type",
            value: Some(E::TYPE),
        })
        .insert(Header {
            key: "event-id",
            value: Some(&event_id),
        });
    let record = FutureRecord::to(topic)
        .key(&key)
        .payload(&payload)
        .headers(headers);
    let delivery = producer
        .send(record, Duration::from_secs(10))
        .await
        .map_err(|(err, _msg)| err)?;
    Ok(delivery)
}
// ANCHOR_END: send_event

/// The events this listing writes: three customers, six orders.
pub fn orders() -> Vec<OrderPlaced> {
    (1..=6)
        .map(|order_id| OrderPlaced {
            order_id,
            customer: ["ada", "grace", "linus"][order_id as usize % 3].to_string(),
            lines: vec![OrderLine {
                sku: format!("sku-{}", 100 + order_id),
                quantity: order_id as u32,
            }],
            total_cents: 1_250 * order_id,
        })
        .collect()
}

// ANCHOR: unserialisable
/// A stock count keyed by a struct: serde_json writes map keys only as
/// strings, so it refuses this value.
#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sku {
    pub code: u32,
}

#[derive(Serialize)]
pub struct StockCounted {
    pub warehouse: String,
    pub counts: BTreeMap<Sku, u32>,
}

impl Event for StockCounted {
    fn key(&self) -> String {
        self.warehouse.clone()
    }
    fn event_id(&self) -> String {
        format!("stock-{}", self.warehouse)
    }
    const TYPE: &'static str = "StockCounted";
}
// ANCHOR_END: unserialisable

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (broker, topic) = listings::setup()?;
    let producer: FutureProducer = broker.config().create()?;

    // ANCHOR: main
    for order in orders() {
        let delivery = send_event(&producer, &topic, &order).await?;
        println!(
            "order {} for {} -> partition {} @ offset {}",
            order.order_id, order.customer, delivery.partition, delivery.offset
        );
    }

    let stock = StockCounted {
        warehouse: "north".to_string(),
        counts: BTreeMap::from([(Sku { code: 7 }, 3)]),
    };
    match send_event(&producer, &topic, &stock).await {
        Ok(delivery) => anyhow::bail!("written, at offset {}?", delivery.offset),
        Err(err) => println!("stock count not sent: {err}"),
    }
    // ANCHOR_END: main
    println!(
        "messages on the topic: {}",
        broker.messages_written(&topic)?
    );
    Ok(())
}
