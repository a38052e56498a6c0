//! Code generation from the checked model.

mod commands;
mod derive;
mod events;
mod literals;
mod log_event;
mod state;
mod upcast;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Item, Path};

use crate::ast::AggregateImpl;
use crate::attr::ImplAttr;
use crate::check;
use crate::ctxt::{Ctxt, to_compile_errors};

pub(crate) use derive::derive_event;
pub(crate) use log_event::derive_log_event;

/// The name of the hidden field `#[aggregate]` adds to a struct.
pub(crate) const FIELD: &str = "__es_aggregate";

/// The path to the facade crate, `::eventsourcing` unless `crate = "..."` says otherwise.
pub(crate) fn krate(path: Option<Path>) -> TokenStream {
    path.map_or_else(|| quote!(::eventsourcing), |p| quote!(#p))
}

/// The string form of `item` in the facade's hidden module, for serde's attributes that
/// take a path as a string (`crate = "..."`, `serialize_with = "..."`).
pub(crate) fn private_path(krate: &TokenStream, item: &str) -> String {
    let krate: String = krate.to_string().chars().filter(|c| !c.is_whitespace()).collect();
    format!("{krate}::__private::{item}")
}

/// The string form of the re-exported serde path, for `#[serde(crate = "...")]`.
pub(crate) fn serde_path(krate: &TokenStream) -> String {
    private_path(krate, "serde")
}

/// Where Python's tagged types (UUID, datetime, decimal) sit in a value of type `ty`, as a
/// `PyShape` expression, if anywhere: read from the type's spelling (`Uuid`, `DateTime<_>`,
/// `Decimal`, inside `Option`, `Box`, sequences and map values).
pub(crate) fn python_shape(krate: &TokenStream, ty: &syn::Type) -> Option<TokenStream> {
    let python = quote!(#krate::persistence::python);
    match ty {
        syn::Type::Reference(reference) => python_shape(krate, &reference.elem),
        syn::Type::Paren(inner) => python_shape(krate, &inner.elem),
        syn::Type::Group(inner) => python_shape(krate, &inner.elem),
        syn::Type::Array(array) => {
            let inner = python_shape(krate, &array.elem)?;
            Some(quote!(#python::PyShape::Seq(&#inner)))
        }
        syn::Type::Slice(slice) => {
            let inner = python_shape(krate, &slice.elem)?;
            Some(quote!(#python::PyShape::Seq(&#inner)))
        }
        syn::Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let args: Vec<&syn::Type> = match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let value = |ty: &str| {
                let ty = syn::Ident::new(ty, Span::call_site());
                Some(quote!(#python::PyShape::Value(#python::PyType::#ty)))
            };
            match (last.ident.to_string().as_str(), args.as_slice()) {
                ("Uuid", []) => value("Uuid"),
                ("DateTime", [_]) => value("DateTime"),
                ("Decimal", []) => value("Decimal"),
                ("Option", [inner]) => {
                    let inner = python_shape(krate, inner)?;
                    Some(quote!(#python::PyShape::Option(&#inner)))
                }
                ("Box" | "Rc" | "Arc", [inner]) => python_shape(krate, inner),
                ("Vec" | "VecDeque" | "HashSet" | "BTreeSet" | "IndexSet", [inner, ..]) => {
                    let inner = python_shape(krate, inner)?;
                    Some(quote!(#python::PyShape::Seq(&#inner)))
                }
                ("HashMap" | "BTreeMap" | "IndexMap", [_, value, ..]) => {
                    let inner = python_shape(krate, value)?;
                    Some(quote!(#python::PyShape::Map(&#inner)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `#[aggregate]` on a struct, an inherent impl, or a trait impl.
pub(crate) fn aggregate(attr: TokenStream, item: &TokenStream) -> TokenStream {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(item)) => state::expand(attr, item),
        Ok(Item::Impl(item)) if item.trait_.is_none() => aggregate_impl(attr, item),
        Ok(Item::Impl(item)) => literals::expand_trait_impl(attr, item),
        Ok(Item::Enum(item)) => error_with(
            item.enum_token,
            "`#[aggregate]` goes on a struct with named fields, not an enum: \
             the aggregate's state is a struct, and its events are generated as an enum",
            &item,
        ),
        Ok(other) => error_with(
            other.clone(),
            "`#[aggregate]` goes on a struct with named fields and on its `impl` block",
            other,
        ),
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #item)
        }
    }
}

fn error_with<T: quote::ToTokens, I: quote::ToTokens>(spanned: T, message: &str, item: I) -> TokenStream {
    let error = syn::Error::new_spanned(spanned, message).to_compile_error();
    quote!(#error #item)
}

fn aggregate_impl(attr: TokenStream, item: syn::ItemImpl) -> TokenStream {
    let cx = Ctxt::default();
    let krate = krate(ImplAttr::parse(&cx, attr).krate);
    let (model, cleaned) = AggregateImpl::from_syn(&cx, item);
    if let Some(model) = &model {
        check::check(&cx, model);
    }
    match (cx.check(), model) {
        (Ok(()), Some(model)) => {
            let events = events::expand(&krate, &model);
            let block = commands::expand(&krate, model);
            // The user's methods first, so that errors in them are reported first.
            quote!(#block #events)
        }
        (result, model) => {
            // Emit the user's code and a stand-in event type, so that the errors above are
            // the only ones the user sees.
            let errors = result.err().map(|e| to_compile_errors(&e));
            let mut cleaned = cleaned;
            literals::fill_impl(&krate, &mut cleaned);
            let stub = model.map(|m| events::stub(&krate, &m.self_ident));
            quote!(#errors #cleaned #stub)
        }
    }
}

/// `#[event]` reached on its own: it was not inside an `#[aggregate]` impl block.
pub(crate) fn event_outside(attr: &TokenStream, item: &TokenStream) -> TokenStream {
    let span = attr.clone().into_iter().next().map_or_else(Span::call_site, |t| t.span());
    let error = syn::Error::new(
        span,
        "`#[event]` works only on methods inside an `#[aggregate] impl` block: add `#[aggregate]` above the `impl`",
    )
    .to_compile_error();
    quote!(#error #item)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(attr: proc_macro2::TokenStream, item: &proc_macro2::TokenStream) -> String {
        super::aggregate(attr, item).to_string()
    }

    #[test]
    fn struct_gets_the_hidden_field_skipped_by_serde_only_when_serde_is_derived() {
        let with_serde = expand(
            quote!(),
            &quote!(
                #[derive(Serialize, Deserialize)]
                struct Dog {
                    name: String,
                }
            ),
        );
        assert!(with_serde.contains("__es_aggregate"), "{with_serde}");
        assert!(with_serde.contains("serde (skip)"), "{with_serde}");
        assert!(with_serde.contains("crate = \"::eventsourcing::__private::serde\""), "{with_serde}");

        let plain = expand(
            quote!(),
            &quote!(
                #[derive(Debug)]
                struct Dog {
                    name: String,
                }
            ),
        );
        assert!(plain.contains("__es_aggregate"), "{plain}");
        assert!(!plain.contains("serde ("), "{plain}");
    }

    #[test]
    fn derives_above_the_attribute_are_probed_only_when_everything_below_is_known() {
        let probes = |item: proc_macro2::TokenStream| {
            let out = expand(quote!(), &item);
            ["clone_below", "default_below", "deserialize_below"]
                .into_iter()
                .filter(|probe| out.contains(probe))
                .collect::<Vec<_>>()
        };
        // Nothing below: all three, since any of them would come from above.
        assert_eq!(
            probes(quote!(
                struct Dog {
                    name: String,
                }
            )),
            ["clone_below", "default_below", "deserialize_below"]
        );
        // Derived below, always or under `cfg_attr`: not those.
        let below = quote! {
            #[derive(Debug, Clone)]
            #[cfg_attr(feature = "x", derive(Default))]
            #[doc = "A dog."]
            #[serde(rename_all = "camelCase")]
            struct Dog { name: String }
        };
        assert_eq!(probes(below), ["default_below", "deserialize_below"]);
        // A derive or an attribute macro it does not know may implement any of them,
        // seeing the field: none.
        for unknown in [
            quote!(#[derive(Debug, SmartDefault)]),
            quote!(#[derive_where(Clone)]),
            quote!(#[cfg_attr(test, derive_where(Clone))]),
            quote!(#[cfg_attr(test, derive(educe::Educe))]),
        ] {
            assert_eq!(probes(quote!(#unknown struct Dog { name: String })), Vec::<&str>::new(), "{unknown}");
        }
    }

    #[test]
    fn every_mistake_in_an_impl_block_is_reported() {
        let out = expand(
            quote!(),
            &quote! {
                impl Dog {
                    #[event("")]
                    fn a() -> Self { Self {} }
                    #[event]
                    fn b(self) {}
                    #[event("C")]
                    fn c(&mut self) -> u8 { 0 }
                }
            },
        );
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        // The user's code and a stand-in event type are still emitted.
        assert!(out.contains("fn b (self)"), "{out}");
        assert!(out.contains("enum DogEvent { }"), "{out}");
    }

    #[test]
    fn literals_of_the_aggregate_get_the_hidden_field() {
        let out = expand(
            quote!(),
            &quote! {
                impl Dog {
                    #[event("Made")]
                    fn make(name: String) -> Self { Self { name } }
                    fn other() -> Dog { let d = Dog { name: String::new() }; let Self { name } = d; todo!() }
                }
            },
        );
        assert_eq!(out.matches("__es_aggregate : :: eventsourcing :: __private :: Default").count(), 2, "{out}");
        assert!(out.contains("let Self { name , .. }"), "{out}");
    }
}
