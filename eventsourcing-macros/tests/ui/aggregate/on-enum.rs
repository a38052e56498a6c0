use eventsourcing::prelude::*;

#[aggregate]
pub enum Light {
    On,
    Off,
}

fn main() {}
