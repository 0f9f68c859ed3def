//! PromQL text that every part of the suite writes the same way: string literals and exact-match
//! regular expressions. Label values come from users' specs and from Grafana variables, so they
//! are escaped here and nowhere else: a second copy of an escaper is a second place to get
//! injection wrong.

/// A PromQL double-quoted string literal holding exactly `value`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` as a regular expression that matches exactly it (RE2 syntax, as Prometheus uses).
pub fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `label="value"` for one value, `label=~"a|b"` (each value regex-escaped) for several.
pub fn one_of<S: AsRef<str>>(label: &str, values: &[S]) -> String {
    if let [one] = values {
        return format!("{label}={}", quote(one.as_ref()));
    }
    let alternatives: Vec<String> = values.iter().map(|v| regex_escape(v.as_ref())).collect();
    format!("{label}=~{}", quote(&alternatives.join("|")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_regexes_match_only_their_value() {
        assert_eq!(quote("a\"b\\c\nd\u{7}"), r#""a\"b\\c\nd\u0007""#);
        assert_eq!(regex_escape("a.b|c"), r"a\.b\|c");
        assert_eq!(one_of("x", &["a.b"]), r#"x="a.b""#);
        assert_eq!(one_of("x", &["a.b", "c"]), r#"x=~"a\\.b|c""#);
    }
}
