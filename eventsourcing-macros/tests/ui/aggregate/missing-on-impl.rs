use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {
    name: String,
}

impl Dog {
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn main() {}
