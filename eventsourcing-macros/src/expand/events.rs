//! The event enum (`DogEvent`) and its `AggregateEvent` impl: names, versions,
//! serialisation of fields without a tag, decoding with upcasters, and replay dispatch.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Type};

use super::{private_path, serde_path, upcast};
use crate::ast::{AggregateImpl, Command, EventSource, Kind, Param, Role};

/// The stored type of an event field: the parameter's type, or the owned form of `&T`.
pub(crate) fn field_type(param: &Param) -> Option<TokenStream> {
    let Role::Field { borrowed } = &param.role else { return None };
    Some(match borrowed {
        None => {
            let ty = &param.ty;
            quote!(#ty)
        }
        Some(Type::Path(p)) if p.qself.is_none() && p.path.is_ident("str") => quote!(::std::string::String),
        Some(Type::Slice(slice)) => {
            let elem = &slice.elem;
            quote!(::std::vec::Vec<#elem>)
        }
        Some(inner) => quote!(<#inner as ::std::borrow::ToOwned>::Owned),
    })
}

fn fields(command: &Command) -> impl Iterator<Item = (&Ident, TokenStream)> {
    command.params.iter().filter_map(|p| field_type(p).map(|ty| (&p.ident, ty)))
}

/// serde's attributes for an event's field: (de)serialised through `__private`'s functions,
/// which require `EventField` (one clear error for a type without serde's derives), spanned
/// at the parameter's type; an `Option` missing from a stored event reads as `None`, as it
/// does without them.
fn field_serde(krate: &TokenStream, param: &Param, serialize: bool) -> TokenStream {
    let span = syn::spanned::Spanned::span(&param.ty);
    let de = syn::LitStr::new(&private_path(krate, "deserialize_field"), span);
    let ser = syn::LitStr::new(&private_path(krate, "serialize_field"), span);
    let optional = matches!(&param.ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|last| last.ident == "Option"));
    let default = optional.then(|| quote!(, default));
    if serialize {
        quote_spanned!(span=> #[serde(serialize_with = #ser, deserialize_with = #de #default)])
    } else {
        quote_spanned!(span=> #[serde(deserialize_with = #de #default)])
    }
}

/// The event's fields, each with its name and its definition with serde's attributes
/// (`#[serde(..)] name: Type,`); `serialize` for a type that also serialises them.
fn field_defs<'c>(
    krate: &'c TokenStream,
    command: &'c Command,
    serialize: bool,
) -> impl Iterator<Item = (&'c Ident, TokenStream)> + 'c {
    command.params.iter().filter_map(move |p| {
        let ty = field_type(p)?;
        let ident = &p.ident;
        let attrs = field_serde(krate, p, serialize);
        Some((ident, quote!(#attrs #ident: #ty,)))
    })
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map_or(s.clone(), str::to_owned)
}

/// The aggregate's Python topic, and the fields of each event that Python's record format
/// writes with type tags.
fn python_items(krate: &TokenStream, aggregate: &Ident, commands: &[Command]) -> TokenStream {
    let arms = commands.iter().map(|c| {
        let name = name_expr(krate, c);
        match &c.event.source {
            EventSource::Generated { .. } => {
                let shapes = c.params.iter().filter(|p| matches!(p.role, Role::Field { .. })).filter_map(|p| {
                    let shape = super::python_shape(krate, &p.ty)?;
                    let field = unraw(&p.ident);
                    Some(quote!((#field, #shape)))
                });
                quote!(if __es_name == #name { return &[#(#shapes),*]; })
            }
            EventSource::Explicit(path) => {
                quote!(if __es_name == #name { return <#path as #krate::domain::Event>::__PYTHON_FIELDS; })
            }
        }
    });
    quote! {
        const PYTHON_TOPIC: ::core::option::Option<&'static str> =
            <#aggregate as #krate::domain::Aggregate>::PYTHON_TOPIC;

        fn __python_fields(__es_name: &str) -> &'static [(&'static str, #krate::persistence::python::PyShape)] {
            #(#arms)*
            &[]
        }
    }
}

/// The name of the event as a constant expression.
pub(crate) fn name_expr(krate: &TokenStream, command: &Command) -> TokenStream {
    match &command.event.source {
        EventSource::Generated { name, .. } => quote!(#name),
        EventSource::Explicit(path) => quote!(<#path as #krate::domain::Event>::NAME),
    }
}

/// The pattern that binds an event's fields by name: `DogEvent::Variant { a, b }`.
fn pattern(event: &Ident, command: &Command) -> TokenStream {
    let variant = &command.event.variant;
    let names = fields(command).map(|(ident, _)| ident);
    match &command.event.source {
        EventSource::Generated { .. } => quote!(#event::#variant { #(#names),* }),
        EventSource::Explicit(path) => quote!(#event::#variant(#path { #(#names),* })),
    }
}

pub(crate) fn expand(krate: &TokenStream, model: &AggregateImpl) -> TokenStream {
    let aggregate = &model.self_ident;
    let event = format_ident!("{}Event", aggregate);
    let private = quote!(#krate::__private);
    let serde = serde_path(krate);
    let commands = &model.commands;

    let variants = commands.iter().map(|c| variant(krate, aggregate, c));
    let infos = commands.iter().map(|c| {
        let name = name_expr(krate, c);
        let creates = c.kind == Kind::Created;
        let version = match &c.event.source {
            EventSource::Generated { versioning, .. } => {
                let v = versioning.version;
                quote!(#v)
            }
            EventSource::Explicit(path) => quote!(<#path as #krate::domain::Event>::VERSION),
        };
        quote!(#krate::domain::EventInfo { name: #name, version: #version, creates: #creates })
    });
    let info_arms = commands.iter().enumerate().map(|(index, c)| {
        let variant = &c.event.variant;
        quote!(Self::#variant { .. } => &<Self as #krate::domain::AggregateEvent>::EVENTS[#index],)
    });
    let serialize_arms = commands.iter().map(|c| serialize_arm(krate, c));
    let python = python_items(krate, aggregate, commands);
    let deserialize_branches = commands.iter().map(|c| deserialize_branch(krate, &serde, c));
    let create_arms = commands.iter().filter(|c| c.kind == Kind::Created).map(|c| replay_arm(krate, &event, c));
    let apply_arms = commands.iter().filter(|c| c.kind == Kind::Mutating).map(|c| replay_arm(krate, &event, c));
    let unique_names = unique_names_assertion(krate, aggregate, commands);
    let doc =
        format!("The events of [`{aggregate}`], one variant per `#[event]` method (generated by `#[aggregate]`).");

    quote! {
        #[doc = #doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #private::serde::Serialize, #private::serde::Deserialize)]
        #[serde(crate = #serde)]
        // Public whatever the aggregate's visibility, so that it can be `Aggregate::Event`
        // of a public aggregate; its fields may then name less visible types.
        #[allow(private_interfaces, unreachable_pub)]
        pub enum #event {
            #(#variants)*
        }

        #unique_names

        #[automatically_derived]
        impl #krate::domain::AggregateEvent for #event {
            const AGGREGATE: &'static str = <#aggregate as #krate::domain::Aggregate>::NAME;

            const EVENTS: &'static [#krate::domain::EventInfo] = &[#(#infos),*];

            fn info(&self) -> &'static #krate::domain::EventInfo {
                match self {
                    #(#info_arms)*
                }
            }

            fn serialize_payload<__EsS: #private::serde::Serializer>(
                &self,
                __es_serializer: __EsS,
            ) -> ::core::result::Result<__EsS::Ok, __EsS::Error> {
                match self {
                    #(#serialize_arms)*
                }
            }

            fn deserialize_payload<'de, __EsD: #private::serde::Deserializer<'de>>(
                __es_name: &str,
                __es_version: u32,
                __es_deserializer: __EsD,
            ) -> ::core::result::Result<Self, __EsD::Error> {
                #(#deserialize_branches)*
                ::core::result::Result::Err(#private::unknown_event(
                    <#aggregate as #krate::domain::Aggregate>::NAME,
                    __es_name,
                ))
            }

            #python

        }

        #[automatically_derived]
        impl #private::AggregateImpl for #aggregate {
            type Event = #event;
            type Id = <Self as #krate::domain::Aggregate>::Id;

            fn __es_replay_created(
                __es_event: #event,
                __es_id: &<Self as #krate::domain::Aggregate>::Id,
                __es_timestamp: #private::chrono::DateTime<#private::chrono::Utc>,
            ) -> ::core::result::Result<Self, #private::ApplyError> {
                #[allow(unreachable_patterns)]
                match __es_event {
                    #(#create_arms)*
                    _ => ::core::result::Result::Err(#private::ApplyError::WrongKind),
                }
            }

            fn __es_replay(
                &mut self,
                __es_event: #event,
                __es_timestamp: #private::chrono::DateTime<#private::chrono::Utc>,
            ) -> ::core::result::Result<(), #private::ApplyError> {
                #[allow(unreachable_patterns)]
                match __es_event {
                    #(#apply_arms)*
                    _ => ::core::result::Result::Err(#private::ApplyError::WrongKind),
                }
            }
        }
    }
}

fn variant(krate: &TokenStream, aggregate: &Ident, command: &Command) -> TokenStream {
    let variant = &command.event.variant;
    let method = &command.original.sig.ident;
    let doc = format!("Recorded by `{aggregate}::{method}`.");
    match &command.event.source {
        EventSource::Generated { .. } => {
            let fields = field_defs(krate, command, true).map(|(ident, def)| {
                let doc = format!("The `{}` argument of `{aggregate}::{method}`.", unraw(ident));
                quote!(#[doc = #doc] #def)
            });
            quote!(#[doc = #doc] #variant { #(#fields)* },)
        }
        EventSource::Explicit(path) => quote!(#[doc = #doc] #variant(#path),),
    }
}

fn serialize_arm(krate: &TokenStream, command: &Command) -> TokenStream {
    let private = quote!(#krate::__private);
    let variant = &command.event.variant;
    match &command.event.source {
        EventSource::Generated { name, .. } => {
            let names: Vec<&Ident> = fields(command).map(|(ident, _)| ident).collect();
            let keys = names.iter().map(|i| unraw(i));
            let len = names.len();
            quote! {
                Self::#variant { #(#names),* } => {
                    let mut __es_struct = #private::serde::Serializer::serialize_struct(__es_serializer, #name, #len)?;
                    #(#private::serde::ser::SerializeStruct::serialize_field(&mut __es_struct, #keys, &#private::Field(#names))?;)*
                    #private::serde::ser::SerializeStruct::end(__es_struct)
                }
            }
        }
        EventSource::Explicit(_) => quote! {
            Self::#variant(__es_event) => #private::serde::Serialize::serialize(__es_event, __es_serializer),
        },
    }
}

fn deserialize_branch(krate: &TokenStream, serde: &str, command: &Command) -> TokenStream {
    let private = quote!(#krate::__private);
    let variant = &command.event.variant;
    let name = name_expr(krate, command);
    match &command.event.source {
        EventSource::Generated { versioning, .. } => {
            let current = versioning.version;
            let field_defs = field_defs(krate, command, false).map(|(_, def)| def);
            let names: Vec<&Ident> = fields(command).map(|(ident, _)| ident).collect();
            let deserializer = quote!(__es_deserializer);
            let old = upcast::arms(krate, &versioning.upcast, &quote!(Self), &deserializer, &|value| {
                quote! {{
                    let __es_event: Self = #value;
                    if ::core::matches!(__es_event, Self::#variant { .. }) {
                        ::core::result::Result::Ok(__es_event)
                    } else {
                        ::core::result::Result::Err(<__EsD::Error as #private::serde::de::Error>::custom(
                            ::core::format_args!(
                                "the upcaster of {} produced a {} event",
                                #name,
                                #krate::domain::AggregateEvent::name(&__es_event),
                            ),
                        ))
                    }
                }}
            });
            quote! {
                if __es_name == #name {
                    #[derive(#private::serde::Deserialize)]
                    #[serde(crate = #serde)]
                    struct __EsFields { #(#field_defs)* }
                    return match __es_version {
                        #current => {
                            let __EsFields { #(#names),* } =
                                <__EsFields as #private::serde::Deserialize>::deserialize(__es_deserializer)?;
                            ::core::result::Result::Ok(Self::#variant { #(#names),* })
                        }
                        #(#old)*
                        _ => ::core::result::Result::Err(#private::unknown_version(#name, __es_version, #current)),
                    };
                }
            }
        }
        EventSource::Explicit(path) => quote! {
            if __es_name == #name {
                return <#path as #krate::domain::Event>::deserialize_versioned(__es_version, __es_deserializer)
                    .map(Self::#variant);
            }
        },
    }
}

/// Replays one event by calling the command's body with the stored fields.
fn replay_arm(krate: &TokenStream, event: &Ident, command: &Command) -> TokenStream {
    let private = quote!(#krate::__private);
    let pattern = pattern(event, command);
    let body = super::commands::body_ident(command);
    let args = command.params.iter().map(|p| {
        let ident = &p.ident;
        match &p.role {
            Role::Field { borrowed: None } => quote!(#ident),
            Role::Field { borrowed: Some(inner) } => quote!(::core::borrow::Borrow::<#inner>::borrow(&#ident)),
            Role::Timestamp { optional: false } => quote!(__es_timestamp),
            Role::Timestamp { optional: true } => quote!(::core::option::Option::Some(__es_timestamp)),
            Role::Id => quote!(::core::clone::Clone::clone(__es_id)),
        }
    });
    let receiver = (command.kind == Kind::Mutating).then(|| quote!(self,));
    let call = quote!(#private::applying(|| Self::#body(#receiver #(#args),*)));
    let result = match (command.kind, command.fallible) {
        (Kind::Created, false) => quote!(::core::result::Result::Ok(#call)),
        (Kind::Mutating, false) => quote!({ #call; ::core::result::Result::Ok(()) }),
        // Spanned at the return type: its error type must be an error, or at least `Debug`.
        // The two traits pick by autoref: an `Error` keeps its source chain, anything else
        // is wrapped and shown through `Debug`.
        (_, true) => {
            let span = syn::spanned::Spanned::span(&command.original.sig.output);
            quote_spanned!(span=> #call.map_err(|__es_error| {
                #[allow(unused_imports)]
                use #private::{RejectBoxed as _, RejectDebug as _, RejectError as _};
                (&&&#private::Rejected::new(__es_error)).reject()
            }))
        }
    };
    quote!(#pattern => #result,)
}

/// With explicit event types, names are only known to the compiler: assert they differ.
fn unique_names_assertion(krate: &TokenStream, aggregate: &Ident, commands: &[Command]) -> Option<TokenStream> {
    if !commands.iter().any(|c| matches!(c.event.source, EventSource::Explicit(_))) {
        return None;
    }
    let names = commands.iter().map(|c| name_expr(krate, c));
    let listed: Vec<String> = commands
        .iter()
        .map(|c| match &c.event.source {
            EventSource::Generated { name, .. } => format!("{name:?}"),
            EventSource::Explicit(path) => format!("the name of `{}`", quote!(#path).to_string().replace(' ', "")),
        })
        .collect();
    let message = format!(
        "two events of {aggregate} have the same name; each needs its own. The names are: {}",
        listed.join(", ")
    );
    Some(quote_spanned! {Span::call_site()=>
        const _: () = {
            let __es_names: &[&str] = &[#(#names),*];
            let mut __es_i = 0;
            while __es_i < __es_names.len() {
                let mut __es_j = __es_i + 1;
                while __es_j < __es_names.len() {
                    ::core::assert!(!#krate::__private::str_eq(__es_names[__es_i], __es_names[__es_j]), #message);
                    __es_j += 1;
                }
                __es_i += 1;
            }
        };
    })
}

/// A stand-in event type for an aggregate whose impl block has errors, so that the
/// struct's `Aggregate` impl still compiles and only the real errors are reported.
pub(crate) fn stub(krate: &TokenStream, aggregate: &Ident) -> TokenStream {
    let event = format_ident!("{}Event", aggregate);
    let private = quote!(#krate::__private);
    quote! {
        #[derive(::core::fmt::Debug, ::core::clone::Clone)]
        #[doc(hidden)]
        pub enum #event {}

        impl #krate::domain::AggregateEvent for #event {
            const AGGREGATE: &'static str = ::core::stringify!(#aggregate);
            const EVENTS: &'static [#krate::domain::EventInfo] = &[];
            fn info(&self) -> &'static #krate::domain::EventInfo { match *self {} }
            fn serialize_payload<__EsS: #private::serde::Serializer>(&self, _: __EsS)
                -> ::core::result::Result<__EsS::Ok, __EsS::Error> { match *self {} }
            fn deserialize_payload<'de, __EsD: #private::serde::Deserializer<'de>>(name: &str, _: u32, _: __EsD)
                -> ::core::result::Result<Self, __EsD::Error> {
                ::core::result::Result::Err(#private::unknown_event(::core::stringify!(#aggregate), name))
            }
        }

        impl #private::AggregateImpl for #aggregate {
            type Event = #event;
            type Id = <Self as #krate::domain::Aggregate>::Id;

            fn __es_replay_created(
                event: #event,
                _: &<Self as #krate::domain::Aggregate>::Id,
                _: #private::chrono::DateTime<#private::chrono::Utc>,
            ) -> ::core::result::Result<Self, #private::ApplyError> { match event {} }
            fn __es_replay(&mut self, event: #event, _: #private::chrono::DateTime<#private::chrono::Utc>)
                -> ::core::result::Result<(), #private::ApplyError> { match event {} }
        }
    }
}
