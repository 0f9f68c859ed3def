//! Prometheus durations (`5m`, `1h30m`, `30d`), parsed strictly and printed canonically. The model
//! holds [`Duration`] values; only rendering turns them back into text.

use std::fmt;

/// A whole number of milliseconds, the resolution Prometheus uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl Duration {
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }

    pub const fn from_secs(s: u64) -> Duration {
        Duration(s * 1_000)
    }

    pub const fn from_mins(m: u64) -> Duration {
        Duration(m * 60_000)
    }

    pub const fn from_hours(h: u64) -> Duration {
        Duration(h * 3_600_000)
    }

    pub const fn from_days(d: u64) -> Duration {
        Duration(d * 24 * 3_600_000)
    }

    pub const fn millis(self) -> u64 {
        self.0
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    pub fn minutes_f64(self) -> f64 {
        self.0 as f64 / 60_000.0
    }

    /// Parses Prometheus duration syntax: one or more `<integer><unit>` with units in decreasing
    /// order, each at most once. The error says what was expected.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty duration".into());
        }
        let bytes = text.as_bytes();
        let mut total: u64 = 0;
        let mut i = 0;
        let mut last_unit = usize::MAX;
        while i < bytes.len() {
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits_start {
                return Err(format!("`{text}` is not a duration"));
            }
            let number: u64 = text[digits_start..i]
                .parse()
                .map_err(|_| format!("`{text}` is too large"))?;
            let unit_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &text[unit_start..i];
            let Some(position) = UNITS.iter().position(|(u, _)| *u == unit) else {
                return Err(if unit.is_empty() {
                    format!("`{text}` has no unit")
                } else {
                    format!("`{unit}` is not a duration unit")
                });
            };
            if last_unit != usize::MAX && position <= last_unit {
                return Err(format!(
                    "units in `{text}` must go from largest to smallest, each once"
                ));
            }
            last_unit = position;
            total = number
                .checked_mul(UNITS[position].1)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("`{text}` is too large"))?;
        }
        if total == 0 {
            return Err("duration must be greater than zero".into());
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    /// Days are the largest unit printed (`30d`, not `4w2d`), which reads best in series names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, size) in UNITS.iter().skip(2) {
            if rest >= *size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Duration;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = Duration::parse(input).map(|d| d.to_string());
        assert_eq!(
            got.as_deref().map_err(String::as_str),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn parses_and_prints_canonically() {
        check("5m", Ok("5m"));
        check("1h30m", Ok("1h30m"));
        check("90m", Ok("1h30m"));
        check("4w", Ok("28d"));
        check("30d", Ok("30d"));
        check("1y", Ok("365d"));
        check("1500ms", Ok("1s500ms"));
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        check("", Err("empty duration"));
        check("5", Err("`5` has no unit"));
        check("5x", Err("`x` is not a duration unit"));
        check("m5", Err("`m5` is not a duration"));
        check(
            "5m1h",
            Err("units in `5m1h` must go from largest to smallest, each once"),
        );
        check("0s", Err("duration must be greater than zero"));
        check(
            "99999999999999999999d",
            Err("`99999999999999999999d` is too large"),
        );
    }
}
