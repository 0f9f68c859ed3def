//! Solving label matchers: which label values a selector accepts, and a set of label values that
//! some selectors accept and others reject. The generated promtool tests need input series that
//! the good selector matches and the bad one does not (say `code!~"5.."` against `code=~"5.."`);
//! the rules need to know whether a spelled-out `le` bound matches a bucket.

use crate::model::{MatchOp, Matcher, Selector};
use crate::promql::render_selector;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// Label values (empty meaning absent) that every `must` selector accepts and no `avoid`
/// selector does, searched among values derived from the matchers.
pub fn satisfy(must: &[&Selector], avoid: &[&Selector]) -> Option<BTreeMap<String, String>> {
    let mut candidates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for matcher in must.iter().chain(avoid).flat_map(|s| &s.matchers) {
        let list = candidates.entry(matcher.label.clone()).or_default();
        for value in matcher_candidates(matcher) {
            if !list.contains(&value) {
                list.push(value);
            }
        }
    }
    for list in candidates.values_mut() {
        for fallback in ["slokit-test", "200", "500", "0", "a", ""] {
            if !list.iter().any(|v| v == fallback) {
                list.push(fallback.into());
            }
        }
        list.truncate(12);
    }
    let names: Vec<&String> = candidates.keys().collect();
    let mut index = vec![0usize; names.len()];
    for _ in 0..20_000 {
        let labels: BTreeMap<String, String> = names
            .iter()
            .zip(&index)
            .map(|(name, i)| ((*name).clone(), candidates[*name][*i].clone()))
            .collect();
        if must.iter().all(|s| selector_accepts(s, &labels))
            && !avoid.iter().any(|s| selector_accepts(s, &labels))
        {
            return Some(labels.into_iter().filter(|(_, v)| !v.is_empty()).collect());
        }
        // Next combination, odometer style.
        let mut position = 0;
        loop {
            if position == index.len() {
                return None;
            }
            index[position] += 1;
            if index[position] < candidates[names[position]].len() {
                break;
            }
            index[position] = 0;
            position += 1;
        }
    }
    None
}

fn matcher_candidates(matcher: &Matcher) -> Vec<String> {
    match matcher.op {
        MatchOp::Equal | MatchOp::NotEqual => vec![matcher.value.clone()],
        MatchOp::Regex | MatchOp::NotRegex => regex_examples(&matcher.value),
    }
}

/// Strings a simple regex probably matches: each top-level alternative with classes and wildcards
/// replaced by one character. Only candidates; the real matcher decides.
fn regex_examples(pattern: &str) -> Vec<String> {
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    let inner = inner
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(inner);
    inner
        .split('|')
        .map(|alternative| {
            let mut out = String::new();
            let mut chars = alternative.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('d') => out.push('0'),
                        Some('w') => out.push('a'),
                        Some('s') => out.push(' '),
                        Some(other) => out.push(other),
                        None => {}
                    },
                    '.' => out.push('0'),
                    '[' => {
                        let mut first = None;
                        for class_char in chars.by_ref() {
                            if class_char == ']' {
                                break;
                            }
                            if first.is_none() && class_char != '^' {
                                first = Some(class_char);
                            }
                        }
                        out.push(first.unwrap_or('a'));
                    }
                    '(' | ')' | '^' | '$' | '*' | '+' | '?' => {}
                    '{' => {
                        for brace_char in chars.by_ref() {
                            if brace_char == '}' {
                                break;
                            }
                        }
                    }
                    other => out.push(other),
                }
            }
            out
        })
        .collect()
}

/// Whether a label set (absent labels read as empty) passes every matcher of `selector`.
pub fn selector_accepts(selector: &Selector, labels: &BTreeMap<String, String>) -> bool {
    selector
        .matchers
        .iter()
        .all(|m| matcher_accepts(m, labels.get(&m.label).map(String::as_str).unwrap_or("")))
}

/// Whether a matcher accepts a value, with PromQL's anchored regex semantics (promql-parser's).
pub fn matcher_accepts(matcher: &Matcher, value: &str) -> bool {
    match matcher.op {
        MatchOp::Equal => matcher.value == value,
        MatchOp::NotEqual => matcher.value != value,
        MatchOp::Regex | MatchOp::NotRegex => with_compiled(matcher, |compiled| match compiled {
            Some(compiled) => compiled.iter().all(|m| m.is_match(value)),
            None => false,
        }),
    }
}

/// Calls `f` with the matcher as promql-parser compiles it (`None` when it does not parse). The
/// search for input series asks the same few matchers about thousands of candidate values, and
/// every SLO of a product usually has the same ones, so each thread compiles each matcher once:
/// building a regex automaton was most of `slo generate`'s time before (BENCHMARKS.md).
fn with_compiled<T>(
    matcher: &Matcher,
    f: impl FnOnce(Option<&[promql_parser::label::Matcher]>) -> T,
) -> T {
    type Cache = HashMap<(bool, String), Option<Vec<promql_parser::label::Matcher>>>;
    thread_local! {
        static COMPILED: RefCell<Cache> = RefCell::new(HashMap::new());
    }
    let key = (matcher.op == MatchOp::Regex, matcher.value.clone());
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let compiled = cache.entry(key).or_insert_with(|| {
            let text = render_selector(
                &Selector {
                    metric: "slokit_probe".into(),
                    matchers: vec![Matcher {
                        label: "probe".into(),
                        ..matcher.clone()
                    }],
                },
                &[],
            );
            match promql_parser::parser::parse(&text) {
                Ok(promql_parser::parser::Expr::VectorSelector(vs)) => Some(
                    vs.matchers
                        .matchers
                        .into_iter()
                        .filter(|m| m.name == "probe")
                        .collect(),
                ),
                _ => None,
            }
        });
        f(compiled.as_deref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_examples_are_plausible() {
        assert_eq!(regex_examples("5.."), vec!["500"]);
        assert_eq!(regex_examples("(5..|429)"), vec!["500", "429"]);
        assert_eq!(regex_examples("[45]\\d\\d"), vec!["400"]);
    }
}
