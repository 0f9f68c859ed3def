//! Placeholder.
use super::{Drafts, Registry as All};
use crate::diag::Diagnostics;
use crate::yaml::Document;

#[derive(Default)]
pub struct Registry<'a> {
    _p: std::marker::PhantomData<&'a ()>,
}

pub fn register(_doc: &Document, _reg: &mut Registry<'_>, _diags: &mut Diagnostics) {}

pub fn decode(
    _doc: &Document,
    _file: &str,
    _reg: &All<'_>,
    _drafts: &mut Drafts,
    _diags: &mut Diagnostics,
) {
}
