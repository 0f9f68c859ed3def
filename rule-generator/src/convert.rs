//! Placeholder until the converter lands.
use crate::model::Catalog;
pub fn to_native(_catalog: &Catalog) -> String { String::new() }
