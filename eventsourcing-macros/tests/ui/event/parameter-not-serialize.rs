use eventsourcing::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Collar {
    colour: String,
}

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {
    collar: Option<Collar>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register() -> Self {
        Self { collar: None }
    }

    #[event("CollarFitted")]
    pub fn fit_collar(&mut self, collar: Collar) {
        self.collar = Some(collar);
    }
}

fn main() {}
