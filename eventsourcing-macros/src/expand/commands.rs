//! The command methods: each `#[event]` method becomes a public method that builds the
//! event, runs the original body (kept as a hidden method, also used on replay), and
//! records the event only if the body succeeds.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, Ident, ImplItem, ImplItemFn, Pat};

use super::literals;
use crate::ast::{AggregateImpl, Command, EventSource, Kind, Role};

/// The hidden method that holds a command's original body.
pub(crate) fn body_ident(command: &Command) -> Ident {
    let name = command.original.sig.ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    format_ident!("__es_body_{}", name, span = command.original.sig.ident.span())
}

pub(crate) fn expand(krate: &TokenStream, model: AggregateImpl) -> TokenStream {
    let AggregateImpl { self_ident, mut rest, commands, create_id, .. } = model;
    let event = format_ident!("{}Event", self_ident);
    for command in &commands {
        rest.items.push(ImplItem::Fn(public_method(krate, &event, command, create_id.as_ref())));
        rest.items.push(ImplItem::Fn(body_method(command)));
    }
    literals::fill_impl(krate, &mut rest);
    quote!(#rest)
}

/// The original method, renamed, private and hidden: it applies the event.
fn body_method(command: &Command) -> ImplItemFn {
    let mut method = command.original.clone();
    method.sig.ident = body_ident(command);
    method.vis = syn::Visibility::Inherited;
    method.attrs.retain(|a| !a.path().is_ident("doc"));
    method.attrs.push(syn::parse_quote!(#[doc(hidden)]));
    method
        .attrs
        .push(syn::parse_quote!(#[allow(non_snake_case, clippy::needless_pass_by_value, clippy::unnecessary_wraps)]));
    method
}

/// The paths of the `Aggregate` trait and of the machinery behind it, for `Self`.
fn traits(krate: &TokenStream, event: &Ident) -> (TokenStream, TokenStream) {
    let aggregate = quote!(#krate::domain::Aggregate);
    let machinery = quote!(#krate::__private::AggregateMachinery<#event, <Self as #aggregate>::Id>);
    (aggregate, machinery)
}

/// The method callers use: same name, signature and docs as written.
fn public_method(
    krate: &TokenStream,
    event: &Ident,
    command: &Command,
    create_id: Option<&crate::ast::CreateId>,
) -> ImplItemFn {
    let private = quote!(#krate::__private);
    let (aggregate_trait, machinery) = traits(krate, event);
    let mut method = command.original.clone();
    for input in &mut method.sig.inputs {
        if let FnArg::Typed(typed) = input
            && let Pat::Ident(pat) = &mut *typed.pat
        {
            pat.mutability = None;
        }
    }

    let payload = payload(event, command);
    let timestamp = command.params.iter().find_map(|p| match p.role {
        Role::Timestamp { optional } => {
            let ident = &p.ident;
            Some(if optional { quote!(#ident) } else { quote!(::core::option::Option::Some(#ident)) })
        }
        _ => None,
    });
    let timestamp = timestamp.unwrap_or_else(|| quote!(::core::option::Option::None));
    let body = body_ident(command);
    let direct: Vec<&Ident> = command.params.iter().map(|p| &p.ident).collect();
    let args = command.params.iter().map(|p| {
        let ident = &p.ident;
        match p.role {
            Role::Field { .. } | Role::Id => quote!(#ident),
            Role::Timestamp { optional: false } => quote!(__es_event.timestamp),
            Role::Timestamp { optional: true } => quote!(::core::option::Option::Some(__es_event.timestamp)),
        }
    });

    let block = match command.kind {
        Kind::Created => {
            let id = new_id(krate, command, create_id);
            let finish = quote! {
                <Self as #machinery>::__meta_mut(&mut __es_new).start_with(__es_event);
            };
            let run = if command.fallible {
                quote! {
                    match #private::applying(|| Self::#body(#(#args),*)) {
                        ::core::result::Result::Ok(mut __es_new) => {
                            #finish
                            ::core::result::Result::Ok(__es_new)
                        }
                        ::core::result::Result::Err(__es_error) => ::core::result::Result::Err(__es_error),
                    }
                }
            } else {
                quote! {
                    let mut __es_new = #private::applying(|| Self::#body(#(#args),*));
                    #finish
                    __es_new
                }
            };
            quote! {{
                if #private::is_applying() {
                    return Self::#body(#(#direct),*);
                }
                let __es_event = #private::Meta::<#event, <Self as #aggregate_trait>::Id>::created_event(
                    #id,
                    <Self as #aggregate_trait>::INITIAL_VERSION,
                    #payload,
                    #timestamp,
                );
                #run
            }}
        }
        Kind::Mutating => {
            let record = quote!(<Self as #machinery>::__meta_mut(self).record(__es_event););
            let run = if command.fallible {
                quote! {
                    let __es_result = #private::applying(|| Self::#body(self, #(#args),*));
                    if ::core::result::Result::is_ok(&__es_result) {
                        #record
                    }
                    __es_result
                }
            } else {
                quote! {
                    #private::applying(|| Self::#body(self, #(#args),*));
                    #record
                }
            };
            quote! {{
                if #private::is_applying() {
                    return Self::#body(self, #(#direct),*);
                }
                let __es_event = <Self as #machinery>::__meta(self).next_event(#payload, #timestamp);
                #run
            }}
        }
    };
    let check = error_check(&private, command);
    method.block = syn::parse_quote!({ #check #block });
    method
}

/// For a fallible body, a check spanned at its error type that the error can be kept when
/// it rejects an event on replay: an error, a message, or at least `Debug`.
fn error_check(private: &TokenStream, command: &Command) -> Option<TokenStream> {
    let error = command.fallible.then(|| error_type(&command.original.sig.output)).flatten()?;
    let span = syn::spanned::Spanned::span(error);
    Some(quote_spanned! {span=>
        let _ = |__es_error: #error| {
            #[allow(unused_imports)]
            use #private::{RejectBoxed as _, RejectDebug as _, RejectError as _};
            (&&&#private::Rejected::new(__es_error)).reject()
        };
    })
}

/// The `E` of a `Result<_, E>` return type, when written out.
fn error_type(output: &syn::ReturnType) -> Option<&syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else { return None };
    let syn::Type::Path(path) = &**ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else { return None };
    match args.args.iter().nth(1)? {
        syn::GenericArgument::Type(error) => Some(error),
        _ => None,
    }
}

/// The event value built from the call's arguments (owned copies of what the body receives).
fn payload(event: &Ident, command: &Command) -> TokenStream {
    let values = command.params.iter().filter_map(|p| {
        let ident = &p.ident;
        match &p.role {
            Role::Field { borrowed: None } => Some(quote!(#ident: ::core::clone::Clone::clone(&#ident))),
            Role::Field { borrowed: Some(_) } => Some(quote!(#ident: ::std::borrow::ToOwned::to_owned(#ident))),
            _ => None,
        }
    });
    let variant = &command.event.variant;
    match &command.event.source {
        EventSource::Generated { .. } => quote!(#event::#variant { #(#values),* }),
        EventSource::Explicit(path) => quote!(#event::#variant(#path { #(#values),* })),
    }
}

/// The new aggregate's id: the `id` argument, `create_id(...)`, or a generated one.
fn new_id(krate: &TokenStream, command: &Command, create_id: Option<&crate::ast::CreateId>) -> TokenStream {
    if let Some(param) = command.params.iter().find(|p| matches!(p.role, Role::Id)) {
        let ident = &param.ident;
        return quote!(::core::clone::Clone::clone(&#ident));
    }
    if let Some(create_id) = create_id {
        let args = create_id.params.iter().map(|(name, by_ref)| {
            let param = command.params.iter().find(|p| p.ident == *name);
            let borrowed = param.is_some_and(|p| matches!(p.role, Role::Field { borrowed: Some(_) }));
            match (by_ref, borrowed) {
                (true, _) => quote!(&#name),
                (false, true) => quote!(::std::borrow::ToOwned::to_owned(#name)),
                (false, false) => quote!(::core::clone::Clone::clone(&#name)),
            }
        });
        return quote!(Self::create_id(#(#args),*));
    }
    quote!(<<Self as #krate::domain::Aggregate>::Id as #krate::domain::AggregateId>::generate())
}
