//! `#[derive(Event)]`: an explicit event type with a stable name, a version and upcasters.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{krate, upcast};
use crate::attr::DeriveEventAttr;
use crate::ctxt::{Ctxt, to_compile_errors};

pub(crate) fn derive_event(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let cx = Ctxt::default();
    let attr = DeriveEventAttr::parse(&cx, &input.attrs);
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "an event type cannot be generic: its stored form needs one shape");
    }
    match &input.data {
        syn::Data::Struct(data) if matches!(data.fields, syn::Fields::Named(_) | syn::Fields::Unit) => {}
        _ => cx.error_spanned_by(
            &input.ident,
            "`#[derive(Event)]` needs a struct with named fields: its fields are matched by name to the \
             parameters of the method marked `#[event(ThisType)]`",
        ),
    }
    if let Some(name) = &attr.name
        && name.value().is_empty()
    {
        cx.error_spanned_by(name, "an event name cannot be empty");
    }
    if let Err(error) = cx.check() {
        return to_compile_errors(&error);
    }
    let krate = krate(attr.krate);
    let ident = &input.ident;
    let name = attr.name.map_or_else(|| ident.to_string(), |n| n.value());
    let version = attr.versioning.version;
    let deserializer = quote!(__es_deserializer);
    let arms = upcast::arms(
        &krate,
        &attr.versioning.upcast,
        &quote!(Self),
        &deserializer,
        &|value| quote!(::core::result::Result::Ok(#value)),
    );
    let python_fields: Vec<TokenStream> = match &input.data {
        syn::Data::Struct(syn::DataStruct { fields: syn::Fields::Named(fields), .. }) => fields
            .named
            .iter()
            .filter_map(|field| {
                let shape = super::python_shape(&krate, &field.ty)?;
                let name = field.ident.as_ref()?.to_string();
                let name = name.strip_prefix("r#").map_or(name.clone(), str::to_owned);
                Some(quote!((#name, #shape)))
            })
            .collect(),
        _ => Vec::new(),
    };
    quote! {
        #[automatically_derived]
        impl #krate::domain::Event for #ident {
            const NAME: &'static str = #name;
            const VERSION: u32 = #version;
            const __PYTHON_FIELDS: &'static [(&'static str, #krate::persistence::python::PyShape)] = &[#(#python_fields),*];

            fn deserialize_versioned<'de, __EsD: #krate::__private::serde::Deserializer<'de>>(
                __es_version: u32,
                #deserializer: __EsD,
            ) -> ::core::result::Result<Self, __EsD::Error> {
                match __es_version {
                    #version => <Self as #krate::__private::serde::Deserialize>::deserialize(#deserializer),
                    #(#arms)*
                    _ => ::core::result::Result::Err(#krate::__private::unknown_version(#name, __es_version, #version)),
                }
            }
        }
    }
}
