//! Keeping secrets out of what is shown: URLs without their user info, and the [`Redactor`], which
//! removes every secret in play from text a server sent back (an error page, an error message)
//! before a client shows it. Servers and proxies echo requests back, headers included, and often
//! not as sent: percent-encoded in a URL, or escaped inside a JSON string. The redactor finds a
//! secret in any of those spellings.

use std::fmt;

use crate::{Auth, Secret};

/// What a secret is replaced with.
const REDACTED: &str = "<redacted>";

/// The URL with any user info removed: `https://user:pass@host/x` → `https://host/x`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match scheme {
        Some(s) => format!("{s}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

/// Replaces every secret it was given with `<redacted>`, wherever it occurs in a text.
///
/// A secret is found however each of its bytes is written: as itself, percent-encoded (`%2F` or
/// `%2f`, and `+` for a space, as in URLs and forms), or JSON-escaped (`\"`, `\\`, `\/`, `\n`
/// and the other short escapes, `\u00e9`, and surrogate pairs). Every byte of the text that is
/// part of an occurrence of any secret is covered: overlapping occurrences (a secret inside
/// another, as a password inside the base64 of `user:password`) become one `<redacted>`, so the
/// longest reading always wins and no part of a secret is left showing. Empty secrets are ignored.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Distinct, non-empty, longest first.
    secrets: Vec<Secret>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor for `secrets`.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Adds one secret.
    pub fn add(&mut self, secret: &Secret) {
        if secret.expose().is_empty() || self.secrets.contains(secret) {
            return;
        }
        self.secrets.push(secret.clone());
        self.secrets
            .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
    }

    /// Adds what `auth` sends: the password and the base64 of `user:password`, or the token.
    pub fn add_auth(&mut self, auth: &Auth) {
        for secret in auth.secrets() {
            self.add(&secret);
        }
    }

    /// `text` with every secret replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        // The bytes an occurrence can start with, so that most bytes are passed over at once.
        let mut starts = [false; 256];
        for secret in &self.secrets {
            for byte in 0..=255u8 {
                starts[usize::from(byte)] |= could_start(byte, secret.expose().as_bytes()[0]);
            }
        }
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
        // The end of the occurrence being covered, while inside one.
        let mut covered_to: Option<usize> = None;
        for start in 0..bytes.len() {
            let end = if starts[usize::from(bytes[start])] {
                self.longest_at(bytes, start)
            } else {
                None
            };
            match (covered_to, end) {
                (Some(to), Some(end)) if start < to => covered_to = Some(to.max(end)),
                (Some(to), _) if start < to => {}
                (_, Some(end)) => {
                    out.extend_from_slice(REDACTED.as_bytes());
                    covered_to = Some(end);
                }
                (_, None) => {
                    covered_to = None;
                    out.push(bytes[start]);
                }
            }
        }
        // Occurrences start and end on character boundaries (see `occurrence_end`), so this is
        // UTF-8; the lossy conversion is a guard, not a path.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The end of the longest occurrence of a secret that starts at `start`, if any.
    fn longest_at(&self, text: &[u8], start: usize) -> Option<usize> {
        self.secrets
            .iter()
            .map(|secret| secret.expose().as_bytes())
            .filter(|secret| could_start(text[start], secret[0]))
            .filter_map(|secret| occurrence_end(text, start, secret))
            .max()
    }
}

/// Whether an occurrence of a secret whose first byte is `first` can start with `byte`: the byte
/// itself, or the start of an escape.
fn could_start(byte: u8, first: u8) -> bool {
    byte == first || byte == b'%' || byte == b'\\' || (byte == b'+' && first == b' ')
}

/// Where an occurrence of `secret` that starts at `start` ends, if there is one. Each byte of the
/// secret may be written as itself or as an escape ([`escape_at`]); where the text's byte both
/// equals the secret's and starts an escape (a `%` in a password), both readings are tried.
///
/// Occurrences start and end on character boundaries of a UTF-8 text: the secret is UTF-8, an
/// escape is ASCII, and a continuation byte in the text only ever follows its own leading byte.
fn occurrence_end(text: &[u8], start: usize, secret: &[u8]) -> Option<usize> {
    let (mut at, mut matched) = (start, 0);
    while matched < secret.len() {
        let byte = *text.get(at)?;
        let Some((decoded, length)) = escape_at(text, at) else {
            if byte != secret[matched] {
                return None;
            }
            at += 1;
            matched += 1;
            continue;
        };
        if byte == secret[matched] {
            if let Some(end) = occurrence_end(text, at + 1, &secret[matched + 1..]) {
                return Some(end);
            }
        }
        if !secret[matched..].starts_with(decoded.as_slice()) {
            return None;
        }
        at += length;
        matched += decoded.len();
    }
    Some(at)
}

/// The bytes an escape at `at` stands for, and its length in the text: `%hh` (either case), `+`
/// (a space in URL forms), or a JSON string escape.
fn escape_at(text: &[u8], at: usize) -> Option<(Decoded, usize)> {
    match text[at] {
        b'%' => Some((Decoded::byte(hex_byte(text.get(at + 1..at + 3)?)?), 3)),
        b'+' => Some((Decoded::byte(b' '), 1)),
        b'\\' => json_escape(&text[at + 1..]).map(|(decoded, length)| (decoded, length + 1)),
        _ => None,
    }
}

/// The bytes of a JSON escape after its backslash, and the escape's length after the backslash.
fn json_escape(text: &[u8]) -> Option<(Decoded, usize)> {
    let short = match *text.first()? {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let unit = hex_unit(text.get(1..5)?)?;
            if !(0xD800..0xDC00).contains(&unit) {
                return Some((Decoded::char(char::from_u32(unit)?), 5));
            }
            // A high surrogate, which needs its low half: `\ud83d\ude00`.
            if text.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex_unit(text.get(7..11)?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            return Some((Decoded::char(char::from_u32(code)?), 11));
        }
        _ => return None,
    };
    Some((Decoded::byte(short), 1))
}

fn hex_digit(byte: u8) -> Option<u32> {
    char::from(byte).to_digit(16)
}

/// `2F` or `2f` → 0x2F.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let [high, low] = digits else { return None };
    Some((hex_digit(*high)? * 16 + hex_digit(*low)?) as u8)
}

/// `00e9` → 0xE9.
fn hex_unit(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |unit, d| Some(unit * 16 + hex_digit(*d)?))
        .filter(|_| digits.len() == 4)
}

/// The one to four bytes an escape stands for.
struct Decoded {
    bytes: [u8; 4],
    length: usize,
}

impl Decoded {
    fn byte(byte: u8) -> Decoded {
        Decoded {
            bytes: [byte, 0, 0, 0],
            length: 1,
        }
    }

    fn char(c: char) -> Decoded {
        let mut bytes = [0; 4];
        let length = c.encode_utf8(&mut bytes).len();
        Decoded { bytes, length }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.length]
    }

    fn len(&self) -> usize {
        self.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor_of(secrets: &[&str]) -> Redactor {
        let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::new(*s)).collect();
        Redactor::new(&secrets)
    }

    #[test]
    fn urls_lose_their_user_info() {
        assert_eq!(
            redact_url("https://u:p@mimir.example/prometheus"),
            "https://mimir.example/prometheus"
        );
        assert_eq!(redact_url("http://127.0.0.1:9090"), "http://127.0.0.1:9090");
        assert_eq!(redact_url("a:b@host"), "host");
    }

    #[test]
    fn secrets_are_redacted_longest_first() {
        let mut redactor = redactor_of(&["token-1", "token-12", "pw", "url-pw", ""]);
        let basic = Auth::Basic {
            user: "grafana".into(),
            password: Secret::new("pw"),
        };
        redactor.add_auth(&basic);
        let header = basic.authorization().expect("a header");
        let echoed = format!(
            "authorization: {}; x-key: token-12; bearer token-1; url-pw; pw",
            header.expose()
        );
        assert_eq!(
            redactor.redact(&echoed),
            "authorization: Basic <redacted>; x-key: <redacted>; bearer <redacted>; <redacted>; <redacted>"
        );
        assert_eq!(redactor.redact("nothing here"), "nothing here");
        assert_eq!(Redactor::default().redact("pw"), "pw");
    }

    /// A secret that partly overlaps another is covered whole, and `<redacted>` itself is never
    /// searched (a secret `red` does not turn it into `<<redacted>acted>`).
    #[test]
    fn overlapping_occurrences_become_one() {
        let redactor = redactor_of(&["abcd", "xab", "red"]);
        assert_eq!(redactor.redact("1xabcd2"), "1<redacted>2");
        assert_eq!(redactor.redact("abcd red abc"), "<redacted> <redacted> abc");
    }

    #[test]
    fn url_encoded_copies_are_redacted() {
        let redactor = redactor_of(&["p@ss/w rd+é"]);
        for echoed in [
            "p%40ss%2Fw%20rd%2B%C3%A9",
            "p%40ss%2fw+rd%2b%c3%a9",
            // Encoded everywhere, as some encoders do.
            "%70%40%73%73%2F%77%20%72%64%2B%C3%A9",
        ] {
            assert_eq!(
                redactor.redact(&format!("GET /?password={echoed}&x=1")),
                "GET /?password=<redacted>&x=1",
                "{echoed}"
            );
        }
        // A `%` of the secret, written as itself or encoded.
        assert_eq!(
            redactor_of(&["a%b"]).redact("a%b a%25b"),
            "<redacted> <redacted>"
        );
    }

    #[test]
    fn json_escaped_copies_are_redacted() {
        let redactor = redactor_of(&["q\"uo\\te/é<&>😀\n"]);
        for echoed in [
            // serde_json and most encoders.
            r#"q\"uo\\te/é<&>😀\n"#,
            // Go's encoding/json escapes <, > and &; others escape `/` and everything non-ASCII.
            r#"q\"uo\\te\/\u00e9\u003c\u0026\u003e\ud83d\ude00\u000a"#,
            r#"q\u0022uo\u005Cte/\u00E9<&>\uD83D\uDE00\n"#,
        ] {
            assert_eq!(
                redactor.redact(&format!(r#"{{"error":"header {echoed} rejected"}}"#)),
                r#"{"error":"header <redacted> rejected"}"#,
                "{echoed}"
            );
        }
        // A lone surrogate stands for nothing, so nothing matches.
        assert_eq!(redactor.redact(r"\ud83d"), r"\ud83d");
    }

    #[test]
    fn escaped_base64_credentials_are_redacted() {
        let mut redactor = Redactor::default();
        // `u:>>>?` encodes to `dTo+Pj4/`: its `+` is itself, not a space.
        redactor.add_auth(&Auth::Basic {
            user: "u".into(),
            password: Secret::new(">>>?"),
        });
        let credentials = crate::base64(b"u:>>>?");
        assert_eq!(credentials, "dTo+Pj4/");
        assert_eq!(
            redactor.redact(&format!("Basic {credentials}")),
            "Basic <redacted>"
        );
        let escaped = credentials.replace('+', "%2B").replace('/', "\\/");
        assert_eq!(redactor.redact(&escaped), "<redacted>");
    }

    #[test]
    fn text_around_secrets_is_kept_whole() {
        let redactor = redactor_of(&["é"]);
        assert_eq!(
            redactor.redact("aéb%C3%A9c\\u00e9"),
            "a<redacted>b<redacted>c<redacted>"
        );
        assert_eq!(
            redactor.redact("%C3 % %zz \\x \\u12"),
            "%C3 % %zz \\x \\u12"
        );
        assert_eq!(format!("{redactor:?}"), "Redactor(1 secrets)");
    }
}
