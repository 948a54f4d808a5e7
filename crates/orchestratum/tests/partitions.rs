//! Network faults between a worker and its database, injected by a TCP relay
//! (`support/relay.rs`) in this process.

#[path = "support/mod.rs"]
mod support;

#[path = "partitions/relay_checks.rs"]
mod relay_checks;
