use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name, tricks: Vec::new() }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: String) {
        self.tricks.push(trick);
    }

    pub fn tricks(&self) -> &[String] {
        &self.tricks
    }
}

fn main() {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("roll over".into());
    assert_eq!(dog.version(), 2);
    assert_eq!(dog.tricks(), ["roll over"]);
    let events = dog.collect_events();
    assert_eq!(events.len(), 2);
}
