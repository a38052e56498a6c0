use eventsourcing::prelude::*;

#[aggregate(version = "2")]
pub struct Dog {
    name: String,
}

fn main() {}
