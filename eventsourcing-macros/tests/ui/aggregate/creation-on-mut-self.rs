use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(&mut self, name: String) -> Self {
        Self { name }
    }
}

fn main() {}
