//! `#[aggregate]` on the struct: the hidden bookkeeping field and the `Aggregate` impl.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Fields, Ident, ItemStruct, LitStr, Token};

use super::{FIELD, krate, serde_path, upcast};
use crate::attr::AggregateAttr;
use crate::ctxt::{Ctxt, to_compile_errors};

pub(crate) fn expand(attr: TokenStream, mut item: ItemStruct) -> TokenStream {
    let cx = Ctxt::default();
    let attr = AggregateAttr::parse(&cx, attr);
    check_shape(&cx, &item);
    if let Err(error) = cx.check() {
        let errors = to_compile_errors(&error);
        return quote!(#errors #item);
    }

    let krate = krate(attr.krate);
    let ident = item.ident.clone();
    // The event enum as the `impl` block's half names it, spanned at the attribute: if that
    // half is missing, each use is the same error, at the same place.
    let here = Ident::new(&ident.to_string(), Span::call_site());
    let event = quote!(<#here as #krate::__private::AggregateImpl>::Event);
    let id = attr.id.map_or_else(|| quote!(#krate::__private::uuid::Uuid), |ty| quote!(#ty));
    let derives = derives(&item);
    let derive_order = derive_order(&krate, &here, &derives);
    add_bookkeeping(&mut item, &krate, &event, &id, &derives);
    let deserializes = derives.deserialize;
    let field = Ident::new(FIELD, Span::call_site());

    let name = attr.name.map_or_else(|| ident.to_string(), |n| n.value());
    let (python_topic, python_fields) = python(&krate, attr.python.as_ref(), &item);
    let initial_version = attr.initial_version.map_or_else(|| quote!(1), |v| quote!(#v));
    let state_version = attr.state.version;
    let deserializer = quote!(__es_deserializer);
    let arms = upcast::arms(
        &krate,
        &attr.state.upcast,
        &quote!(Self),
        &deserializer,
        &|value| quote!(::core::result::Result::Ok(#value)),
    );
    let restorable = deserializes.any().then(|| {
        let cfg = deserializes.cfg();
        quote! {
            #cfg
            const __RESTORABLE: bool = true;

            #cfg
            fn __deserialize_state<'de, __EsD: #krate::__private::serde::Deserializer<'de>>(
                #deserializer: __EsD,
            ) -> ::core::option::Option<::core::result::Result<Self, __EsD::Error>> {
                ::core::option::Option::Some(<Self as #krate::__private::serde::Deserialize>::deserialize(#deserializer))
            }
        }
    });

    quote! {
        #item

        #derive_order

        #[automatically_derived]
        impl #krate::domain::Aggregate for #ident {
            type Id = #id;
            type Event = #event;
            const NAME: &'static str = #name;
            const INITIAL_VERSION: u64 = #initial_version;
            const STATE_VERSION: u32 = #state_version;
            const PYTHON_TOPIC: ::core::option::Option<&'static str> = #python_topic;
        }

        #[automatically_derived]
        impl #krate::__private::AggregateMachinery<#event, #id> for #ident {
            const __PYTHON_FIELDS: &'static [(&'static str, #krate::persistence::python::PyShape)] = &[#(#python_fields),*];

            fn __meta(&self) -> &#krate::__private::Meta<#event, #id> {
                &self.#field
            }

            fn __meta_mut(&mut self) -> &mut #krate::__private::Meta<#event, #id> {
                &mut self.#field
            }

            fn __deserialize_old_state<'de, __EsD: #krate::__private::serde::Deserializer<'de>>(
                __es_version: u32,
                #deserializer: __EsD,
            ) -> ::core::result::Result<Self, __EsD::Error> {
                #[allow(unreachable_code, unused_variables)]
                match __es_version {
                    #(#arms)*
                    _ => ::core::result::Result::Err(#krate::__private::unknown_version(#name, __es_version, #state_version)),
                }
            }

            fn __create(
                __es_event: #event,
                __es_id: &#id,
                __es_timestamp: #krate::__private::chrono::DateTime<#krate::__private::chrono::Utc>,
            ) -> ::core::result::Result<Self, #krate::__private::ApplyError> {
                <Self as #krate::__private::AggregateImpl>::__es_replay_created(__es_event, __es_id, __es_timestamp)
            }

            fn __apply(
                &mut self,
                __es_event: #event,
                __es_timestamp: #krate::__private::chrono::DateTime<#krate::__private::chrono::Utc>,
            ) -> ::core::result::Result<(), #krate::__private::ApplyError> {
                <Self as #krate::__private::AggregateImpl>::__es_replay(self, __es_event, __es_timestamp)
            }

            #restorable
        }
    }
}

/// A struct `#[aggregate]` can take: not generic, with named fields.
fn check_shape(cx: &Ctxt, item: &ItemStruct) {
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "generic aggregates are not supported: remove the type parameters");
    }
    match &item.fields {
        Fields::Named(_) => {}
        Fields::Unnamed(fields) => cx.error_spanned_by(
            fields,
            "`#[aggregate]` needs a struct with named fields, e.g. `struct Dog { name: String }`, not a tuple struct",
        ),
        Fields::Unit => cx.error_spanned_by(
            &item.ident,
            "`#[aggregate]` needs a struct with named fields: write `struct Name {}` for an aggregate without state",
        ),
    }
}

/// The aggregate's Python topic, and the struct's fields whose values Python writes with
/// type tags (for snapshots in Python's record format).
fn python(krate: &TokenStream, topic: Option<&LitStr>, item: &ItemStruct) -> (TokenStream, Vec<TokenStream>) {
    let topic = topic
        .map_or_else(|| quote!(::core::option::Option::None), |topic| quote!(::core::option::Option::Some(#topic)));
    let Fields::Named(fields) = &item.fields else { return (topic, Vec::new()) };
    let fields = fields
        .named
        .iter()
        .filter(|field| field.ident.as_ref().is_some_and(|ident| ident != FIELD))
        .filter_map(|field| {
            let shape = super::python_shape(krate, &field.ty)?;
            let name = field.ident.as_ref()?.to_string();
            let name = name.strip_prefix("r#").map_or(name.clone(), str::to_owned);
            Some(quote!((#name, #shape)))
        })
        .collect();
    (topic, fields)
}

/// Adds the hidden field, skipped by serde whenever serde is derived, and points serde at
/// the re-exported crate.
fn add_bookkeeping(
    item: &mut ItemStruct,
    krate: &TokenStream,
    event: &TokenStream,
    id: &TokenStream,
    derives: &Derives,
) {
    let field = Ident::new(FIELD, Span::call_site());
    let uses_serde = derives.serialize.or(&derives.deserialize);
    let skip = uses_serde.attribute(&quote!(serde(skip)));
    if let Fields::Named(fields) = &mut item.fields {
        fields.named.push(syn::parse_quote! {
            #[doc(hidden)]
            #skip
            #field: #krate::__private::Meta<#event, #id>
        });
    }
    if uses_serde.any() && !has_serde_crate(item) {
        let path = serde_path(krate);
        if let Some(attr) = uses_serde.attribute(&quote!(serde(crate = #path))) {
            item.attrs.extend(syn::Attribute::parse_outer.parse2(attr).unwrap_or_default());
        }
    }
}

/// Requires that the struct's `Clone`, `Default` and `Deserialize`, which build the struct
/// and so must fill the hidden field, come from derives below `#[aggregate]`: a derive
/// written above it is expanded on the struct without the field, and `#[aggregate]` does
/// not see it. Spanned at the attribute, each is one error saying to move the derive.
///
/// Nothing is required when something below the attribute may implement them unseen (a
/// derive or an attribute macro it does not know, such as `SmartDefault` or `derive_where`):
/// those see the field, and are right to.
fn derive_order(krate: &TokenStream, ident: &Ident, derives: &Derives) -> TokenStream {
    if derives.unknown {
        return quote!();
    }
    let private = quote!(#krate::__private);
    let checks = [(&derives.clone, "clone"), (&derives.default, "default"), (&derives.deserialize, "deserialize")]
        .into_iter()
        .filter(|(below, _)| !below.always)
        .map(|(below, name)| {
            let probe = Ident::new(&format!("{name}_above"), Span::call_site());
            let require = Ident::new(&format!("{name}_below"), Span::call_site());
            let cfg = below.not_cfg();
            quote!(#cfg #private::#require::<#ident, _>(#private::Probe::<#ident>::NEW.#probe());)
        });
    quote! {
        const _: () = {
            #[allow(unused_imports)]
            use #private::DeriveProbe as _;
            fn __es_derive_order() {
                #(#checks)*
            }
        };
    }
}

/// When a derive applies: always, or under one of some `cfg` predicates.
#[derive(Default)]
pub(crate) struct Condition {
    always: bool,
    predicates: Vec<TokenStream>,
}

impl Condition {
    fn any(&self) -> bool {
        self.always || !self.predicates.is_empty()
    }

    fn or(&self, other: &Condition) -> Condition {
        Condition {
            always: self.always || other.always,
            predicates: [&self.predicates[..], &other.predicates[..]].concat(),
        }
    }

    /// `attr` as an attribute under this condition: `#[attr]` or `#[cfg_attr(any(..), attr)]`.
    fn attribute(&self, attr: &TokenStream) -> Option<TokenStream> {
        if self.always {
            return Some(quote!(#[#attr]));
        }
        let predicates = &self.predicates;
        (!predicates.is_empty()).then(|| quote!(#[cfg_attr(any(#(#predicates),*), #attr)]))
    }

    /// `#[cfg(..)]` for items that exist only under this condition.
    fn cfg(&self) -> TokenStream {
        let predicates = &self.predicates;
        if self.always { quote!() } else { quote!(#[cfg(any(#(#predicates),*))]) }
    }

    /// `#[cfg(..)]` for items that exist only when a condition that does not always hold
    /// does not hold.
    fn not_cfg(&self) -> TokenStream {
        let predicates = &self.predicates;
        if predicates.is_empty() { quote!() } else { quote!(#[cfg(not(any(#(#predicates),*)))]) }
    }
}

/// The derives below `#[aggregate]` that it must know of: serde's, whose output must skip
/// the hidden field, and those whose output builds the struct.
#[derive(Default)]
struct Derives {
    serialize: Condition,
    deserialize: Condition,
    clone: Condition,
    default: Condition,
    /// Whether a derive or an attribute below may implement traits that cannot be told:
    /// anything but the standard library's and serde's derives and inert attributes.
    unknown: bool,
}

/// The derives whose traits are known, by the last segment of their path.
const KNOWN_DERIVES: &[&str] =
    &["Debug", "Clone", "Copy", "PartialEq", "Eq", "PartialOrd", "Ord", "Hash", "Default", "Serialize", "Deserialize"];

/// Attributes that implement nothing.
const INERT_ATTRIBUTES: &[&str] =
    &["doc", "allow", "warn", "deny", "forbid", "expect", "cfg", "repr", "must_use", "non_exhaustive", "serde"];

/// When the struct derives `Serialize`, `Deserialize`, `Clone` and `Default` (by any
/// path, also in `cfg_attr`).
fn derives(item: &ItemStruct) -> Derives {
    let mut derives = Derives::default();
    let inert = |path: &syn::Path| INERT_ATTRIBUTES.iter().any(|name| path.is_ident(name));
    // Notes the derives in `paths`; returns whether one of them is unknown.
    let mut note = |paths: Punctuated<syn::Path, Token![,]>, predicate: Option<&syn::Meta>| {
        let mut unknown = false;
        for path in paths {
            let name = path.segments.last().map(|s| s.ident.to_string());
            unknown |= !name.as_deref().is_some_and(|name| KNOWN_DERIVES.contains(&name));
            let target = match name.as_deref() {
                Some("Serialize") => &mut derives.serialize,
                Some("Deserialize") => &mut derives.deserialize,
                Some("Clone") => &mut derives.clone,
                Some("Default") => &mut derives.default,
                _ => continue,
            };
            match predicate {
                None => target.always = true,
                Some(predicate) => target.predicates.push(quote!(#predicate)),
            }
        }
        unknown
    };
    let derive_paths =
        |list: &syn::MetaList| list.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated);
    let mut unknown = false;
    for attr in &item.attrs {
        if attr.path().is_ident("derive") {
            match attr.meta.require_list().and_then(derive_paths) {
                Ok(paths) => unknown |= note(paths, None),
                Err(_) => unknown = true,
            }
        } else if attr.path().is_ident("cfg_attr") {
            let Ok(metas) = attr.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated) else {
                unknown = true;
                continue;
            };
            let mut metas = metas.into_iter();
            let Some(predicate) = metas.next() else { continue };
            for meta in metas {
                match &meta {
                    syn::Meta::List(list) if list.path.is_ident("derive") => match derive_paths(list) {
                        Ok(paths) => unknown |= note(paths, Some(&predicate)),
                        Err(_) => unknown = true,
                    },
                    other => unknown |= !inert(other.path()),
                }
            }
        } else {
            unknown |= !inert(attr.path());
        }
    }
    derives.unknown = unknown;
    derives
}

fn has_serde_crate(item: &ItemStruct) -> bool {
    item.attrs.iter().filter(|a| a.path().is_ident("serde")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            found |= meta.path.is_ident("crate");
            if meta.input.peek(Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        found
    })
}
