//! Parsing of the attribute arguments: `#[aggregate(...)]`, `#[event(...)]` and the
//! `#[event(...)]` helper of `#[derive(Event)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitInt, LitStr, Path, Token, Type, parenthesized};

use crate::ctxt::Ctxt;

/// One `key = value` or `key(...)` argument, or a bare literal or path.
enum Arg {
    Name(LitStr),
    Keyed(Ident, KeyedValue),
    Upcast(Ident, Vec<Type>),
    Path(Path),
}

#[allow(clippy::large_enum_variant)] // parsed once per attribute
enum KeyedValue {
    Str(LitStr),
    Int(LitInt),
    Type(Type),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Arg::Name(input.parse()?));
        }
        if input.peek(Token![crate]) && input.peek2(Token![=]) {
            let kw: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Keyed(Ident::new("crate", kw.span), KeyedValue::Str(input.parse()?)));
        }
        let path: Path = input.parse()?;
        if let Some(ident) = path.get_ident().filter(|_| input.peek(Token![=])) {
            let ident = ident.clone();
            input.parse::<Token![=]>()?;
            let value = if input.peek(LitStr) {
                KeyedValue::Str(input.parse()?)
            } else if input.peek(LitInt) {
                KeyedValue::Int(input.parse()?)
            } else {
                KeyedValue::Type(input.parse()?)
            };
            return Ok(Arg::Keyed(ident, value));
        }
        if path.is_ident("upcast") && input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let types = Punctuated::<Type, Token![,]>::parse_terminated(&content)?;
            let ident = path.get_ident().cloned().unwrap_or_else(|| Ident::new("upcast", Span::call_site()));
            return Ok(Arg::Upcast(ident, types.into_iter().collect()));
        }
        Ok(Arg::Path(path))
    }
}

fn parse_args(tokens: proc_macro2::TokenStream, cx: &Ctxt) -> Vec<Arg> {
    match syn::parse::Parser::parse2(Punctuated::<Arg, Token![,]>::parse_terminated, tokens) {
        Ok(args) => args.into_iter().collect(),
        Err(error) => {
            cx.syn_error(error);
            Vec::new()
        }
    }
}

/// A schema version with the upcasters from each older version, oldest first.
pub(crate) struct Versioning {
    pub(crate) version: u32,
    pub(crate) upcast: Vec<Type>,
}

impl Default for Versioning {
    /// Version 1, with nothing older to upcast.
    fn default() -> Self {
        Versioning { version: 1, upcast: Vec::new() }
    }
}

impl Versioning {
    fn set(cx: &Ctxt, version: Option<(u32, LitInt)>, upcast: Option<Vec<Type>>, what: &str) -> Self {
        let upcast = upcast.unwrap_or_default();
        let implied = u32::try_from(upcast.len()).map_or(u32::MAX, |n| n.saturating_add(1));
        match version {
            Some((version, lit)) if version != implied => {
                let upcasters = if upcast.is_empty() { "none".to_owned() } else { upcast.len().to_string() };
                cx.error_spanned_by(
                    lit,
                    format!(
                        "{what} version {version} needs one upcaster from each older version: \
                         write `upcast(V1, ...)` with {} type(s), oldest first (found {upcasters})",
                        version.saturating_sub(1)
                    ),
                );
                Versioning { version, upcast }
            }
            _ => Versioning { version: implied, upcast },
        }
    }
}

fn parse_version(cx: &Ctxt, lit: LitInt) -> Option<(u32, LitInt)> {
    match lit.base10_parse::<u32>() {
        Ok(0) | Err(_) => {
            cx.error_spanned_by(&lit, "a version is a whole number from 1, e.g. `version = 2`");
            None
        }
        Ok(version) => Some((version, lit)),
    }
}

fn duplicate(cx: &Ctxt, ident: &Ident) {
    cx.error_spanned_by(ident, format!("`{ident}` is given twice"));
}

/// Collects `version = N` and `upcast(...)`, which several attributes take.
#[derive(Default)]
struct VersionArgs {
    version: Option<(u32, LitInt)>,
    upcast: Option<Vec<Type>>,
}

impl VersionArgs {
    /// Takes `arg` if it is `version` or `upcast`; otherwise gives it back.
    fn take(&mut self, cx: &Ctxt, arg: Arg) -> Option<Arg> {
        match arg {
            Arg::Keyed(key, KeyedValue::Int(lit)) if key == "version" => {
                if self.version.is_some() {
                    duplicate(cx, &key);
                }
                self.version = parse_version(cx, lit);
                None
            }
            Arg::Upcast(key, types) => {
                if self.upcast.replace(types).is_some() {
                    duplicate(cx, &key);
                }
                None
            }
            other => Some(other),
        }
    }

    fn finish(self, cx: &Ctxt, what: &str) -> Versioning {
        Versioning::set(cx, self.version, self.upcast, what)
    }
}

/// Options of `#[aggregate(...)]` on a struct.
pub(crate) struct AggregateAttr {
    pub(crate) id: Option<Type>,
    pub(crate) name: Option<LitStr>,
    /// Python `eventsourcing`'s topic of the aggregate class, `module:Class`.
    pub(crate) python: Option<LitStr>,
    pub(crate) initial_version: Option<LitInt>,
    pub(crate) state: Versioning,
    pub(crate) krate: Option<Path>,
}

impl AggregateAttr {
    pub(crate) fn parse(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> Self {
        let mut attr = AggregateAttr {
            id: None,
            name: None,
            python: None,
            initial_version: None,
            state: Versioning::default(),
            krate: None,
        };
        let mut versions = VersionArgs::default();
        for arg in parse_args(tokens, cx) {
            let Some(arg) = versions.take(cx, arg) else { continue };
            match arg {
                Arg::Keyed(key, KeyedValue::Type(ty)) if key == "id" => {
                    if attr.id.replace(ty).is_some() {
                        duplicate(cx, &key);
                    }
                }
                Arg::Keyed(key, KeyedValue::Str(lit)) if key == "name" => {
                    if lit.value().is_empty() {
                        cx.error_spanned_by(&lit, "the aggregate name cannot be empty");
                    }
                    if attr.name.replace(lit).is_some() {
                        duplicate(cx, &key);
                    }
                }
                Arg::Keyed(key, KeyedValue::Str(lit)) if key == "python" => {
                    let topic = lit.value();
                    let valid = topic.split_once(':').is_some_and(|(module, class)| {
                        !module.is_empty() && !class.is_empty() && !class.contains(':') && !topic.contains(' ')
                    });
                    if !valid {
                        cx.error_spanned_by(
                            &lit,
                            "`python` takes the Python class's topic, `module:Class`, e.g. `python = \"dogschool:Dog\"`",
                        );
                    }
                    if attr.python.replace(lit).is_some() {
                        duplicate(cx, &key);
                    }
                }
                Arg::Keyed(key, KeyedValue::Int(lit)) if key == "initial_version" => {
                    if lit.base10_parse::<u64>().is_err() {
                        cx.error_spanned_by(&lit, "`initial_version` is a whole number, e.g. `initial_version = 0`");
                    }
                    if attr.initial_version.replace(lit).is_some() {
                        duplicate(cx, &key);
                    }
                }
                Arg::Keyed(key, value) if key == "crate" => match value {
                    KeyedValue::Str(lit) => match lit.parse::<Path>() {
                        Ok(path) => attr.krate = Some(path),
                        Err(_) => cx.error_spanned_by(&lit, "`crate` takes a path, e.g. `crate = \"::eventsourcing\"`"),
                    },
                    _ => {
                        cx.error_spanned_by(&key, "`crate` takes a path in quotes, e.g. `crate = \"::eventsourcing\"`");
                    }
                },
                Arg::Keyed(key, _) if ["id", "name", "python", "initial_version", "version"].iter().any(|k| key == k) => {
                    let expected = match key.to_string().as_str() {
                        "id" => "a type: `id = String`",
                        "name" => "a name in quotes: `name = \"Dog\"`",
                        "python" => "a topic in quotes: `python = \"dogschool:Dog\"`",
                        _ => "a whole number: `version = 2`",
                    };
                    cx.error_spanned_by(&key, format!("`{key}` takes {expected}"));
                }
                other => cx.error_spanned_by(
                    arg_tokens(&other),
                    "unknown `#[aggregate]` option: expected `id = Type`, `name = \"...\"`, `python = \"module:Class\"`, \
                     `version = N`, `upcast(OldType, ...)`, `initial_version = N` or `crate = \"path\"`",
                ),
            }
        }
        attr.state = versions.finish(cx, "state");
        attr
    }
}

/// Options of `#[aggregate(...)]` on an impl block.
pub(crate) struct ImplAttr {
    pub(crate) krate: Option<Path>,
}

impl ImplAttr {
    pub(crate) fn parse(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> Self {
        let mut krate = None;
        for arg in parse_args(tokens, cx) {
            match arg {
                Arg::Keyed(key, KeyedValue::Str(lit)) if key == "crate" => match lit.parse::<Path>() {
                    Ok(path) => krate = Some(path),
                    Err(_) => cx.error_spanned_by(&lit, "`crate` takes a path, e.g. `crate = \"::eventsourcing\"`"),
                },
                other => cx.error_spanned_by(
                    arg_tokens(&other),
                    "on an impl block `#[aggregate]` takes no options besides `crate = \"path\"`; \
                     put `id`, `name` and `version` on the struct",
                ),
            }
        }
        ImplAttr { krate }
    }
}

/// What an `#[event(...)]` on a command method says.
pub(crate) enum EventAttr {
    /// `#[event]`: the name comes from the method's name.
    Inferred,
    /// `#[event("Name", version = N, upcast(...))]`.
    Named { name: LitStr, versioning: Versioning },
    /// `#[event(SomeEvent)]`: an explicit `#[derive(Event)]` type.
    Explicit(Path),
}

impl EventAttr {
    pub(crate) fn parse(cx: &Ctxt, attr: &syn::Attribute) -> Self {
        let tokens = match &attr.meta {
            syn::Meta::Path(_) => return EventAttr::Inferred,
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(nv, "write `#[event(\"Name\")]`, `#[event(EventType)]` or `#[event]`");
                return EventAttr::Inferred;
            }
        };
        let mut args = parse_args(tokens, cx).into_iter();
        let result = match args.next() {
            None => return EventAttr::Inferred,
            Some(Arg::Name(name)) => {
                let mut versions = VersionArgs::default();
                for arg in args.by_ref() {
                    if let Some(other) = versions.take(cx, arg) {
                        cx.error_spanned_by(
                            arg_tokens(&other),
                            "unknown `#[event]` option: after the name, expected `version = N` or `upcast(OldType, ...)`",
                        );
                    }
                }
                let versioning = versions.finish(cx, &format!("event {}", name.value()));
                EventAttr::Named { name, versioning }
            }
            Some(Arg::Path(path)) => EventAttr::Explicit(path),
            Some(other) => {
                cx.error_spanned_by(
                    arg_tokens(&other),
                    "expected the event's name in quotes (`#[event(\"TrickAdded\")]`) or an event type (`#[event(TrickAdded)]`)",
                );
                return EventAttr::Inferred;
            }
        };
        for arg in args {
            cx.error_spanned_by(
                arg_tokens(&arg),
                "an explicit event type takes no options here: declare `name`, `version` and `upcast` \
                 on the type with `#[derive(Event)]`",
            );
        }
        result
    }
}

/// Options of the `#[event(...)]` helper attribute of `#[derive(Event)]`.
pub(crate) struct DeriveEventAttr {
    pub(crate) name: Option<LitStr>,
    pub(crate) versioning: Versioning,
    pub(crate) krate: Option<Path>,
}

impl DeriveEventAttr {
    pub(crate) fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = DeriveEventAttr { name: None, versioning: Versioning::default(), krate: None };
        let mut versions = VersionArgs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("event")) {
            let syn::Meta::List(list) = &attr.meta else {
                cx.error_spanned_by(attr, "write `#[event(name = \"...\", version = N, upcast(...))]`");
                continue;
            };
            for arg in parse_args(list.tokens.clone(), cx) {
                let Some(arg) = versions.take(cx, arg) else { continue };
                match arg {
                    Arg::Keyed(key, KeyedValue::Str(lit)) if key == "name" => {
                        if out.name.replace(lit).is_some() {
                            duplicate(cx, &key);
                        }
                    }
                    Arg::Name(lit) => {
                        if out.name.replace(lit.clone()).is_some() {
                            cx.error_spanned_by(lit, "the event name is given twice");
                        }
                    }
                    Arg::Keyed(key, KeyedValue::Str(lit)) if key == "crate" => match lit.parse::<Path>() {
                        Ok(path) => out.krate = Some(path),
                        Err(_) => cx.error_spanned_by(&lit, "`crate` takes a path, e.g. `crate = \"::eventsourcing\"`"),
                    },
                    other => cx.error_spanned_by(
                        arg_tokens(&other),
                        "unknown `#[event]` option: expected `name = \"...\"`, `version = N`, `upcast(OldType, ...)` or `crate = \"path\"`",
                    ),
                }
            }
        }
        let what = out.name.as_ref().map_or_else(|| "event".to_owned(), |n| format!("event {}", n.value()));
        out.versioning = versions.finish(cx, &what);
        out
    }
}

fn arg_tokens(arg: &Arg) -> proc_macro2::TokenStream {
    use quote::ToTokens;
    match arg {
        Arg::Name(lit) => lit.to_token_stream(),
        Arg::Keyed(ident, _) | Arg::Upcast(ident, _) => ident.to_token_stream(),
        Arg::Path(path) => path.to_token_stream(),
    }
}

/// `#[log_event(skip("Account", "Audit.Logged"), crate = "path")]` on a
/// `#[derive(LogEvent)]` enum.
pub(crate) struct LogEventAttr {
    pub(crate) skip: Vec<LitStr>,
    pub(crate) krate: Option<Path>,
}

impl LogEventAttr {
    pub(crate) fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = LogEventAttr { skip: Vec::new(), krate: None };
        for attr in attrs.iter().filter(|a| a.path().is_ident("log_event")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let names = syn::punctuated::Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                    for name in names {
                        if name.value().is_empty() {
                            cx.error_spanned_by(&name, "skip an aggregate by its name (\"Account\") or one topic (\"Account.Opened\"), not \"\"");
                        } else {
                            out.skip.push(name);
                        }
                    }
                    return Ok(());
                }
                if meta.path.is_ident("crate") {
                    let lit: LitStr = meta.value()?.parse()?;
                    match lit.parse::<Path>() {
                        Ok(path) => out.krate = Some(path),
                        Err(_) => cx.error_spanned_by(&lit, "`crate` takes a path, e.g. `crate = \"::eventsourcing\"`"),
                    }
                    return Ok(());
                }
                Err(meta.error(
                    "unknown `#[log_event]` option: expected `skip(\"Aggregate\", \"Aggregate.Event\", ...)` or `crate = \"path\"`",
                ))
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        out
    }
}
