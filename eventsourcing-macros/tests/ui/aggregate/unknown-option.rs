use eventsourcing::prelude::*;

#[aggregate(table = "dogs")]
pub struct Dog {
    name: String,
}

fn main() {}
