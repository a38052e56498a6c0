//! Aggregates written with `#[aggregate]` and `#[event]`: commands, events, replay.
#![allow(missing_docs)]

use std::fmt;

use eventsourcing::domain::ReplayError;
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

    pub fn tricks(&self) -> &[String] {
        &self.tricks
    }
}

#[test]
fn commands_record_events_in_order_and_bump_the_version() {
    let mut dog = Dog::register("Fido".into());
    assert_eq!(dog.version(), 1);
    dog.add_trick("roll over".into());
    dog.add_trick("play dead".into());
    assert_eq!(dog.version(), 3);
    assert_eq!(dog.tricks(), ["roll over", "play dead"]);
    assert_eq!(dog.pending_events().len(), 3);

    let events = dog.collect_events();
    assert!(dog.pending_events().is_empty());
    assert!(dog.collect_events().is_empty());
    let payloads: Vec<_> = events.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(
        payloads,
        [
            DogEvent::Registered { name: "Fido".into() },
            DogEvent::TrickAdded { trick: "roll over".into() },
            DogEvent::TrickAdded { trick: "play dead".into() },
        ]
    );
    let versions: Vec<u64> = events.iter().map(|e| e.originator_version).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(events.iter().all(|e| e.originator_id == *dog.id()));
    assert_eq!(events[0].name(), "Registered");
    assert_eq!(events[2].name(), "TrickAdded");
}

#[test]
fn timestamps_come_from_the_events() {
    let mut dog = Dog::register("Fido".into());
    assert_eq!(dog.created_on(), dog.modified_on());
    dog.add_trick("sit".into());
    let events = dog.pending_events();
    assert_eq!(dog.created_on(), events[0].timestamp);
    assert_eq!(dog.modified_on(), events[1].timestamp);
    assert!(dog.modified_on() >= dog.created_on());
}

#[test]
fn ids_are_random_uuid_v4_by_default() {
    let a = Dog::register("Fido".into());
    let b = Dog::register("Fido".into());
    assert_ne!(a.id(), b.id());
    assert_eq!(a.id().get_version_num(), 4);
}

#[test]
fn replay_rebuilds_an_equal_aggregate() {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("roll over".into());
    let events = dog.collect_events();
    let replayed = Dog::from_events(events.clone()).unwrap();
    assert_eq!(replayed, dog);
    assert_eq!(replayed.version(), 2);
    assert_eq!(replayed.created_on(), events[0].timestamp);
    assert_eq!(replayed.modified_on(), events[1].timestamp);
    assert!(replayed.pending_events().is_empty());
}

#[test]
fn apply_events_continues_an_existing_aggregate() {
    let mut dog = Dog::register("Fido".into());
    let mut events = dog.collect_events();
    dog.add_trick("sit".into());
    dog.add_trick("stay".into());
    let later = dog.collect_events();
    let mut replayed = Dog::from_events(events.drain(..1)).unwrap();
    replayed.apply_events(later).unwrap();
    assert_eq!(replayed, dog);
}

#[test]
fn replay_of_nothing_is_an_error() {
    let error = Dog::from_events(Vec::new()).unwrap_err();
    assert!(matches!(error, ReplayError::NoEvents { aggregate: "Dog" }), "{error}");
}

#[test]
fn replay_of_another_aggregates_event_is_an_originator_id_error() {
    let mut a = Dog::register("a".into());
    let mut b = Dog::register("b".into());
    b.add_trick("x".into());
    let mut events = a.collect_events();
    events.push(b.collect_events().pop().unwrap());
    let error = Dog::from_events(events).unwrap_err();
    match &error {
        ReplayError::OriginatorId { expected, found, event, version, .. } => {
            assert_eq!(*expected, a.id().to_string());
            assert_eq!(*found, b.id().to_string());
            assert_eq!(*event, "TrickAdded");
            assert_eq!(*version, 2);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(error.to_string().contains(&b.id().to_string()));
}

#[test]
fn replay_with_a_missing_or_repeated_version_is_an_originator_version_error() {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("a".into());
    dog.add_trick("b".into());
    let events = dog.collect_events();

    let skipped = vec![events[0].clone(), events[2].clone()];
    let error = Dog::from_events(skipped).unwrap_err();
    assert!(matches!(error, ReplayError::OriginatorVersion { expected: 2, found: 3, .. }), "{error}");

    let repeated = vec![events[0].clone(), events[1].clone(), events[1].clone()];
    let error = Dog::from_events(repeated).unwrap_err();
    assert!(matches!(error, ReplayError::OriginatorVersion { expected: 3, found: 2, .. }), "{error}");
}

#[test]
fn replay_must_start_with_a_creation_event() {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("a".into());
    let events = dog.collect_events();
    let error = Dog::from_events(events[1..].to_vec()).unwrap_err();
    assert!(matches!(error, ReplayError::NotCreated { event: "TrickAdded", version: 2, .. }), "{error}");

    let mut twice = events.clone();
    let mut second = events[0].clone();
    second.originator_version = 3;
    twice.push(second);
    let error = Dog::from_events(twice).unwrap_err();
    assert!(matches!(error, ReplayError::AlreadyCreated { event: "Registered", version: 3, .. }), "{error}");
}

#[test]
fn a_failed_apply_leaves_version_and_timestamps_unchanged() {
    let mut dog = Dog::register("Fido".into());
    let before = (dog.version(), dog.modified_on());
    let stale = dog.pending_events()[0].clone();
    assert!(dog.apply_event(stale).is_err());
    assert_eq!((dog.version(), dog.modified_on()), before);
}

#[test]
fn aggregate_derives_work_and_skip_the_bookkeeping() {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("sit".into());
    let json = serde_json::to_value(&dog).unwrap();
    assert_eq!(json, serde_json::json!({"name": "Fido", "tricks": ["sit"]}));
    let debug = format!("{dog:?}");
    assert!(debug.contains("Fido") && debug.contains("version: 2"), "{debug}");
    let clone = dog.clone();
    assert_eq!(clone, dog);
    assert_eq!(clone.pending_events().len(), 2);
}

#[test]
fn the_event_enum_derives_serde_with_stable_names() {
    let event = DogEvent::TrickAdded { trick: "sit".into() };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json, serde_json::json!({"TrickAdded": {"trick": "sit"}}));
    let back: DogEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
    let names: Vec<_> = <DogEvent as AggregateEvent>::EVENTS.iter().map(|e| (e.name, e.version, e.creates)).collect();
    assert_eq!(names, [("Registered", 1, true), ("TrickAdded", 1, false)]);
}

// ---- Name inference, borrowed parameters, failing bodies, ordinary methods ----

#[derive(Debug, PartialEq, Eq)]
pub enum CartError {
    Empty,
    TooMany(usize),
}

impl fmt::Display for CartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CartError::Empty => f.write_str("empty item name"),
            CartError::TooMany(n) => write!(f, "{n} items is too many"),
        }
    }
}

impl std::error::Error for CartError {}

#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    owner: String,
    items: Vec<String>,
    tags: Vec<u32>,
    picked_up: bool,
}

#[aggregate]
impl Cart {
    #[event]
    pub fn open(owner: &str) -> Result<Self, CartError> {
        if owner.is_empty() {
            return Err(CartError::Empty);
        }
        Ok(Self { owner: owner.to_owned(), items: Vec::new(), tags: Vec::new(), picked_up: false })
    }

    #[event]
    pub fn add_item(&mut self, item: &str) -> Result<(), CartError> {
        if item.is_empty() {
            return Err(CartError::Empty);
        }
        if self.items.len() >= 3 {
            return Err(CartError::TooMany(self.items.len() + 1));
        }
        self.items.push(item.to_owned());
        Ok(())
    }

    #[event("Tagged")]
    pub fn tag(&mut self, tags: &[u32]) {
        self.tags.extend_from_slice(tags);
    }

    /// Validation in an ordinary method, which then records the event.
    pub fn pick_up(&mut self) -> Result<(), CartError> {
        if self.items.is_empty() {
            return Err(CartError::Empty);
        }
        self._picked_up();
        Ok(())
    }

    #[event]
    fn _picked_up(&mut self) {
        self.picked_up = true;
    }

    pub fn item_count(&self) -> usize {
        self.items.len()
    }
}

#[test]
fn bare_event_takes_the_pascal_case_of_the_method_name() {
    let names: Vec<_> = <CartEvent as AggregateEvent>::EVENTS.iter().map(|e| (e.name, e.version)).collect();
    assert_eq!(names, [("Open", 1), ("AddItem", 1), ("Tagged", 1), ("PickedUp", 1)]);
    let mut cart = Cart::open("ann").unwrap();
    cart.add_item("apple").unwrap();
    cart.pick_up().unwrap();
    let events = cart.collect_events();
    assert_eq!(events[2].name(), "PickedUp");
    assert!(matches!(events[2].payload, CartEvent::PickedUp {}));
}

#[test]
fn borrowed_parameters_are_stored_owned() {
    let mut cart = Cart::open("ann").unwrap();
    cart.add_item("apple").unwrap();
    cart.tag(&[1, 2]);
    let events = cart.collect_events();
    assert_eq!(events[0].payload, CartEvent::Open { owner: String::from("ann") });
    assert_eq!(events[1].payload, CartEvent::AddItem { item: String::from("apple") });
    assert_eq!(events[2].payload, CartEvent::Tagged { tags: vec![1, 2] });
    let replayed = Cart::from_events(events).unwrap();
    assert_eq!(replayed, cart);
}

#[test]
fn a_failing_body_records_no_event_and_returns_the_error() {
    assert_eq!(Cart::open("").unwrap_err(), CartError::Empty);

    let mut cart = Cart::open("ann").unwrap();
    assert_eq!(cart.add_item(""), Err(CartError::Empty));
    assert_eq!(cart.version(), 1);
    assert_eq!(cart.pending_events().len(), 1);
    for item in ["a", "b", "c"] {
        cart.add_item(item).unwrap();
    }
    assert_eq!(cart.add_item("d"), Err(CartError::TooMany(4)));
    assert_eq!(cart.version(), 4);
    assert_eq!(cart.item_count(), 3);
    assert_eq!(cart.pending_events().len(), 4);
}

#[test]
fn ordinary_methods_validate_before_recording() {
    let mut cart = Cart::open("ann").unwrap();
    assert_eq!(cart.pick_up(), Err(CartError::Empty));
    assert_eq!(cart.version(), 1);
}

#[test]
fn a_body_that_rejects_on_replay_is_a_typed_error() {
    let mut cart = Cart::open("ann").unwrap();
    for item in ["a", "b", "c"] {
        cart.add_item(item).unwrap();
    }
    let mut events = cart.collect_events();
    // A fourth item, as if recorded by an older, more lenient version of the code.
    let mut fourth = events[3].clone();
    fourth.originator_version = 5;
    fourth.payload = CartEvent::AddItem { item: "d".into() };
    events.push(fourth);
    let error = Cart::from_events(events).unwrap_err();
    match &error {
        ReplayError::Rejected { event, version, source, .. } => {
            assert_eq!(*event, "AddItem");
            assert_eq!(*version, 5);
            assert_eq!(source.to_string(), "4 items is too many");
        }
        other => panic!("unexpected {other}"),
    }
}

/// A body error that is only `Debug`, as a first domain error often is.
#[derive(Debug, PartialEq)]
pub enum BankError {
    Overdrawn { balance: i64 },
}

#[aggregate]
#[derive(Debug, Clone)]
pub struct Purse {
    balance: i64,
}

#[aggregate]
impl Purse {
    #[event("Opened")]
    pub fn open() -> Self {
        Self { balance: 0 }
    }

    #[event("Spent")]
    pub fn spend(&mut self, amount: i64) -> Result<(), BankError> {
        if amount > self.balance {
            return Err(BankError::Overdrawn { balance: self.balance });
        }
        self.balance -= amount;
        Ok(())
    }
}

#[test]
fn a_body_error_needs_only_debug() {
    let mut purse = Purse::open();
    assert_eq!(purse.spend(5), Err(BankError::Overdrawn { balance: 0 }));
    assert_eq!(purse.version(), 1);
    // On replay, a rejection is shown through `Debug`.
    let mut events = purse.collect_events();
    let mut spent = purse.clone();
    spent.balance = 10;
    spent.spend(3).unwrap();
    events.extend(spent.collect_events());
    let error = Purse::from_events(events).unwrap_err();
    let ReplayError::Rejected { source, .. } = &error else { panic!("{error}") };
    assert_eq!(source.to_string(), "Overdrawn { balance: 0 }");
}

// ---- Explicit event types ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "Renamed")]
pub struct NameChanged {
    pub name: String,
}

#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    name: String,
}

#[aggregate]
impl Profile {
    #[event("Created")]
    pub fn create(name: String) -> Self {
        Self { name }
    }

    #[event(NameChanged)]
    pub fn rename(&mut self, name: &str) {
        name.clone_into(&mut self.name);
    }
}

#[test]
fn explicit_event_types_keep_their_stable_name() {
    let mut profile = Profile::create("a".into());
    profile.rename("b");
    let events = profile.collect_events();
    assert_eq!(events[1].payload, ProfileEvent::NameChanged(NameChanged { name: "b".into() }));
    assert_eq!(events[1].name(), "Renamed");
    let replayed = Profile::from_events(events).unwrap();
    assert_eq!(replayed, profile);
    assert_eq!(replayed.name, "b");
}

// ---- Ids: deterministic (v5), explicit, and String ids ----

#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    slug: String,
}

#[aggregate]
impl Page {
    /// Like Python's `create_id`: the id follows from the creation arguments.
    fn create_id(slug: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("/pages/{slug}").as_bytes())
    }

    #[event("Created")]
    pub fn create(slug: String) -> Self {
        Self { slug }
    }

    #[event("Imported")]
    pub fn import(id: Uuid, slug: String) -> Self {
        let _ = id;
        Self { slug }
    }
}

#[test]
fn create_id_derives_a_v5_id_from_creation_arguments() {
    let a = Page::create("home".into());
    let b = Page::create("home".into());
    assert_eq!(a.id(), b.id());
    assert_eq!(*a.id(), Uuid::new_v5(&Uuid::NAMESPACE_URL, b"/pages/home"));
    assert_eq!(a.id().get_version_num(), 5);
    assert_ne!(Page::create("about".into()).id(), a.id());
}

#[test]
fn an_id_parameter_sets_the_id_and_is_not_an_event_field() {
    let id = Uuid::new_v4();
    let mut page = Page::import(id, "x".into());
    assert_eq!(*page.id(), id);
    let events = page.collect_events();
    assert_eq!(events[0].payload, PageEvent::Imported { slug: "x".into() });
    assert_eq!(*Page::from_events(events).unwrap().id(), id);
}

#[aggregate(id = String, name = "Account")]
#[derive(Debug, Clone, PartialEq)]
pub struct BankAccount {
    balance: i64,
}

#[aggregate]
impl BankAccount {
    fn create_id(number: &str) -> String {
        format!("account-{number}")
    }

    #[event("Opened")]
    pub fn open(number: &str) -> Self {
        let _ = number;
        Self { balance: 0 }
    }

    #[event("Deposited")]
    pub fn deposit(&mut self, amount: i64) {
        self.balance += amount;
    }
}

#[aggregate(id = String)]
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    text: String,
}

#[aggregate]
impl Note {
    #[event("Written")]
    pub fn write(text: String) -> Self {
        Self { text }
    }
}

#[test]
fn string_ids_work_generated_and_derived() {
    let mut account = BankAccount::open("42");
    account.deposit(10);
    assert_eq!(account.id(), "account-42");
    assert_eq!(<BankAccount as Aggregate>::NAME, "Account");
    let replayed = BankAccount::from_events(account.collect_events()).unwrap();
    assert_eq!(replayed, account);
    assert_eq!(replayed.balance, 10);

    let note = Note::write("hi".into());
    assert_eq!(note.id().len(), 36);
    assert_ne!(note.id(), Note::write("hi".into()).id());
}

// ---- Timestamps given as arguments ----

#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    starts: Option<DateTime<Utc>>,
    notes: Vec<(String, DateTime<Utc>)>,
}

#[aggregate]
impl Meeting {
    #[event("Scheduled")]
    pub fn schedule(timestamp: DateTime<Utc>) -> Self {
        Self { starts: Some(timestamp), notes: Vec::new() }
    }

    #[event("Noted")]
    pub fn note(&mut self, text: String, timestamp: Option<DateTime<Utc>>) {
        self.notes.push((text, timestamp.expect("the body always sees the event's timestamp")));
    }
}

#[test]
fn a_timestamp_parameter_sets_the_event_timestamp() {
    let start = "2020-01-02T03:04:05Z".parse::<DateTime<Utc>>().unwrap();
    let later = "2021-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let mut meeting = Meeting::schedule(start);
    meeting.note("given".into(), Some(later));
    meeting.note("now".into(), None);
    assert_eq!(meeting.created_on(), start);
    assert_eq!(meeting.notes[0].1, later);
    assert!(meeting.notes[1].1 > later);
    assert_eq!(meeting.modified_on(), meeting.notes[1].1);
    let events = meeting.collect_events();
    assert_eq!(events[0].timestamp, start);
    assert_eq!(events[1].payload, MeetingEvent::Noted { text: "given".into() });
    let replayed = Meeting::from_events(events).unwrap();
    assert_eq!(replayed, meeting);
}

// ---- Initial version ----

#[aggregate(initial_version = 0)]
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    count: u32,
}

#[aggregate]
impl Counter {
    #[event("Started")]
    pub fn start() -> Self {
        Self { count: 0 }
    }

    #[event("Incremented")]
    pub fn increment(&mut self) {
        self.count += 1;
    }
}

#[test]
fn initial_version_can_be_zero() {
    let mut counter = Counter::start();
    assert_eq!(counter.version(), 0);
    counter.increment();
    assert_eq!(counter.version(), 1);
    let replayed = Counter::from_events(counter.collect_events()).unwrap();
    assert_eq!(replayed.count, 1);
    assert_eq!(replayed.version(), 1);
}

// ---- Visibility, `Self` in parameters, nested event calls, conditional serde ----

mod kennel {
    use eventsourcing::prelude::*;

    /// A private aggregate: its event enum must not leak it.
    #[aggregate]
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Pen {
        dogs: Vec<Uuid>,
        cleaned: u32,
    }

    #[aggregate]
    impl Pen {
        #[event("Built")]
        fn build() -> Pen {
            Pen { dogs: Vec::new(), cleaned: 0 }
        }

        #[event("Admitted")]
        fn admit(&mut self, dog: <Self as Aggregate>::Id) {
            self.dogs.push(dog);
        }

        #[event("Cleaned")]
        fn clean(&mut self) {
            self.cleaned += 1;
        }

        /// An event whose body calls another event method: the inner call is part of it.
        #[event("Emptied")]
        fn empty(&mut self) {
            self.dogs.clear();
            self.clean();
        }
    }

    pub(crate) fn exercise() -> (u64, usize, u32, bool) {
        let mut pen = Pen::build();
        pen.admit(Uuid::new_v4());
        pen.empty();
        let events = pen.collect_events();
        let names: Vec<_> = events.iter().map(eventsourcing::domain::DomainEvent::name).collect();
        assert_eq!(names, ["Built", "Admitted", "Emptied"], "the nested call records no event of its own");
        let replayed = Pen::from_events(events).unwrap();
        let ordered = replayed.clone() <= pen;
        (replayed.version(), replayed.dogs.len(), replayed.cleaned, ordered && replayed == pen)
    }
}

#[test]
fn private_aggregates_self_types_and_nested_event_calls_work() {
    assert_eq!(kennel::exercise(), (3, 0, 1, true));
}

mod events {
    use eventsourcing::prelude::*;

    /// An explicit event type in another module.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
    #[event(name = "Noted")]
    pub struct Noted {
        pub text: String,
    }
}

#[aggregate]
#[cfg_attr(all(), derive(Serialize, Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Diary {
    notes: Vec<String>,
}

#[aggregate]
impl Diary {
    #[event("Started")]
    pub fn start() -> Result<Diary, CartError> {
        Ok(Diary { notes: Vec::new() })
    }

    #[event(crate::events::Noted)]
    pub fn note(&mut self, text: String) {
        self.notes.push(text);
    }
}

#[test]
fn conditional_serde_derives_and_crate_paths_to_event_types_work() {
    let mut diary = Diary::start().unwrap();
    diary.note("hello".into());
    assert_eq!(serde_json::to_value(&diary).unwrap(), serde_json::json!({"notes": ["hello"]}));
    let events = diary.collect_events();
    let bytes = eventsourcing::persistence::Codec::Json.encode_snapshot(&Snapshot::take(&diary)).unwrap();
    let restored = eventsourcing::persistence::Codec::Json.decode_snapshot::<Diary>(diary.id(), 2, &bytes).unwrap();
    assert_eq!(restored.restore(), diary, "snapshots restore when Deserialize is derived under cfg_attr");
    assert_eq!(events[1].name(), "Noted");
    assert_eq!(Diary::from_events(events).unwrap(), diary);
}
