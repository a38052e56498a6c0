use eventsourcing::prelude::*;

#[aggregate(version = 3, upcast(DogV1))]
pub struct Dog {
    name: String,
}

pub struct DogV1;

fn main() {}
