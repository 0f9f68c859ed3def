//! The rules endpoint (`GET /api/v1/rules`): the rule groups a server evaluates, each with the file
//! it was loaded from, and each rule with its kind, name, expression and labels. `slo inventory`
//! reads SLO rule sets from it.

use serde_json::Value;
use std::collections::BTreeMap;

/// The rules endpoint, below the base URL.
pub const RULES_PATH: &str = "/api/v1/rules";

/// One rule group as the server reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    /// The rule file the group came from (empty where the server does not say, as some
    /// multi-tenant stores do not).
    pub file: String,
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `true` for an alerting rule, `false` for a recording rule.
    pub alerting: bool,
    /// The recorded series or the alert's name.
    pub name: String,
    /// The PromQL expression.
    pub query: String,
    pub labels: BTreeMap<String, String>,
}

/// The `data` of the rules endpoint: `{"groups": [{name, file, rules: [{type, name, query,
/// labels}]}]}`. Fields the endpoint adds (health, evaluation times, alerts) are ignored. The
/// reason for a failure is fixed text, never text from the body.
pub fn parse_rules(data: &Value) -> Result<Vec<RuleGroup>, String> {
    let groups = data
        .get("groups")
        .and_then(Value::as_array)
        .ok_or("`data.groups` is not a list")?;
    groups
        .iter()
        .map(|group| {
            let text = |key: &str| group.get(key).and_then(Value::as_str).unwrap_or_default();
            let rules = group
                .get("rules")
                .and_then(Value::as_array)
                .ok_or("a rule group has no `rules` list")?
                .iter()
                .map(rule)
                .collect::<Result<_, String>>()?;
            Ok(RuleGroup {
                name: text("name").to_string(),
                file: text("file").to_string(),
                rules,
            })
        })
        .collect()
}

fn rule(item: &Value) -> Result<Rule, String> {
    let text = |key: &str| item.get(key).and_then(Value::as_str);
    let alerting = match text("type") {
        Some("alerting") => true,
        Some("recording") => false,
        _ => return Err("a rule's `type` is not `alerting` or `recording`".into()),
    };
    let labels = item
        .get("labels")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Rule {
        alerting,
        name: text("name").ok_or("a rule has no `name`")?.to_string(),
        query: text("query").ok_or("a rule has no `query`")?.to_string(),
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_rules_parse_and_extra_fields_are_ignored() {
        let data: Value = serde_json::from_str(
            r#"{"groups": [{"name": "g", "file": "/rules/a.yml", "interval": 30, "rules": [
                {"type": "recording", "name": "slo:objective:ratio", "query": "vector(0.999)", "labels": {"sloth_slo": "x"}, "health": "ok"},
                {"type": "alerting", "name": "High", "query": "up == 0", "duration": 60, "alerts": []}
            ]}]}"#,
        )
        .unwrap();
        let groups = parse_rules(&data).unwrap();
        assert_eq!(groups[0].file, "/rules/a.yml");
        assert_eq!(groups[0].rules[0].labels["sloth_slo"], "x");
        assert!(groups[0].rules[1].alerting && groups[0].rules[1].labels.is_empty());
        assert_eq!(
            parse_rules(&serde_json::json!({"groups": [{"rules": [{"type": "x"}]}]})),
            Err("a rule's `type` is not `alerting` or `recording`".to_string())
        );
        assert!(parse_rules(&serde_json::json!({})).is_err());
    }
}
