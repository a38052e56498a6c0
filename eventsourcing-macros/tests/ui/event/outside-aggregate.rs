use eventsourcing::prelude::*;

pub struct Dog {
    name: String,
}

impl Dog {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn main() {}
