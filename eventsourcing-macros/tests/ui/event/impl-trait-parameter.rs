use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

fn main() {}
