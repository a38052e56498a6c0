use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Renamed")]
    pub fn rename(&mut self, name: String) {
        self.name = name;
    }
}

fn main() {}
