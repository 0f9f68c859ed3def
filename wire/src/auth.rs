//! Authentication as it goes on the wire: [`Auth`] and the `Authorization` header value it yields,
//! the one base64 encoder of the workspace, and the header multi-tenant stores read the tenant
//! from.

use crate::Secret;

/// The header Mimir, Cortex and Loki read the tenant from.
pub const TENANT_HEADER: &str = "X-Scope-OrgID";

/// How a client authenticates to the API. No authentication by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Auth {
    #[default]
    None,
    /// HTTP basic authentication (RFC 7617).
    Basic { user: String, password: Secret },
    /// A bearer token (RFC 6750).
    Bearer(Secret),
}

impl Auth {
    /// The value of the `Authorization` header (`Basic <base64 of user:password>` or
    /// `Bearer <token>`), or `None` when nothing authenticates. It is a [`Secret`] like what it
    /// is made of.
    pub fn authorization(&self) -> Option<Secret> {
        match self {
            Auth::None => None,
            Auth::Basic { user, password } => Some(Secret::new(format!(
                "Basic {}",
                basic_credentials(user, password)
            ))),
            Auth::Bearer(token) => Some(Secret::new(format!("Bearer {}", token.expose()))),
        }
    }

    /// What this authentication puts on the wire that must not be shown: the password and the
    /// base64 of `user:password`, or the token. Empty values are left out.
    pub fn secrets(&self) -> Vec<Secret> {
        let secrets = match self {
            Auth::None => Vec::new(),
            Auth::Basic { user, password } => vec![
                password.clone(),
                Secret::new(basic_credentials(user, password)),
            ],
            Auth::Bearer(token) => vec![token.clone()],
        };
        secrets
            .into_iter()
            .filter(|s| !s.expose().is_empty())
            .collect()
    }
}

/// The base64 of `user:password`, as a basic `Authorization` header carries it.
fn basic_credentials(user: &str, password: &Secret) -> String {
    base64(format!("{user}:{}", password.expose()).as_bytes())
}

/// Standard base64 (RFC 4648, section 4) with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // A chunk of k bytes gives k + 1 characters; padding fills the group of four.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn basic_credentials_are_base64() {
        let basic = |user: &str, password: &str| {
            Auth::Basic {
                user: user.into(),
                password: Secret::new(password),
            }
            .authorization()
            .expect("a header")
            .expose()
            .to_string()
        };
        // RFC 7617's example, and each padding length.
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
        assert_eq!(basic("ab", "cd"), "Basic YWI6Y2Q=");
    }

    #[test]
    fn each_kind_yields_its_header_and_secrets() {
        let token = Auth::Bearer(Secret::new("tok"));
        assert_eq!(
            token.authorization().expect("a header").expose(),
            "Bearer tok"
        );
        assert_eq!(token.secrets(), [Secret::new("tok")]);
        assert_eq!(Auth::None.authorization(), None);
        assert!(Auth::None.secrets().is_empty());
        let basic = Auth::Basic {
            user: "u".into(),
            password: Secret::new(""),
        };
        assert_eq!(basic.secrets(), [Secret::new(base64(b"u:"))]);
        assert_eq!(
            format!("{basic:?}"),
            "Basic { user: \"u\", password: <redacted> }"
        );
    }
}
