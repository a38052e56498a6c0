use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }

    #[event("Registered")]
    pub fn rename(&mut self, name: String) {
        self.name = name;
    }
}

fn main() {}
