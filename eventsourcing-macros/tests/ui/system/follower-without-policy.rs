use eventsourcing::prelude::*;
use eventsourcing::system::{System, SystemApplication};

struct DogSchool(Application);

impl SystemApplication for DogSchool {
    const NAME: &'static str = "DogSchool";
    fn from_application(app: Application) -> Self {
        DogSchool(app)
    }
    fn application(&self) -> &Application {
        &self.0
    }
}

struct Reports(Application);

impl SystemApplication for Reports {
    const NAME: &'static str = "Reports";
    fn from_application(app: Application) -> Self {
        Reports(app)
    }
    fn application(&self) -> &Application {
        &self.0
    }
}

fn main() {
    let _ = System::builder().pipe::<(DogSchool, Reports)>().build();
}
