//! What a query sends: the endpoints below the API's base URL and their forms. Both clients POST
//! the form, since a query over many SLOs can outgrow a URL.

/// The instant-query endpoint, below the base URL.
pub const INSTANT_PATH: &str = "/api/v1/query";

/// The range-query endpoint, below the base URL.
pub const RANGE_PATH: &str = "/api/v1/query_range";

/// The form of an instant query at `time` (Unix seconds), or at the server's now.
pub fn instant_form(expr: &str, time: Option<f64>) -> Vec<(&'static str, String)> {
    let mut form = vec![("query", expr.to_string())];
    if let Some(time) = time {
        form.push(("time", format_time(time)));
    }
    form
}

/// The form of a range query over `[start, end]` every `step` seconds.
pub fn range_form(expr: &str, start: f64, end: f64, step: f64) -> Vec<(&'static str, String)> {
    vec![
        ("query", expr.to_string()),
        ("start", format_time(start)),
        ("end", format_time(end)),
        ("step", format_time(step)),
    ]
}

/// Seconds as the API reads them: whole seconds without a fraction, others to the millisecond,
/// the API's own resolution (Prometheus rounds times to milliseconds).
pub fn format_time(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{}", seconds as i64)
    } else {
        format!("{seconds:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_whole_or_milliseconds() {
        assert_eq!(format_time(10.0), "10");
        assert_eq!(format_time(1_700_000_000.5), "1700000000.500");
        assert_eq!(format_time(1_700_000_000.123_456), "1700000000.123");
        assert_eq!(
            instant_form("up", Some(10.0)),
            [("query", "up".to_string()), ("time", "10".to_string())]
        );
        assert_eq!(instant_form("up", None).len(), 1);
        assert_eq!(
            range_form("up", 0.0, 60.0, 15.0)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["query=up", "start=0", "end=60", "step=15"]
        );
    }
}
