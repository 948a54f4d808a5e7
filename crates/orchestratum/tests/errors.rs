//! Bad input gets a typed error with a clear message, and changes nothing.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use orchestratum::{Command, Error, Orchestratum, Push};
use serde::{Deserialize, Serialize};

use support::commands::*;
use support::{Backend, Probe, TestDb};

async fn connect_err(builder: orchestratum::Builder) -> Error {
    match builder.connect().await {
        Ok(_) => panic!("connect succeeded"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn malformed_url_is_rejected() {
    for url in ["", "not a url", "postgres://u:secret@h:notaport/db"] {
        let err = connect_err(Orchestratum::builder().database(url)).await;
        assert!(matches!(err, Error::InvalidUrl { .. }), "{url:?}: {err:?}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

#[tokio::test]
async fn unknown_scheme_is_named() {
    let err = connect_err(Orchestratum::builder().database("oracle://db/app")).await;
    assert!(matches!(err, Error::UnsupportedScheme { .. }), "{err:?}");
    assert!(err.to_string().contains("`oracle`"), "{err}");
}

#[tokio::test]
async fn unreachable_database_is_a_connect_error() {
    let err =
        connect_err(Orchestratum::builder().database("postgres://postgres:pw@127.0.0.1:1/app"))
            .await;
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("127.0.0.1:1") && !msg.contains(":pw@"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_database_and_bad_options_are_rejected() {
    let err = connect_err(Orchestratum::builder()).await;
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                option: "database",
                ..
            }
        ),
        "{err:?}"
    );
    let db = TestDb::new(Backend::Sqlite).await;
    let err = connect_err(db.builder().table_prefix("ORCH-; drop table x")).await;
    assert!(matches!(err, Error::InvalidTablePrefix(_)), "{err:?}");
    for builder in [
        db.builder().polling_interval(Duration::ZERO),
        db.builder().lock_timeout_buffer(Duration::ZERO),
        db.builder().max_command_pull(0),
        db.builder().instance_key(""),
        db.builder().unhandled_after(Duration::MAX),
        db.builder().cancel_grace(Duration::from_secs(5)),
    ] {
        let err = connect_err(builder).await;
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn duplicate_handler_is_rejected() {
    let db = TestDb::new(Backend::Sqlite).await;
    let probe = Probe::new();
    let err = connect_err(
        db.builder()
            .handlers((SimpleHandler(probe.clone()), SimpleHandler(probe))),
    )
    .await;
    assert!(
        matches!(err, Error::DuplicateHandler(ref name) if name == "simple"),
        "{err:?}"
    );
}

#[tokio::test]
async fn two_types_under_one_name_are_rejected() {
    let db = TestDb::new(Backend::Sqlite).await;
    let probe = Probe::new();
    // `SimpleV0Command` is stored as "simple" too.
    let err = connect_err(
        db.builder()
            .command::<SimpleV0Command>()
            .handler(SimpleHandler(probe)),
    )
    .await;
    assert!(
        matches!(err, Error::NameConflict { ref name, .. } if name == "simple"),
        "{err:?}"
    );
    assert!(err.to_string().contains("SimpleV0Command"), "{err}");
}

#[derive(Serialize, Deserialize)]
struct TupleKeysCommand {
    map: HashMap<(u8, u8), u8>,
}
impl Command for TupleKeysCommand {
    type Output = ();
}

#[tokio::test]
async fn bad_pushes_store_nothing() {
    let db = TestDb::new(Backend::Sqlite).await;
    let client = db.client().await;
    let err = client
        .push_with(SimpleCommand { n: 1 }, Push::new().timeout(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidDuration {
                what: "timeout",
                ..
            }
        ),
        "{err:?}"
    );
    let unserializable = TupleKeysCommand {
        map: HashMap::from([((1, 2), 3)]),
    };
    let err = client.push(unserializable).await.unwrap_err();
    assert!(
        matches!(err, Error::Serialize { what: "input", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("tuple_keys"), "{err}");
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM {}", db.table()))
            .await,
        0
    );
}

#[tokio::test]
async fn schema_newer_than_the_build_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await;
    let client = db.client().await;
    db.exec(&format!(
        "INSERT INTO \"{}schema_migrations\" (version, description) VALUES (99, 'from the future')",
        db.prefix
    ))
    .await;
    let err = client.migrate().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaTooNew {
                found: 99,
                known: 14
            }
        ),
        "{err:?}"
    );
}
