//! SLI plugins slokit does not ship. Sloth runs them as Go code, which slokit cannot do, so an SLO
//! that uses one is an error. The error shows the way out: a `slo.dev/v1` SLI template with one
//! parameter per plugin option, whose queries the user writes once in PromQL, and the SLO using it
//! with the options as parameters. `slo convert` writes that stub instead of failing, so migrating
//! a catalog that uses a team's own plugins is one command and one template to fill in.
//!
//! The stub's queries are deliberately not PromQL (they start with `TODO`), so that the converted
//! specs fail validation until someone has written what the plugin measured; a stub that loaded
//! would generate rules that measure nothing.

// YAML strings are quoted in one place for everything slokit writes.
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::decode::Field;
use crate::model::Slo;
use crate::render::emit::quoted;

/// A plugin use found while decoding, before the SLO around it is known.
pub(super) struct CustomPlugin {
    pub(super) id: String,
    pub(super) template: String,
    pub(super) params: Vec<(String, String)>,
    pub(super) diagnostic: Diagnostic,
}

/// An SLO whose SLI is a plugin slokit cannot run, with the stub that would replace the plugin.
#[derive(Clone, Debug)]
pub struct PluginStub {
    /// The SLO as decoded, with a placeholder indicator: everything but the SLI is the user's.
    pub slo: Slo,
    /// The plugin's id, as written.
    pub plugin: String,
    /// The name of the stub SLI template.
    pub template: String,
    /// The plugin's options as template parameters, `(name, value)` in the order written.
    pub params: Vec<(String, String)>,
    /// The error reported for the plugin; `slo convert` reports it as a warning instead, since it
    /// writes the stub.
    pub diagnostic: Diagnostic,
}

impl PluginStub {
    /// The SLO's `indicator` section using the stub template, as YAML lines without indentation.
    pub fn indicator_lines(&self) -> Vec<String> {
        let mut lines = vec![
            "indicator:".to_string(),
            format!("  template: {}", quoted(&self.template)),
        ];
        if !self.params.is_empty() {
            lines.push("  params:".to_string());
            for (name, value) in &self.params {
                lines.push(format!("    {name}: {}", quoted(value)));
            }
        }
        lines
    }
}

/// The error for plugin `id`, pushed at its `id` field, and what the stub needs.
pub(super) fn custom_plugin(
    id: &str,
    at: &Field<'_>,
    options: Vec<super::sli_plugins::OptionValue<'_>>,
    diags: &mut Diagnostics,
) -> CustomPlugin {
    let template = template_name(id);
    let mut params: Vec<(String, String)> = Vec::new();
    for option in options {
        let name = parameter_name(&option.name);
        if !params.iter().any(|(n, _)| *n == name) {
            params.push((name, option.text));
        }
    }
    let names: Vec<(&str, Option<&str>)> = params.iter().map(|(n, _)| (n.as_str(), None)).collect();
    let shown: String = template_yaml(id, &template, &names)
        .lines()
        .map(|line| format!("\n        {line}"))
        .collect();
    let diagnostic = at
        .error(format!(
            "SLI plugin `{id}` cannot run in slokit: it is Go code, and slokit does not run Go code"
        ))
        .note("slokit ships the sloth-common plugins under their own ids; any other plugin has to be written as PromQL once")
        .help(format!(
            "replace the plugin with an SLI template that counts the same events, and use it as `indicator: {{template: {template}, params: ...}}`; `slo convert` writes this stub and the SLO using it:{shown}"
        ));
    diags.push(diagnostic.clone());
    CustomPlugin {
        id: id.to_string(),
        template,
        params,
        diagnostic,
    }
}

/// `lokalise/http-error-rate` becomes `sloth-lokalise-http-error-rate`: letters, digits and
/// dashes, so the name can be used in files and uids.
fn template_name(id: &str) -> String {
    let mut name = String::from("sloth");
    for part in id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        name.push('-');
        name.push_str(&part.to_ascii_lowercase());
    }
    name.truncate(63);
    name
}

/// Template parameters are letters, digits and `_`; `window` is the rate window's placeholder.
fn parameter_name(option: &str) -> String {
    let mut name: String = option
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name == "window" {
        name.insert_str(0, "option_");
    }
    name
}

/// The stub `SLITemplate` for `plugin`: one parameter per option (with a default when given),
/// and queries that name the parameters but are not PromQL yet.
pub fn template_yaml(plugin: &str, template: &str, params: &[(&str, Option<&str>)]) -> String {
    let uses = if params.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = params
            .iter()
            .map(|(p, _)| format!("{{{{ .{p} }}}}"))
            .collect();
        format!(", using {}", list.join(", "))
    };
    let mut out = format!(
        "apiVersion: slo.dev/v1\nkind: SLITemplate\nmetadata:\n  name: {}\nspec:\n  description: {}\n",
        quoted(template),
        quoted(&format!(
            "Replaces the Sloth SLI plugin `{plugin}`: write the PromQL it computed in both queries"
        ))
    );
    if !params.is_empty() {
        out.push_str("  parameters:\n");
        for (param, default) in params {
            match default {
                Some(default) => out.push_str(&format!(
                    "  - name: {param}\n    default: {}\n",
                    quoted(default)
                )),
                None => out.push_str(&format!("  - name: {param}\n")),
            }
        }
    }
    out.push_str(&format!(
        "  indicator:\n    type: ratio\n    ratio:\n      bad:\n        query: {}\n      total:\n        query: {}\n",
        quoted(&format!("TODO: the rate of bad events over {{{{.window}}}}{uses}")),
        quoted(&format!("TODO: the rate of all events over {{{{.window}}}}{uses}")),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::{parameter_name, template_name};

    #[test]
    fn names_are_safe() {
        assert_eq!(
            template_name("lokalise/http-error-rate"),
            "sloth-lokalise-http-error-rate"
        );
        assert_eq!(
            template_name("getting_started_availability"),
            "sloth-getting-started-availability"
        );
        assert_eq!(parameter_name("metric-name"), "metric_name");
        assert_eq!(parameter_name("window"), "option_window");
    }
}
