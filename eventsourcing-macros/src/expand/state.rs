//! `#[aggregate]` on the struct: the hidden bookkeeping field and the `Aggregate` impl.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Fields, Ident, ItemStruct, Token};

use super::{FIELD, krate, serde_path, upcast};
use crate::attr::AggregateAttr;
use crate::ctxt::{Ctxt, to_compile_errors};

pub(crate) fn expand(attr: TokenStream, mut item: ItemStruct) -> TokenStream {
    let cx = Ctxt::default();
    let attr = AggregateAttr::parse(&cx, attr);
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
    if let Err(error) = cx.check() {
        let errors = to_compile_errors(&error);
        return quote!(#errors #item);
    }

    let krate = krate(attr.krate);
    let ident = &item.ident;
    let event = format_ident!("{}Event", ident);
    let id = attr.id.map_or_else(|| quote!(#krate::__private::uuid::Uuid), |ty| quote!(#ty));
    let field = Ident::new(FIELD, Span::call_site());
    let (serializes, deserializes) = serde_derives(&item);

    let skip = (serializes || deserializes).then(|| quote!(#[serde(skip)]));
    if let Fields::Named(fields) = &mut item.fields {
        fields.named.push(syn::parse_quote! {
            #[doc(hidden)]
            #skip
            #field: #krate::__private::Meta<#event, #id>
        });
    }
    if (serializes || deserializes) && !has_serde_crate(&item) {
        let path = serde_path(&krate);
        item.attrs.push(syn::parse_quote!(#[serde(crate = #path)]));
    }

    let name = attr.name.map_or_else(|| ident.to_string(), |n| n.value());
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
    let restorable = deserializes.then(|| {
        quote! {
            const __RESTORABLE: bool = true;

            fn __deserialize_state<'de, __EsD: #krate::__private::serde::Deserializer<'de>>(
                #deserializer: __EsD,
            ) -> ::core::option::Option<::core::result::Result<Self, __EsD::Error>> {
                ::core::option::Option::Some(<Self as #krate::__private::serde::Deserialize>::deserialize(#deserializer))
            }
        }
    });

    quote! {
        #item

        #[automatically_derived]
        impl #krate::domain::Aggregate for #ident {
            type Id = #id;
            type Event = #event;
            const NAME: &'static str = #name;
            const INITIAL_VERSION: u64 = #initial_version;
            const STATE_VERSION: u32 = #state_version;

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

            #restorable
        }
    }
}

/// Whether the struct derives `Serialize` and `Deserialize` (by any path).
fn serde_derives(item: &ItemStruct) -> (bool, bool) {
    let (mut ser, mut de) = (false, false);
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated) else { continue };
        for path in paths {
            match path.segments.last().map(|s| s.ident.to_string()).as_deref() {
                Some("Serialize") => ser = true,
                Some("Deserialize") => de = true,
                _ => {}
            }
        }
    }
    (ser, de)
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
