//! Procedural macros of the `eventsourcing` crate: `#[aggregate]`, `#[event]`,
//! `#[derive(Event)]` and `#[derive(LogEvent)]`.
//!
//! Use them through the facade crate (`use eventsourcing::prelude::*`), which also holds
//! the runtime the generated code calls. Each macro parses its input into a typed model
//! (`ast`), checks it (`check`), and only then generates code (`expand`); every mistake
//! found is reported with the span of the offending tokens.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;

use proc_macro::TokenStream;

/// Makes a struct an event-sourced aggregate, and its `impl` block the source of its events.
///
/// On the struct, it adds hidden bookkeeping (id, version, timestamps, pending events) and
/// implements [`Aggregate`](../eventsourcing/domain/trait.Aggregate.html). Options:
/// `id = String` (default `Uuid`), `name = "Dog"` (the stable aggregate name; defaults to
/// the struct's name), `version = N` with `upcast(OldV1, ...)` for snapshot state
/// versioning, `initial_version = N` (default 1), `crate = "path"`.
///
/// On the inherent `impl` block, each method marked `#[event]` becomes a command that
/// records an event; the enum `<Name>Event` is generated with one variant per event.
/// On a trait impl of the aggregate (such as `impl From<DogV1> for Dog`), it fills the
/// hidden field into struct literals of the aggregate.
///
/// ```
/// use eventsourcing::prelude::*;
///
/// #[aggregate]
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// pub struct Dog {
///     name: String,
///     tricks: Vec<String>,
/// }
///
/// #[aggregate]
/// impl Dog {
///     #[event("Registered")]
///     pub fn register(name: String) -> Self {
///         Self { name, tricks: Vec::new() }
///     }
///
///     #[event("TrickAdded")]
///     pub fn add_trick(&mut self, trick: &str) {
///         self.tricks.push(trick.to_owned());
///     }
/// }
///
/// let mut dog = Dog::register("Fido".into());
/// dog.add_trick("roll over");
/// assert_eq!(dog.version(), 2);
/// ```
#[proc_macro_attribute]
pub fn aggregate(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::aggregate(attr.into(), &item.into()).into()
}

/// Marks a method of an `#[aggregate]` impl block as a command that records an event.
///
/// - `#[event("Name")]`: the event's stable name; `#[event]` takes it from the method
///   name (`add_trick` → `AddTrick`); `#[event(SomeEvent)]` uses a `#[derive(Event)]` type.
/// - `#[event("Name", version = 2, upcast(NameV1))]`: a versioned event, decoding older
///   stored shapes through `From` conversions ending in the aggregate's event enum.
/// - A function returning `Self` (or `Result<Self, E>`) creates the aggregate; a method
///   taking `&mut self` and returning `()` (or `Result<(), E>`) changes it. On `Err`, no
///   event is recorded and the version is unchanged.
///
/// Used anywhere else, it is a compile error.
#[proc_macro_attribute]
pub fn event(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::event_outside(&attr.into(), &item.into()).into()
}

/// Implements `Event` for an explicit event type: `#[event(name = "...", version = N,
/// upcast(OldV1, ...))]`, all optional (the name defaults to the type's name).
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    expand::derive_event(input.into()).into()
}

/// Implements `LogEvent` for an enum whose variants each wrap the domain events of one
/// aggregate type (`Dog(DomainEvent<DogEvent>)`, `Course(DomainEvent<CourseEvent, String>)`),
/// so that the notifications of a log decode into it by topic.
///
/// `#[log_event(skip("Account", "Audit.Logged"))]` passes over the topics of an aggregate
/// type (by its name) or single topics; any other topic no variant knows is an error.
/// `#[log_event(crate = "path")]` names a renamed facade crate.
///
/// ```
/// use eventsourcing::prelude::*;
///
/// # #[aggregate] #[derive(Debug, Clone)] pub struct Dog { name: String }
/// # #[aggregate] impl Dog { #[event("Registered")] pub fn register(name: String) -> Self { Self { name } } }
/// # #[aggregate(id = String)] #[derive(Debug, Clone)] pub struct Course { dogs: u32 }
/// # #[aggregate] impl Course {
/// #     fn create_id(code: &str) -> String { code.to_owned() }
/// #     #[event("Opened")] pub fn open(code: &str) -> Self { Self { dogs: 0 } }
/// # }
/// #[derive(Debug, LogEvent)]
/// #[log_event(skip("Invoice"))]
/// enum School {
///     Dog(DomainEvent<DogEvent>),
///     Course(DomainEvent<CourseEvent, String>),
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ApplicationError> {
/// // What a subscription asks the store for: other records are not even read.
/// assert_eq!(School::topics(), ["Dog.Registered", "Course.Opened"]);
/// let app = Application::from_env("School").await?;
/// app.save(&mut Dog::register("Fido".into())).await?;
/// for notification in app.notification_log().select(1, 10).await? {
///     match app.decode::<School>(&notification)? {
///         Some(School::Dog(event)) => println!("dog {}", event.originator_id),
///         Some(School::Course(event)) => println!("course {}", event.originator_id),
///         None => {} // an invoice
///     }
/// }
/// # Ok(()) }
/// ```
#[proc_macro_derive(LogEvent, attributes(log_event))]
pub fn derive_log_event(input: TokenStream) -> TokenStream {
    expand::derive_log_event(input.into()).into()
}
