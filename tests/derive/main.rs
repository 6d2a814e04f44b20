//! What `#[derive(ElasticQueue)]`, `#[elasticq::queue]`, `#[derive(Priority)]` and
//! `#[derive(Codec)]` generate, exercised as a user would, one module per part of the
//! generated API:
//!
//! - `api`: every call of the generated API, on each accepted shape of message;
//! - `layers`: priorities, partitions and map mode;
//! - `metrics`: the series a queue declared with `metrics = "label"` reports;
//! - `persist`: persisted queues (opening, log settings, deliveries, `codec = serde`);
//! - `overflow`: `overflow = drop_oldest`, `capacity(max_bytes = N)` and `weight` on every
//!   composition, against a model of each lane, and under several producers and consumers;
//! - `codec`: `#[derive(Codec)]` round trips and malformed input.
//!
//! The async calls are in `tests/async_api/`; compile-time errors in `tests/ui/` (package `elasticq-ui`).

mod api;
mod codec;
mod layers;
mod metrics;
mod overflow;
mod persist;
