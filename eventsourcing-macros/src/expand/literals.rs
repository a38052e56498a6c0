//! Struct literals of the aggregate (`Self { .. }`, `Dog { .. }`) written in an
//! `#[aggregate]` impl block get the hidden bookkeeping field filled in, so users never
//! see it. Struct patterns get a `..` for the same reason.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, ItemImpl, Member};

use super::{FIELD, krate};
use crate::ast::aggregate_ident;
use crate::attr::ImplAttr;
use crate::ctxt::{Ctxt, to_compile_errors};

/// `#[aggregate]` on a trait impl (for example `impl From<DogV1> for Dog`): only fills literals.
pub(crate) fn expand_trait_impl(attr: TokenStream, mut item: ItemImpl) -> TokenStream {
    let cx = Ctxt::default();
    let krate = krate(ImplAttr::parse(&cx, attr).krate);
    let _ = aggregate_ident(&cx, &item);
    let errors = cx.check().err().map(|e| to_compile_errors(&e));
    fill_impl(&krate, &mut item);
    quote!(#errors #item)
}

/// Fills the hidden field into every literal of the impl's own type.
pub(crate) fn fill_impl(krate: &TokenStream, item: &mut ItemImpl) {
    let Some(name) = self_name(&item.self_ty) else { return };
    let mut filler = Filler { name, field: Ident::new(FIELD, Span::call_site()), krate: krate.clone() };
    for impl_item in &mut item.items {
        filler.visit_impl_item_mut(impl_item);
    }
}

fn self_name(ty: &syn::Type) -> Option<Ident> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    }
}

struct Filler {
    name: Ident,
    field: Ident,
    krate: TokenStream,
}

impl Filler {
    fn is_own(&self, path: &syn::Path) -> bool {
        path.is_ident("Self") || (path.segments.len() == 1 && path.is_ident(&self.name))
    }

    fn names_field<'a>(&self, mut members: impl Iterator<Item = &'a Member>) -> bool {
        members.any(|m| matches!(m, Member::Named(i) if *i == self.field))
    }
}

impl VisitMut for Filler {
    fn visit_expr_struct_mut(&mut self, expr: &mut syn::ExprStruct) {
        syn::visit_mut::visit_expr_struct_mut(self, expr);
        if !self.is_own(&expr.path) || expr.rest.is_some() || self.names_field(expr.fields.iter().map(|f| &f.member)) {
            return;
        }
        let field = &self.field;
        let krate = &self.krate;
        if !expr.fields.empty_or_trailing() {
            expr.fields.push_punct(syn::token::Comma::default());
        }
        expr.fields.push(syn::parse_quote!(#field: #krate::__private::Default::default()));
    }

    fn visit_pat_struct_mut(&mut self, pat: &mut syn::PatStruct) {
        syn::visit_mut::visit_pat_struct_mut(self, pat);
        if self.is_own(&pat.path) && pat.rest.is_none() && !self.names_field(pat.fields.iter().map(|f| &f.member)) {
            pat.rest = Some(syn::PatRest { attrs: Vec::new(), dot2_token: syn::token::DotDot::default() });
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Nested items have their own `Self`.
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}
