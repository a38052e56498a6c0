//! Rules that span several commands of one aggregate.

use std::collections::HashSet;

use crate::ast::{AggregateImpl, Kind, Role};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, model: &AggregateImpl) {
    if !model.has_creation_attempt {
        cx.error_spanned_by(
            &model.rest.self_ty,
            "an aggregate needs a creation event: mark a function that returns `Self` with `#[event(\"Created\")]`",
        );
    }
    let mut variants = HashSet::new();
    let mut names = HashSet::new();
    for command in &model.commands {
        let event = &command.event;
        if let Some(name) = event.literal_name()
            && !names.insert(name.to_owned())
        {
            cx.syn_error(syn::Error::new(
                event.span,
                format!("two events are named {name:?}: each event of an aggregate needs its own name"),
            ));
            continue;
        }
        if !variants.insert(event.variant.to_string()) {
            cx.syn_error(syn::Error::new(
                event.span,
                format!(
                    "two events would be the enum variant `{}`: give one of them another name (or rename the event type)",
                    event.variant
                ),
            ));
        }
    }
    if let Some(create_id) = &model.create_id {
        for command in model.commands.iter().filter(|c| c.kind == Kind::Created) {
            if command.params.iter().any(|p| matches!(p.role, Role::Id)) {
                continue;
            }
            for (param, _) in &create_id.params {
                if !command.params.iter().any(|p| p.ident == *param) {
                    cx.syn_error(syn::Error::new(
                        command.original.sig.ident.span(),
                        format!(
                            "`create_id` needs the argument `{param}`, which `{}` does not take: \
                             add the parameter or an `id` parameter",
                            command.original.sig.ident
                        ),
                    ));
                }
            }
        }
    }
}
