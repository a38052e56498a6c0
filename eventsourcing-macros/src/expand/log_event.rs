//! `#[derive(LogEvent)]`: an enum whose variants wrap the domain events of several
//! aggregate types, decoded from one notification log by topic.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use super::krate;
use crate::attr::LogEventAttr;
use crate::ctxt::{Ctxt, to_compile_errors};

pub(crate) fn derive_log_event(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let cx = Ctxt::default();
    let attr = LogEventAttr::parse(&cx, &input.attrs);
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a `LogEvent` enum cannot be generic: remove the type parameters");
    }
    let mut variants = Vec::new();
    match &input.data {
        Data::Enum(data) if data.variants.is_empty() => cx.error_spanned_by(
            &input.ident,
            "a `LogEvent` enum needs a variant per aggregate type, e.g. `Dog(DomainEvent<DogEvent>)`",
        ),
        Data::Enum(data) => {
            for variant in &data.variants {
                match &variant.fields {
                    Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                        variants.push((&variant.ident, &fields.unnamed[0].ty));
                    }
                    _ => cx.error_spanned_by(
                        variant,
                        "each variant of a `LogEvent` enum wraps the domain events of one aggregate type: \
                         write `Dog(DomainEvent<DogEvent>)`",
                    ),
                }
            }
        }
        _ => cx.error_spanned_by(
            &input.ident,
            "`#[derive(LogEvent)]` goes on an enum whose variants wrap domain events, e.g. \
             `enum School { Dog(DomainEvent<DogEvent>), Course(DomainEvent<CourseEvent>) }`",
        ),
    }
    if let Err(error) = cx.check() {
        return to_compile_errors(&error);
    }

    let krate = krate(attr.krate);
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let name = ident.to_string();
    let skip = &attr.skip;
    let topics = variants.iter().map(|(_, ty)| quote!(<#ty as #private::LogVariant>::topics()));
    let arms = variants.iter().map(|(variant, ty)| {
        quote! {
            match <#ty as #private::LogVariant>::decode(__es_mapper, &__es_notification.event)? {
                #private::Matched::Event(__es_event) => return ::core::result::Result::Ok(::core::option::Option::Some(Self::#variant(__es_event))),
                #private::Matched::Skipped => return ::core::result::Result::Ok(::core::option::Option::None),
                #private::Matched::Other => {}
            }
        }
    });
    let metadata = variants
        .iter()
        .map(|(variant, ty)| quote!(Self::#variant(__es_event) => <#ty as #private::LogVariant>::metadata(__es_event)));
    quote! {
        #[automatically_derived]
        impl #krate::persistence::LogEvent for #ident {
            fn topics() -> ::std::vec::Vec<::std::string::String> {
                let mut __es_topics = ::std::vec::Vec::new();
                #(__es_topics.extend(#topics);)*
                __es_topics
            }

            fn decode(
                __es_mapper: &#krate::persistence::Mapper,
                __es_notification: &#krate::persistence::Notification,
            ) -> ::core::result::Result<::core::option::Option<Self>, #krate::persistence::MapperError> {
                #(#arms)*
                #private::unmatched(&__es_notification.event, #name, &[#(#skip),*])
            }

            fn metadata(&self) -> &#krate::domain::EventMetadata {
                match self {
                    #(#metadata,)*
                }
            }
        }
    }
}
