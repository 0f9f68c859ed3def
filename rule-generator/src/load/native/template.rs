//! SLI templates (`kind: SLITemplate`): parameters with defaults, and their use from an SLO's
//! indicator. A template's indicator is decoded per use with the parameters filled in, so an error
//! inside it is reported at the template and at the use.

use super::*;

/// After this many SLOs got a copy of a template with errors, it is not filled in again: a
/// template with hundreds of problems used by thousands of SLOs would otherwise print millions
/// of repeats, slowly. Later SLOs get one short error each.
pub(super) const MAX_FAILED_USES: usize = 3;

pub(super) fn from_template(
    name_field: &Field<'_>,
    params_field: Option<&Field<'_>>,
    templates: &Registry<'_>,
    budget: &Budget,
    slo_name: &str,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    if budget.is_spent() {
        // Already reported once; filling the template again would only cost time.
        return None;
    }
    let name = name_field.non_empty(diags)?;
    let Some(template) = templates.templates.get(&name) else {
        let mut d = name_field.error(format!("unknown SLI template `{name}`"));
        d = d.help_did_you_mean(
            &name,
            templates.templates.keys().map(String::as_str),
            || "define it in a document of `kind: SLITemplate`".into(),
        );
        diags.push(d);
        return None;
    };
    let given = params_field
        .map(|f| f.string_map(diags))
        .unwrap_or_default();
    // A set, not a scan per given parameter: both lists may be 50,000 long.
    let declared: std::collections::HashSet<&str> =
        template.params.iter().map(|(p, _)| p.as_str()).collect();
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut ok = true;
    for (param, (_, span)) in &given {
        if !declared.contains(param.as_str()) {
            ok = false;
            let mut d = Diagnostic::error(format!("template `{name}` has no parameter `{param}`"))
                .at(*span);
            d = d.help_did_you_mean(
                param,
                template.params.iter().map(|(p, _)| p.as_str()),
                // Listing thousands of parameters under each of thousands of errors would print
                // gigabytes.
                || {
                    if template.params.len() > crate::diag::MAX_CANDIDATES {
                        format!(
                            "it declares {} parameters under `spec.parameters`",
                            template.params.len()
                        )
                    } else {
                        let names: Vec<&str> =
                            template.params.iter().map(|(p, _)| p.as_str()).collect();
                        format!("its parameters are {}", backticked(&names))
                    }
                },
            );
            diags.push(d);
        }
    }
    for (param, default) in &template.params {
        match given
            .get(param)
            .map(|(v, _)| v.clone())
            .or_else(|| default.clone())
        {
            Some(value) => {
                values.insert(param.clone(), value);
            }
            None => {
                ok = false;
                let at = params_field.unwrap_or(name_field);
                diags.push(
                    at.error(format!("template `{name}` needs parameter `{param}`"))
                        .help(format!("add `{param}: ...` under `params`")),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    if template.failed_uses.get() >= MAX_FAILED_USES {
        diags.push(
            name_field
                .error(format!("SLI template `{name}` is not filled in for this SLO"))
                .note(format!(
                    "it had errors in the {MAX_FAILED_USES} SLOs that used it before; they are reported there"
                ))
                .help("fix those problems first"),
        );
        return None;
    }
    // The parameter values are copied for this use too, so they count against the budget.
    let value_bytes: usize = values.iter().map(|(k, v)| 1 + k.len() + v.len()).sum();
    let filled = substitute(
        template.indicator,
        &values,
        budget.left().saturating_sub(value_bytes),
    );
    let Some((filled, weight)) = filled else {
        // More than is left: `copy` reports it.
        budget.copy(usize::MAX, name_field, diags);
        return None;
    };
    if !budget.copy(weight + value_bytes, name_field, diags) {
        return None;
    }
    let mut inner = Diagnostics::default();
    let no_templates = Registry::default();
    let result = indicator(
        &Field::new(&filled, format!("(template `{name}`).indicator")),
        &no_templates,
        budget,
        slo_name,
        &mut inner,
    );
    if inner.has_errors() {
        template.failed_uses.set(template.failed_uses.get() + 1);
    }
    for d in inner.iter() {
        diags.push(d.clone().note(format!(
            "in SLI template `{name}`, used by SLO `{slo_name}`"
        )));
    }
    result
}

/// A copy of `node` with `{{ .param }}` and `{{.param}}` replaced in every scalar, and its
/// [`Node::weight`]. Values are escaped as inside a PromQL double-quoted string: that is where
/// parameters go (`job="{{ .job }}"`), and in every other valid place (a number, a metric name)
/// escaping changes nothing. Each scalar is filled in one pass, so a value that itself contains a
/// placeholder is kept as written, not filled again.
///
/// `None` when the copy would weigh more than `limit`. The weight is checked as the copy grows,
/// so a placeholder repeated many times with a long value costs no more than `limit` to refuse.
pub(super) fn substitute(
    node: &Node,
    values: &BTreeMap<String, String>,
    limit: usize,
) -> Option<(Node, usize)> {
    let values: BTreeMap<&str, String> = values
        .iter()
        .map(|(k, v)| {
            let quoted = promql::quote(v);
            (k.as_str(), quoted[1..quoted.len() - 1].to_string())
        })
        .collect();
    let mut weight = node.weight();
    if weight > limit {
        return None;
    }
    let mut copy = node.clone();
    let mut stack = vec![&mut copy];
    while let Some(n) = stack.pop() {
        match &mut n.kind {
            NodeKind::Scalar(s) => {
                let filled = fill(&s.text, &values, limit - weight + s.text.len())?;
                weight = weight - s.text.len() + filled.len();
                s.text = filled;
            }
            NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            NodeKind::Map(entries) => stack.extend(entries.iter_mut().map(|(_, v)| v)),
            NodeKind::Null => {}
        }
    }
    Some((copy, weight))
}

/// `text` with each `{{ .name }}` or `{{.name}}` of a known name replaced by its value; `None` as
/// soon as the result is longer than `max_len`. Other `{{ ... }}` (such as `{{.window}}`) stay.
pub(super) fn fill(text: &str, values: &BTreeMap<&str, String>, max_len: usize) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match placeholder(rest).and_then(|(name, len)| Some((values.get(name)?, len))) {
            Some((value, len)) => {
                out.push_str(value);
                rest = &rest[len..];
            }
            None => {
                out.push_str("{{");
                rest = &rest[2..];
            }
        }
        if out.len() > max_len {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= max_len).then_some(out)
}

/// The placeholder `{{ .name }}` or `{{.name}}` at the start of `text`: its name and length.
pub(super) fn placeholder(text: &str) -> Option<(&str, usize)> {
    let (inner, close) = match text.strip_prefix("{{ .") {
        Some(inner) => (inner, " }}"),
        None => (text.strip_prefix("{{.")?, "}}"),
    };
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let opened = text.len() - inner.len();
    inner[end..]
        .starts_with(close)
        .then(|| (&inner[..end], opened + end + close.len()))
}

pub(super) fn template_params(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let name =
            map.required("name", diags).and_then(|f| {
                let n = f.non_empty(diags)?;
                let ok = n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && n != "window";
                if !ok {
                    diags.push(f.error(format!("`{n}` cannot be a parameter name")).help(
                        "use letters, digits and `_`; `window` is reserved for the rate window",
                    ));
                }
                ok.then_some(n)
            });
        let default = map.get("default").and_then(|f| f.string(diags));
        map.ignore(&["description"]);
        map.finish(diags);
        if let Some(name) = name {
            if !names.insert(name.clone()) {
                diags.push(item.error(format!("parameter `{name}` is declared twice")));
            } else {
                out.push((name, default));
            }
        }
    }
    out
}

/// Second-pass validation of a template document: its parameters, and its indicator with every
/// parameter replaced by its default or by `1` (valid as a label value, a number and a threshold),
/// so that PromQL and structure errors show up once, at the template.
pub(super) fn template(spec: &mut Map<'_>, budget: &Budget, diags: &mut Diagnostics) {
    spec.ignore(&["description"]);
    let params = spec
        .get("parameters")
        .map(|f| template_params(&f, diags))
        .unwrap_or_default();
    let Some(indicator_field) = spec.required("indicator", diags) else {
        return;
    };
    let values = params
        .iter()
        .map(|(p, default)| {
            (
                p.clone(),
                default.clone().unwrap_or_else(|| "1".to_string()),
            )
        })
        .collect();
    let Some((filled, weight)) = substitute(indicator_field.node, &values, budget.left()) else {
        // More than is left: `copy` reports it.
        budget.copy(usize::MAX, &indicator_field, diags);
        return;
    };
    if !budget.copy(weight, &indicator_field, diags) {
        return;
    }
    indicator(
        &Field::new(&filled, indicator_field.path.clone()),
        &Registry::default(),
        budget,
        "",
        diags,
    );
}
