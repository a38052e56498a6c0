use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn main() {}
