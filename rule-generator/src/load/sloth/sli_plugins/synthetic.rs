//! Plugins that measure nothing real, for trying alerts out: `fake` burns the error budget at a
//! chosen rate, `noop` never burns it. Their error ratio is a constant, so they stay `raw` SLIs.

use super::{Options, Plugin};
use crate::diag::Diagnostics;
use crate::load::common::trim_float;
use crate::model::{Indicator, WindowQuery};

/// A constant error ratio that burns the budget `burn_rate` times as fast as the objective
/// allows, optionally with pseudo-random noise of `jitter_percent` percent around it.
pub(super) const FAKE: Plugin = Plugin {
    id: "sloth-common/fake",
    options: &["burn_rate", "jitter_percent"],
    build: fake,
};

fn number(options: &Options<'_>, name: &str, diags: &mut Diagnostics) -> Option<Option<f64>> {
    let Some((text, field)) = options.get(name) else {
        return Some(None);
    };
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Some(Some(value)),
        _ => {
            diags.push(
                field
                    .error(format!("`{name}` `{text}` is not a number"))
                    .help("write a number such as `\"2\"`"),
            );
            None
        }
    }
}

fn fake(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let burn_rate = options
        .required("burn_rate", diags)
        .and_then(|_| number(options, "burn_rate", diags).flatten());
    let jitter = number(options, "jitter_percent", diags)?;
    let burn_rate = burn_rate?;
    // The objective is checked by the SLO; without a valid one there is nothing to build.
    let objective = options.objective?;
    // The original prints the ratio with six decimals, which rounds tiny ratios (a 0.5x burn of
    // a 99.9999% objective becomes 0.000001); the ratio the options ask for is kept exact here.
    let ratio = trim_float((1.0 - objective) * burn_rate);
    let base = format!(
        "max_over_time(vector({ratio})[{}:])",
        crate::conventions::WINDOW_PLACEHOLDER
    );
    let template = match jitter.filter(|j| *j > 0.0) {
        None => base,
        Some(jitter) => {
            // `time() * minute() * hour() * day_of_week() * month()` modulo twice the jitter
            // moves around in [0, 2J); subtracting it from J gives noise in (-J, J] percent.
            let double = trim_float(2.0 * jitter);
            let jitter = trim_float(jitter);
            format!(
                "({base}) - (({ratio} * ({jitter} - ((time() * minute() * hour() * day_of_week() * month()) % {double}))) / 100)"
            )
        }
    };
    Some(Indicator::Raw {
        error_ratio: WindowQuery { template },
    })
}

/// Always 0: no request ever fails. Its id is written with an underscore, `sloth_common`, unlike
/// every other plugin of the library.
pub(super) const NOOP: Plugin = Plugin {
    id: "sloth_common/noop",
    options: &[],
    build: noop,
};

fn noop(_: &Options<'_>, _: &mut Diagnostics) -> Option<Indicator> {
    Some(Indicator::Raw {
        error_ratio: WindowQuery {
            template: format!(
                "max_over_time(vector(0)[{}:])",
                crate::conventions::WINDOW_PLACEHOLDER
            ),
        },
    })
}
