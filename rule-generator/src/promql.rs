//! PromQL as values: parsing user-written filters, selectors and queries with `promql-parser`, and
//! rendering selectors back with correct escaping. Label values may hold any text (quotes,
//! backslashes, newlines, unicode); [`quote`] is the one place that escapes them.

pub mod matchers;

use crate::conventions::WINDOW_PLACEHOLDER;
use crate::model::{MatchOp, Matcher, Selector};
use promql_parser::label::MatchOp as ParsedOp;
use promql_parser::parser::{self, Expr};
use std::cell::RefCell;
use std::collections::HashMap;

/// Parses a complete PromQL expression. The error is promql-parser's message.
pub fn parse(query: &str) -> Result<Expr, String> {
    parser::parse(query)
}

/// Replaces `{{.window}}` (and the spaced `{{ .window }}`) with a duration.
pub fn fill_window(template: &str, window: &str) -> String {
    template
        .replace(WINDOW_PLACEHOLDER, window)
        .replace("{{ .window }}", window)
}

/// Whether a query uses the window placeholder at all.
pub fn has_window(template: &str) -> bool {
    template.contains(WINDOW_PLACEHOLDER) || template.contains("{{ .window }}")
}

/// Parses one label matcher as written in a spec filter: `status_code !~ "5.."`.
///
/// Thousands of SLOs usually repeat a handful of filters, and parsing one compiles its regex, so
/// each thread remembers the filters it has parsed (a few hundred bytes each, at most as many as
/// the distinct filters of the input).
pub fn parse_filter(text: &str) -> Result<Matcher, String> {
    thread_local! {
        static PARSED: RefCell<HashMap<String, Result<Matcher, String>>> =
            RefCell::new(HashMap::new());
    }
    PARSED.with(|parsed| {
        parsed
            .borrow_mut()
            .entry(text.to_string())
            .or_insert_with(|| parse_filter_uncached(text))
            .clone()
    })
}

fn parse_filter_uncached(text: &str) -> Result<Matcher, String> {
    let selector =
        parse_selector(&format!("slokit_filter{{{text}}}")).map_err(|e| match e.as_str() {
            "expected a metric selector" => {
                "expected one label matcher such as `code=~\"5..\"`".to_string()
            }
            _ => e,
        })?;
    match <[Matcher; 1]>::try_from(selector.matchers) {
        Ok([matcher]) => Ok(matcher),
        Err(_) => Err("expected exactly one label matcher; write one filter per list item".into()),
    }
}

/// Parses a metric selector such as `http_requests_total{job="api"}` into its name and matchers.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    match parse_selector_with_offset(text)? {
        (selector, None) => Ok(selector),
        (_, Some(_)) => Err("a selector here may not use `offset`, `@` or `or` matchers".into()),
    }
}

/// [`parse_selector`], also accepting an `offset` modifier (Pyrra's metrics may carry one). The
/// offset comes back as a Prometheus duration, negative ones with a leading `-`.
pub fn parse_selector_with_offset(text: &str) -> Result<(Selector, Option<String>), String> {
    let Expr::VectorSelector(vs) = parse(text)? else {
        return Err("expected a metric selector".into());
    };
    if vs.at.is_some() || !vs.matchers.or_matchers.is_empty() {
        return Err("a selector here may not use `offset`, `@` or `or` matchers".into());
    }
    let offset = vs.offset.as_ref().map(|offset| {
        let (sign, duration) = match offset {
            promql_parser::parser::Offset::Pos(d) => ("", d),
            promql_parser::parser::Offset::Neg(d) => ("-", d),
        };
        let millis = duration.as_millis().min(u128::from(u64::MAX)) as u64;
        format!("{sign}{}", crate::duration::Duration::from_millis(millis))
    });
    let mut matchers = Vec::new();
    let mut metric = vs.name.clone();
    for m in vs.matchers.matchers {
        if m.name == "__name__" && matches!(m.op, ParsedOp::Equal) {
            metric = Some(m.value);
            continue;
        }
        let op = match m.op {
            ParsedOp::Equal => MatchOp::Equal,
            ParsedOp::NotEqual => MatchOp::NotEqual,
            ParsedOp::Re(_) => MatchOp::Regex,
            ParsedOp::NotRe(_) => MatchOp::NotRegex,
        };
        matchers.push(Matcher {
            label: m.name,
            op,
            value: m.value,
        });
    }
    let metric = metric.ok_or_else(|| "the selector has no metric name".to_string())?;
    Ok((Selector { metric, matchers }, offset))
}

/// Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`, and `__` prefixes are reserved.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Prometheus metric names: label-name characters plus `:`.
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// PromQL string literals and exact-match regexes are written by `slokit-conventions`, the one
/// escaper the generator, dashboards and plugin share.
pub use crate::conventions::promql::{quote, regex_escape};

/// `metric{a="b",c!~"d"}` with the given extra matchers appended.
pub fn render_selector(selector: &Selector, extra: &[Matcher]) -> String {
    let matchers: Vec<String> = selector
        .matchers
        .iter()
        .chain(extra)
        .map(|m| format!("{}{}{}", m.label, m.op.as_str(), quote(&m.value)))
        .collect();
    if matchers.is_empty() {
        selector.metric.clone()
    } else {
        format!("{}{{{}}}", selector.metric, matchers.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_into_matchers() {
        let m = parse_filter(r#"status_code !~ "5..""#).unwrap();
        assert_eq!(
            (m.label.as_str(), m.op, m.value.as_str()),
            ("status_code", MatchOp::NotRegex, "5..")
        );
        assert_eq!(
            parse_filter("a=\"1\", b=\"2\"").unwrap_err(),
            "expected exactly one label matcher; write one filter per list item"
        );
        assert_eq!(
            parse_filter("status_code ~ 5").unwrap_err(),
            "unexpected character inside braces: '~'"
        );
    }

    #[test]
    fn quoting_round_trips_through_the_parser() {
        for value in [
            "plain",
            "quote \" and \\ backslash",
            "new\nline\ttab",
            "ünïcödé ✓",
            "\u{1}",
        ] {
            let selector = Selector {
                metric: "m".into(),
                matchers: vec![Matcher {
                    label: "l".into(),
                    op: MatchOp::Equal,
                    value: value.into(),
                }],
            };
            let text = render_selector(&selector, &[]);
            assert_eq!(parse_selector(&text).unwrap(), selector, "{text}");
        }
    }

    #[test]
    fn label_names() {
        assert!(is_label_name("route"));
        assert!(is_label_name("_x1"));
        assert!(!is_label_name("__name__"));
        assert!(!is_label_name("1a"));
        assert!(!is_label_name("a-b"));
        assert!(!is_label_name(""));
    }
}
