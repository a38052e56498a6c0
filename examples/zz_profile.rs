use eventsourcing::prelude::*;
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let mut b = Application::builder("P").without_process_env();
    if what == "sealed" {
        b = b
            .env("CIPHER_KEY", eventsourcing::persistence::Cipher::generate_key().unwrap())
            .env("COMPRESSOR_TOPIC", "zstd");
    }
    let app = b.build().await.unwrap();
    if what == "save" {
        let t = std::time::Instant::now();
        for _ in 0..300_000 {
            app.save(&mut Dog::register("Fido".into())).await.unwrap();
        }
        println!("{:?}", t.elapsed() / 300_000);
        return;
    }
    let mut dog = Dog::register("Fido".into());
    for n in 0..9999 {
        dog.add_trick(format!("trick number {n}"));
    }
    app.save(&mut dog).await.unwrap();
    let t = std::time::Instant::now();
    for _ in 0..200 {
        app.repository().get::<Dog>(dog.id()).await.unwrap();
    }
    println!("{:?}", t.elapsed() / 200);
}
