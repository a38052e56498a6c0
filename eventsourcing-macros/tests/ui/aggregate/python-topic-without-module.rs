use eventsourcing::prelude::*;

#[aggregate(python = "Dog")]
#[derive(Debug, Clone)]
pub struct Dog {
    name: String,
}

fn main() {}
