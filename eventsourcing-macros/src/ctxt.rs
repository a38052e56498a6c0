//! Collects every error found while parsing and checking, so one build shows them all.

use std::cell::RefCell;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Error collector, after `serde_derive`'s `Ctxt`.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// Records an error at the span of `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: std::fmt::Display>(&self, tokens: T, message: M) {
        self.errors.borrow_mut().push(syn::Error::new_spanned(tokens, message));
    }

    /// Records a parse error.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// All recorded errors as one, or `Ok` if there were none.
    pub(crate) fn check(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_inner().into_iter();
        let Some(mut combined) = errors.next() else { return Ok(()) };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

/// `compile_error!` invocations for `error`, each at its own span.
pub(crate) fn to_compile_errors(error: &syn::Error) -> TokenStream {
    error.to_compile_error()
}
