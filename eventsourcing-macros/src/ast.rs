//! The typed model of an `#[aggregate]` impl block, parsed from the user's tokens.
//!
//! Parsing records every shape error (with its span) in the [`Ctxt`] and keeps going, so
//! that one build reports every misuse.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, Path, PathArguments, ReturnType, Type,
};

use crate::attr::{EventAttr, Versioning};
use crate::ctxt::Ctxt;

/// An inherent `#[aggregate] impl Dog { ... }` block.
pub(crate) struct AggregateImpl {
    /// The aggregate's type name (`Dog`).
    pub(crate) self_ident: Ident,
    /// The block with the `#[event]` methods taken out.
    pub(crate) rest: ItemImpl,
    /// The `#[event]` methods, in order.
    pub(crate) commands: Vec<Command>,
    /// The `create_id` function, if the block has one.
    pub(crate) create_id: Option<CreateId>,
    /// Whether some `#[event]` function without `self` was found, even one with errors.
    pub(crate) has_creation_attempt: bool,
}

/// A method marked `#[event]`.
pub(crate) struct Command {
    pub(crate) event: EventDef,
    pub(crate) kind: Kind,
    /// Whether the body returns a `Result`.
    pub(crate) fallible: bool,
    pub(crate) params: Vec<Param>,
    /// The method as written, without its `#[event]` attribute.
    pub(crate) original: ImplItemFn,
}

/// Whether an event creates the aggregate or changes an existing one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Created,
    Mutating,
}

/// The event a command records.
pub(crate) struct EventDef {
    /// The enum variant.
    pub(crate) variant: Ident,
    pub(crate) source: EventSource,
    /// Where to point errors about the event.
    pub(crate) span: Span,
}

pub(crate) enum EventSource {
    /// The event's fields are the method's parameters.
    Generated { name: String, versioning: Versioning },
    /// A `#[derive(Event)]` struct whose fields match the method's parameters.
    Explicit(Path),
}

/// A parameter of a command method.
pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) role: Role,
}

#[allow(clippy::large_enum_variant)] // a few per method, built once per expansion
pub(crate) enum Role {
    /// An event field: `Owned` types are stored as they are, `&T` as `T`'s owned form.
    Field { borrowed: Option<Type> },
    /// `timestamp`: sets the event's timestamp instead of being a field.
    Timestamp { optional: bool },
    /// `id` of a creation function: the new aggregate's id.
    Id,
}

/// `fn create_id(...)`: derives the id of a new aggregate from its creation arguments.
pub(crate) struct CreateId {
    pub(crate) params: Vec<(Ident, bool)>,
}

impl AggregateImpl {
    /// Parses the block; `None` if it is not an inherent impl of a plain named type.
    pub(crate) fn from_syn(cx: &Ctxt, mut item: ItemImpl) -> (Option<Self>, ItemImpl) {
        let self_ident = aggregate_ident(cx, &item);
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(&item.generics, "generic aggregates are not supported: remove the type parameters");
        }
        let mut commands = Vec::new();
        let mut create_id = None;
        let mut has_creation_attempt = false;
        let mut rest = Vec::new();
        // Every item in order, `#[event]` attributes removed: what is emitted on errors.
        let mut all = Vec::new();
        for impl_item in std::mem::take(&mut item.items) {
            match impl_item {
                ImplItem::Fn(mut method) => {
                    let attrs = take_event_attrs(&mut method);
                    all.push(ImplItem::Fn(method.clone()));
                    if method.sig.ident == "create_id" {
                        create_id = Some(CreateId::parse(cx, &method));
                    }
                    match attrs.as_slice() {
                        [] => rest.push(ImplItem::Fn(method)),
                        [attr, more @ ..] => {
                            // A function without `self`, or a method returning `Self` (which is
                            // reported as a creation event with a receiver to remove).
                            let returns_self = self_ident.as_ref().is_some_and(|ident| {
                                matches!(returns(&method.sig.output, ident), Returns::SelfType | Returns::ResultOfSelf)
                            });
                            has_creation_attempt |=
                                returns_self || !matches!(method.sig.inputs.first(), Some(FnArg::Receiver(_)));
                            for extra in more {
                                cx.error_spanned_by(extra, "a method records one event: remove the extra `#[event]`");
                            }
                            if let Some(self_ident) = &self_ident {
                                commands.push(Command::parse(cx, attr, method, self_ident));
                            }
                        }
                    }
                }
                other => {
                    all.push(other.clone());
                    if let ImplItem::Macro(m) = &other
                        && m.attrs.iter().any(|a| a.path().is_ident("event"))
                    {
                        cx.error_spanned_by(m, "`#[event]` goes on a method");
                    }
                    rest.push(other);
                }
            }
        }
        let commands: Vec<Command> = commands.into_iter().flatten().collect();
        let mut cleaned = item.clone();
        cleaned.items = all;
        item.items = rest;
        let model = self_ident.map(|self_ident| AggregateImpl {
            self_ident,
            rest: item,
            commands,
            create_id,
            has_creation_attempt,
        });
        (model, cleaned)
    }
}

/// The `Dog` of `impl Dog`, or an error.
pub(crate) fn aggregate_ident(cx: &Ctxt, item: &ItemImpl) -> Option<Ident> {
    if let Type::Path(path) = &*item.self_ty
        && path.qself.is_none()
        && let Some(last) = path.path.segments.last()
    {
        if !last.arguments.is_empty() {
            cx.error_spanned_by(&last.arguments, "generic aggregates are not supported: remove the type arguments");
        }
        return Some(last.ident.clone());
    }
    cx.error_spanned_by(&item.self_ty, "`#[aggregate]` goes on `impl YourStruct { ... }`");
    None
}

fn take_event_attrs(method: &mut ImplItemFn) -> Vec<syn::Attribute> {
    let (events, others) = std::mem::take(&mut method.attrs).into_iter().partition(|a| a.path().is_ident("event"));
    method.attrs = others;
    events
}

impl Command {
    fn parse(cx: &Ctxt, attr: &syn::Attribute, original: ImplItemFn, self_ident: &Ident) -> Option<Command> {
        let sig = &original.sig;
        let mut ok = true;
        let mut fail = |tokens: &dyn quote::ToTokens, message: &str| {
            cx.error_spanned_by(tokens.to_token_stream(), message);
            ok = false;
        };
        if let Some(cfg) = original.attrs.iter().find(|a| a.path().is_ident("cfg")) {
            fail(
                cfg,
                "an event method cannot be conditional: the aggregate's events must be the same in every build; \
                 put the `#[cfg]` on an ordinary method that calls it",
            );
        }
        if let Some(asyncness) = &sig.asyncness {
            fail(asyncness, "an event method cannot be `async`: commands only change the aggregate in memory");
        }
        if let Some(constness) = &sig.constness {
            fail(constness, "an event method cannot be `const`");
        }
        if let Some(unsafety) = &sig.unsafety {
            fail(unsafety, "an event method cannot be `unsafe`");
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            fail(
                &sig.generics,
                "an event method cannot be generic: its parameters are stored, so give them concrete types",
            );
        }
        if let Some(variadic) = &sig.variadic {
            fail(variadic, "an event method cannot be variadic");
        }
        let kind = match sig.inputs.first() {
            Some(FnArg::Receiver(receiver)) => {
                if receiver.reference.is_none() {
                    fail(
                        receiver,
                        "an event method takes `&mut self`, not `self` by value: the aggregate must live on to record the event",
                    );
                } else if receiver.mutability.is_none() {
                    fail(receiver, "an event method changes the aggregate: take `&mut self` instead of `&self`");
                } else if receiver.colon_token.is_some() {
                    fail(receiver, "an event method takes a plain `&mut self`");
                }
                Kind::Mutating
            }
            _ => Kind::Created,
        };
        let fallible = match (kind, returns(&sig.output, self_ident)) {
            (Kind::Created, Returns::SelfType) | (Kind::Mutating, Returns::Unit) => false,
            (Kind::Created, Returns::ResultOfSelf) | (Kind::Mutating, Returns::ResultOfUnit) => true,
            (Kind::Created, _) => {
                fail(
                    &sig.output,
                    "a creation event (an `#[event]` function without `self`) returns `Self` or `Result<Self, E>`; \
                     to change an existing aggregate take `&mut self`",
                );
                false
            }
            (Kind::Mutating, Returns::SelfType | Returns::ResultOfSelf) => {
                let receiver = sig
                    .inputs
                    .first()
                    .map_or_else(|| quote::ToTokens::to_token_stream(&sig.ident), quote::ToTokens::to_token_stream);
                fail(
                    &receiver,
                    &format!(
                        "`{}` returns `Self`, so it records the event that creates the aggregate: a creation \
                         event takes no `self`; remove `&mut self`",
                        sig.ident
                    ),
                );
                false
            }
            (Kind::Mutating, _) => {
                fail(
                    &sig.output,
                    "an `#[event]` method returns `()` or `Result<(), E>`: its body applies the event; \
                     return values go in an ordinary method that calls it",
                );
                false
            }
        };
        let params = sig.inputs.iter().filter_map(|input| match input {
            FnArg::Typed(typed) => Param::parse(cx, kind, typed, self_ident),
            FnArg::Receiver(receiver) => {
                if kind == Kind::Created {
                    cx.error_spanned_by(receiver, "`self` must come first");
                }
                None
            }
        });
        let params: Vec<Param> = params.collect();
        let event = EventDef::parse(cx, attr, &sig.ident);
        let typed = sig.inputs.iter().filter(|i| matches!(i, FnArg::Typed(_))).count();
        (ok && params.len() == typed).then_some(())?;
        Some(Command { event: event?, kind, fallible, params, original })
    }
}

enum Returns {
    Unit,
    SelfType,
    ResultOfUnit,
    ResultOfSelf,
    Other,
}

fn is_self(path: &syn::TypePath, self_ident: &Ident) -> bool {
    path.qself.is_none() && (path.path.is_ident("Self") || path.path.is_ident(self_ident))
}

fn returns(output: &ReturnType, self_ident: &Ident) -> Returns {
    let ty = match output {
        ReturnType::Default => return Returns::Unit,
        ReturnType::Type(_, ty) => &**ty,
    };
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => Returns::Unit,
        Type::Path(p) if is_self(p, self_ident) => Returns::SelfType,
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else { return Returns::Other };
            if last.ident != "Result" {
                return Returns::Other;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else { return Returns::Other };
            match args.args.first() {
                Some(GenericArgument::Type(Type::Tuple(t))) if t.elems.is_empty() => Returns::ResultOfUnit,
                Some(GenericArgument::Type(Type::Path(p))) if is_self(p, self_ident) => Returns::ResultOfSelf,
                _ => Returns::Other,
            }
        }
        _ => Returns::Other,
    }
}

impl EventDef {
    fn parse(cx: &Ctxt, attr: &syn::Attribute, method: &Ident) -> Option<EventDef> {
        match EventAttr::parse(cx, attr) {
            EventAttr::Inferred => {
                let name = pascal_case(&method.unraw_string());
                if syn::parse_str::<Ident>(&name).is_err() || name.starts_with("r#") {
                    cx.error_spanned_by(
                        method,
                        format!("cannot take an event name from `{method}`: write one, like `#[event(\"Name\")]`"),
                    );
                    return None;
                }
                Some(EventDef {
                    variant: Ident::new(&name, method.span()),
                    source: EventSource::Generated { name, versioning: Versioning::default() },
                    span: method.span(),
                })
            }
            EventAttr::Named { name, versioning } => {
                let variant = event_ident(cx, &name)?;
                Some(EventDef {
                    variant,
                    source: EventSource::Generated { name: name.value(), versioning },
                    span: name.span(),
                })
            }
            EventAttr::Explicit(path) => {
                let variant = path.segments.last()?.ident.clone();
                Some(EventDef { variant, span: path.span(), source: EventSource::Explicit(path) })
            }
        }
    }

    /// The stable name, when the macro knows it (explicit types declare theirs).
    pub(crate) fn literal_name(&self) -> Option<&str> {
        match &self.source {
            EventSource::Generated { name, .. } => Some(name),
            EventSource::Explicit(_) => None,
        }
    }
}

fn event_ident(cx: &Ctxt, name: &LitStr) -> Option<Ident> {
    let value = name.value();
    if value.is_empty() {
        cx.error_spanned_by(
            name,
            "an event name cannot be empty: write `#[event(\"TrickAdded\")]`, or `#[event]` to take the method's name",
        );
        return None;
    }
    if let Ok(ident) = syn::parse_str::<Ident>(&value)
        && !value.starts_with("r#")
    {
        return Some(Ident::new(&ident.to_string(), name.span()));
    }
    cx.error_spanned_by(
        name,
        format!(
            "the event name {value:?} is not a Rust identifier: it also names the event's enum variant, \
             so write a name like \"TrickAdded\""
        ),
    );
    None
}

trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for Ident {
    fn unraw_string(&self) -> String {
        let s = self.to_string();
        s.strip_prefix("r#").map_or(s.clone(), str::to_owned)
    }
}

/// `add_trick` → `AddTrick`, `_picked_up` → `PickedUp` (Python's rule: each part capitalised).
pub(crate) fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect()
            })
        })
        .collect()
}

impl Param {
    fn parse(cx: &Ctxt, kind: Kind, typed: &syn::PatType, self_ident: &Ident) -> Option<Param> {
        let Pat::Ident(pat) = &*typed.pat else {
            cx.error_spanned_by(&typed.pat, "an event parameter needs a plain name: it becomes a field of the event");
            return None;
        };
        if pat.by_ref.is_some() || pat.subpat.is_some() {
            cx.error_spanned_by(&typed.pat, "an event parameter needs a plain name: it becomes a field of the event");
            return None;
        }
        let ident = pat.ident.clone();
        let mut ty = (*typed.ty).clone();
        // In the event enum, `Self` would mean the enum: name the aggregate instead.
        syn::visit_mut::VisitMut::visit_type_mut(&mut ReplaceSelf(self_ident), &mut ty);
        let role = if ident == "timestamp" {
            Role::Timestamp { optional: is_option(&ty) }
        } else if ident == "id" && kind == Kind::Created {
            Role::Id
        } else {
            match &ty {
                Type::Reference(reference) => {
                    if let Some(m) = &reference.mutability {
                        cx.error_spanned_by(
                            m,
                            "an event cannot store a `&mut` parameter: take the value, or `&T` to store its owned form",
                        );
                        return None;
                    }
                    if let Some(lifetime) = &reference.lifetime
                        && lifetime.ident != "_"
                    {
                        cx.error_spanned_by(lifetime, "write the reference without a lifetime, e.g. `&str`");
                        return None;
                    }
                    if !plain_type(cx, &reference.elem) {
                        return None;
                    }
                    Role::Field { borrowed: Some((*reference.elem).clone()) }
                }
                other => {
                    if !plain_type(cx, other) {
                        return None;
                    }
                    Role::Field { borrowed: None }
                }
            }
        };
        Some(Param { ident, ty, role })
    }
}

struct ReplaceSelf<'a>(&'a Ident);

impl syn::visit_mut::VisitMut for ReplaceSelf<'_> {
    fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, path);
        if path.qself.is_none()
            && let Some(first) = path.path.segments.first_mut()
            && first.ident == "Self"
        {
            first.ident = Ident::new(&self.0.to_string(), first.ident.span());
        }
    }
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// Rejects `impl Trait` and references nested inside a parameter type.
fn plain_type(cx: &Ctxt, ty: &Type) -> bool {
    struct Finder<'a> {
        cx: &'a Ctxt,
        ok: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
            self.cx.error_spanned_by(
                t,
                "an event parameter cannot be `impl Trait`: its value is stored, so give it a concrete type",
            );
            self.ok = false;
        }
        fn visit_type_reference(&mut self, t: &'ast syn::TypeReference) {
            self.cx.error_spanned_by(
                t,
                "an event parameter may borrow only at the top level (`&str`, `&[T]`, `&T`): use an owned type here",
            );
            self.ok = false;
        }
    }
    let mut finder = Finder { cx, ok: true };
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.ok
}

impl CreateId {
    fn parse(cx: &Ctxt, method: &ImplItemFn) -> CreateId {
        let mut params = Vec::new();
        for input in &method.sig.inputs {
            match input {
                FnArg::Receiver(r) => cx.error_spanned_by(r, "`create_id` takes creation arguments, not `self`"),
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) => params.push((pat.ident.clone(), matches!(&*typed.ty, Type::Reference(_)))),
                    other => cx
                        .error_spanned_by(other, "`create_id` parameters need plain names matching creation arguments"),
                },
            }
        }
        CreateId { params }
    }
}

#[cfg(test)]
mod tests {
    use super::pascal_case;

    #[test]
    fn pascal_case_follows_python_rule() {
        assert_eq!(pascal_case("add_trick"), "AddTrick");
        assert_eq!(pascal_case("_picked_up"), "PickedUp");
        assert_eq!(pascal_case("register"), "Register");
        assert_eq!(pascal_case("set_HTTP_port"), "SetHttpPort");
    }
}
