//! The Prometheus HTTP API on the wire, as slokit's two clients speak it: the blocking CLI client
//! (`slokit::live::prometheus_api`, ureq) and the Grafana plugin's async client
//! (`grafana_backend::upstream`, reqwest). Each client owns its transport, its timeouts and its
//! error messages; everything else about the API lives here, once:
//!
//! - [`Secret`], the only type that holds a password, token or secret header value, and prints as
//!   `<redacted>`;
//! - [`auth`]: basic and bearer authentication ([`Auth`]), the `Authorization` header value it
//!   yields, the one base64 encoder, and the tenant header of multi-tenant stores;
//! - [`redact`]: URLs without user info ([`redact_url`]) and the [`Redactor`], which removes every
//!   secret in play from text a server sent back, also when the server escaped it;
//! - [`request`]: the endpoints and the form of instant and range queries;
//! - [`rules`]: the rules endpoint's groups and rules ([`RuleGroup`], [`Rule`]);
//! - [`response`]: the size limit, the API's `{"status": ..., "data": ...}` envelope, and the
//!   parsing of instant and range results into [`Sample`] and [`Series`].
//!
//! **Invariant:** redaction has one implementation, here; a client that shows text a server sent
//! passes it through its [`Redactor`] first. The crate does no I/O and depends only on
//! `serde_json`.

pub mod auth;
pub mod redact;
pub mod request;
pub mod response;
pub mod rules;
mod secret;

pub use auth::{base64, Auth, TENANT_HEADER};
pub use redact::{redact_url, Redactor};
pub use request::{format_time, instant_form, range_form, INSTANT_PATH, RANGE_PATH};
pub use response::{
    parse_instant, parse_range, read_envelope, snippet, Failure, InstantResult, Sample, Series,
    MAX_RESPONSE_BYTES,
};
pub use rules::{parse_rules, Rule, RuleGroup, RULES_PATH};
pub use secret::Secret;
