use eventsourcing::prelude::*;

#[aggregate]
pub struct Meters(u64);

fn main() {}
