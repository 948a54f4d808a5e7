//! A connection pooler in front of PostgreSQL (PgBouncer, RDS Proxy, Supavisor, Neon's): the
//! `pooler=` and `listen_url=` parameters of a PostgreSQL URL, which the library reads and
//! removes before the driver sees the URL (see `docs/backends.md` and decision 0020).

use std::fmt;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

use crate::error::{Error, Result};

/// What sits between the store and PostgreSQL, and so which session state it may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pooler {
    /// Nothing (`pooler=none`, the default): named prepared statements cached per
    /// connection, settings sent as startup parameters, LISTEN on a pool connection.
    #[default]
    None,
    /// A pooler in session mode (`pooler=session`): each client connection keeps one server
    /// connection, but the pooler refuses unknown startup parameters, so settings are `SET`
    /// after connecting instead.
    Session,
    /// A pooler in transaction mode (`pooler=transaction`): a server connection serves one
    /// transaction at a time, for any client. Every statement runs unnamed inside a transaction
    /// (its own, or the caller's), settings are `SET LOCAL` in each transaction, and LISTEN
    /// runs only on a direct `listen_url` (else wake-ups come from local pushes and polling).
    Transaction,
}

impl Pooler {
    /// The URL parameter value: `none`, `session` or `transaction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pooler::None => "none",
            Pooler::Session => "session",
            Pooler::Transaction => "transaction",
        }
    }

    /// True when a pooler sits in front of the server, so unknown startup parameters are
    /// refused.
    pub(crate) fn any(self) -> bool {
        self != Pooler::None
    }
}

impl fmt::Display for Pooler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Pooler::from_str`]: the value given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pooler `{0}`: expected `none`, `session` or `transaction`")]
pub struct UnknownPooler(pub String);

impl FromStr for Pooler {
    type Err = UnknownPooler;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Pooler::None),
            "session" => Ok(Pooler::Session),
            "transaction" => Ok(Pooler::Transaction),
            _ => Err(UnknownPooler(s.to_owned())),
        }
    }
}

/// What a PostgreSQL URL says about a pooler, once its own parameters are taken out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pooling {
    /// `pooler=`: none, session or transaction.
    pub pooler: Pooler,
    /// `listen_url=` (percent-encoded in the URL): a direct PostgreSQL URL for LISTEN, which
    /// a transaction-mode pooler cannot carry.
    pub listen_url: Option<String>,
}

/// Splits `url` into the URL the driver gets (without `pooler=` and `listen_url=`) and what
/// those parameters say. `redacted` names the URL in errors.
pub(crate) fn take_params(url: &str, redacted: &dyn Fn() -> String) -> Result<(String, Pooling)> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: redacted(),
        reason,
    };
    let (head, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let Some((base, query)) = head.split_once('?') else {
        return Ok((url.to_owned(), Pooling::default()));
    };
    let mut pooling = Pooling::default();
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = || {
            percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|e| invalid(format!("`{key}` is not UTF-8 once decoded: {e}")))
        };
        match key {
            "pooler" => pooling.pooler = value()?.parse().map_err(|e| invalid(format!("{e}")))?,
            "listen_url" => {
                let listen = value()?;
                if !matches!(listen.split_once("://"), Some((s, _)) if s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql"))
                {
                    return Err(invalid(
                        "`listen_url` must be a percent-encoded `postgres://…` URL".into(),
                    ));
                }
                pooling.listen_url = Some(listen);
            }
            _ => kept.push(pair),
        }
    }
    let mut rest = base.to_owned();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        rest.push('#');
        rest.push_str(fragment);
    }
    Ok((rest, pooling))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(url: &str) -> Result<(String, Pooling)> {
        take_params(url, &|| url.to_owned())
    }

    #[test]
    fn parameters_are_read_and_removed() {
        let (rest, p) =
            take("postgres://u@h:6432/app?sslmode=disable&pooler=transaction&application_name=x")
                .unwrap();
        assert_eq!(
            rest,
            "postgres://u@h:6432/app?sslmode=disable&application_name=x"
        );
        assert_eq!(p.pooler, Pooler::Transaction);
        assert_eq!(p.listen_url, None);

        let (rest, p) = take(
            "postgres://u@h:6432/app?pooler=Transaction&listen_url=postgres%3A%2F%2Fu%40h%3A5432%2Fapp",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h:6432/app");
        assert_eq!(p.pooler, Pooler::Transaction);
        assert_eq!(p.listen_url.as_deref(), Some("postgres://u@h:5432/app"));

        let (rest, p) = take("postgres://u@h/app?pooler=session").unwrap();
        assert_eq!(
            (rest.as_str(), p.pooler),
            ("postgres://u@h/app", Pooler::Session)
        );
        let (rest, p) = take("postgres://u@h/app").unwrap();
        assert_eq!(
            (rest.as_str(), p),
            ("postgres://u@h/app", Pooling::default())
        );
    }

    #[test]
    fn bad_values_are_invalid_urls() {
        for bad in [
            "postgres://h/app?pooler=statement",
            "postgres://h/app?pooler=yes",
            "postgres://h/app?listen_url=mysql%3A%2F%2Fh%2Fapp",
            "postgres://h/app?listen_url=%FF",
        ] {
            assert!(
                matches!(take(bad), Err(Error::InvalidUrl { .. })),
                "{bad}: {:?}",
                take(bad)
            );
        }
        let msg = take("postgres://h/app?pooler=statement")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`statement`") && msg.contains("transaction"),
            "{msg}"
        );
    }

    #[test]
    fn values_round_trip() {
        for p in [Pooler::None, Pooler::Session, Pooler::Transaction] {
            assert_eq!(p.as_str().parse::<Pooler>(), Ok(p));
        }
    }
}
