//! Upcaster chains: decoding an older stored shape and converting it, hop by hop, with `From`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

/// One `match` arm per older version: deserialise `upcast[i]` (version `i + 1`), convert it
/// through each newer shape, and finally into `target`. Each arm evaluates to
/// `Result<target, D::Error>` via `finish`, which receives the converted value.
pub(crate) fn arms(
    krate: &TokenStream,
    upcast: &[Type],
    target: &TokenStream,
    deserializer: &TokenStream,
    finish: &dyn Fn(TokenStream) -> TokenStream,
) -> Vec<TokenStream> {
    (0..upcast.len())
        .map(|start| {
            let version = u32::try_from(start + 1).unwrap_or(u32::MAX);
            let first = &upcast[start];
            let hops = upcast[start + 1..]
                .iter()
                .map(|next| quote!(let __es_value: #next = ::core::convert::From::from(__es_value);));
            let last = upcast.last().unwrap_or(first);
            let converted = quote!(<#target as ::core::convert::From<#last>>::from(__es_value));
            let finish = finish(converted);
            quote! {
                #version => {
                    let __es_value = <#first as #krate::__private::serde::Deserialize>::deserialize(#deserializer)?;
                    #(#hops)*
                    #finish
                }
            }
        })
        .collect()
}
