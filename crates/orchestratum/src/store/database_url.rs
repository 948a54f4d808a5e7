//! Database URL → backend, with clear errors for malformed URLs and unknown schemes.

use crate::error::{Error, Result};

/// The backend a URL names, with its parsed connection options.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    /// `postgres://` or `postgresql://`, with what its `pooler=` and `listen_url=` say.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions, super::pooler::Pooling),
    /// `sqlite:` (a file path, `?mode=rwc` to create it).
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
    /// `mysql://` or `mariadb://` (one driver serves both servers).
    #[cfg(feature = "mysql")]
    MySql(sqlx::mysql::MySqlConnectOptions),
}

/// The schemes this build accepts, for error messages.
const SUPPORTED: &str = match (
    cfg!(feature = "postgres"),
    cfg!(feature = "mysql"),
    cfg!(feature = "sqlite"),
) {
    (true, true, true) => "postgres, postgresql, mysql, mariadb, sqlite",
    (true, true, false) => "postgres, postgresql, mysql, mariadb",
    (true, false, true) => "postgres, postgresql, sqlite",
    (true, false, false) => "postgres, postgresql",
    (false, true, true) => "mysql, mariadb, sqlite",
    (false, true, false) => "mysql, mariadb",
    (false, false, _) => "sqlite",
};

impl DatabaseUrl {
    /// Parses `url`; never panics, whatever the input.
    pub fn parse(url: &str) -> Result<Self> {
        let Some((scheme, _)) = url.split_once(':') else {
            return Err(Error::InvalidUrl {
                url: redact(url),
                reason: "expected `scheme://…`, e.g. `postgres://localhost/app`, `mysql://localhost/app` or `sqlite://orch.db?mode=rwc`".into(),
            });
        };
        let invalid = |e: sqlx::Error| Error::InvalidUrl {
            url: redact(url),
            reason: e.to_string(),
        };
        match scheme.to_ascii_lowercase().as_str() {
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                let (rest, pooling) = super::pooler::take_params(url, &|| redact(url))?;
                if let Some(listen) = &pooling.listen_url {
                    listen
                        .parse::<sqlx::postgres::PgConnectOptions>()
                        .map_err(|e| Error::InvalidUrl {
                            url: redact(url),
                            reason: format!("`listen_url` {}: {e}", redact(listen)),
                        })?;
                }
                rest.parse()
                    .map(|o| Self::Postgres(o, pooling))
                    .map_err(invalid)
            }
            #[cfg(feature = "sqlite")]
            "sqlite" => url.parse().map(Self::Sqlite).map_err(invalid),
            // sqlx knows only `mysql://`; MariaDB speaks the same protocol.
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => format!("mysql{}", &url[scheme.len()..])
                .parse()
                .map(Self::MySql)
                .map_err(invalid),
            other => Err(Error::UnsupportedScheme {
                scheme: other.to_owned(),
                supported: SUPPORTED,
            }),
        }
    }
}

/// The URL with its password (if any) replaced by `***`, safe to log; works on malformed URLs.
/// A `listen_url=` parameter (a URL inside the URL) is shown decoded, its password redacted too.
pub fn redact(url: &str) -> String {
    let url = match url.split_once("listen_url=") {
        Some((head, tail)) => {
            let end = tail.find(['&', '#']).unwrap_or(tail.len());
            let inner = percent_encoding::percent_decode_str(&tail[..end]).decode_utf8_lossy();
            format!("{head}listen_url={}{}", redact_one(&inner), &tail[end..])
        }
        None => url.to_owned(),
    };
    redact_one(&url)
}

fn redact_one(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some((user, _password)) = rest[..at].split_once(':')
        {
            return format!("{scheme}://{user}:***{}", &rest[at..]);
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scheme_is_named() {
        match DatabaseUrl::parse("oracle://db/x") {
            Err(Error::UnsupportedScheme { scheme, .. }) => assert_eq!(scheme, "oracle"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        for bad in [
            "",
            "no scheme here",
            "postgres://user:pw@[::1",
            "postgres://h:notaport/db",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(bad), Err(Error::InvalidUrl { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn password_is_redacted() {
        let msg = DatabaseUrl::parse("postgres://u:secret@h:notaport/db")
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("secret"), "{msg}");
        assert_eq!(
            redact("postgres://u:pw@h/db?x=1"),
            "postgres://u:***@h/db?x=1"
        );
        assert_eq!(redact("sqlite://orch.db"), "sqlite://orch.db");
        assert_eq!(
            redact(
                "postgres://u:pw@h/db?pooler=transaction&listen_url=postgres%3A%2F%2Fu%3Asecret%40d%2Fdb&x=1"
            ),
            "postgres://u:***@h/db?pooler=transaction&listen_url=postgres://u:***@d/db&x=1"
        );
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn pooler_parameters_leave_the_postgres_url() {
        match DatabaseUrl::parse("postgres://u@h:6432/app?pooler=transaction&sslmode=disable") {
            Ok(DatabaseUrl::Postgres(_, pooling)) => {
                assert_eq!(pooling.pooler, super::super::pooler::Pooler::Transaction)
            }
            other => panic!("{other:?}"),
        }
        let msg = DatabaseUrl::parse("postgres://u:secret@h/app?pooler=statement")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("statement") && !msg.contains("secret"),
            "{msg}"
        );
        let msg = DatabaseUrl::parse(
            "postgres://h/app?listen_url=postgres%3A%2F%2Fu%3Asecret%40h%3Anotaport%2Fapp",
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("listen_url") && !msg.contains("secret"),
            "{msg}"
        );
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn mysql_and_mariadb_urls_parse() {
        for url in [
            "mysql://root@127.0.0.1:3306/app",
            "mariadb://root@127.0.0.1:3306/app",
            "MariaDB://u:pw@db/app?ssl-mode=disabled",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(url), Ok(DatabaseUrl::MySql(_))),
                "{url}"
            );
        }
        let msg = DatabaseUrl::parse("mariadb://u:secret@h:notaport/db")
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("mariadb://u:***@"), "{msg}");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_file_url_parses() {
        assert!(matches!(
            DatabaseUrl::parse("sqlite://orch.db?mode=rwc"),
            Ok(DatabaseUrl::Sqlite(_))
        ));
    }
}
