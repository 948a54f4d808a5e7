//! `serve`: the dashboard (`orchestratum-web`'s router) on an HTTP listener.

use std::io::Write;

use orchestratum_web::{Options, basic, bearer, router};

use crate::Ctx;
use crate::cli::ServeArgs;
use crate::error::CliError;

/// The bearer token clients must send.
pub(crate) const TOKEN: &str = "ORCHESTRATUM_DASHBOARD_TOKEN";
/// The basic-auth user name (with [`PASSWORD`]).
pub(crate) const USER: &str = "ORCHESTRATUM_DASHBOARD_USER";
/// The basic-auth password (with [`USER`]).
pub(crate) const PASSWORD: &str = "ORCHESTRATUM_DASHBOARD_PASSWORD";

pub(crate) async fn run(ctx: &Ctx, args: ServeArgs) -> Result<(), CliError> {
    // Checked before connecting: a half-configured secret must not serve an open dashboard.
    let (options, auth) = options(&args)?;
    let client = ctx.connect_migrated().await?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|source| CliError::Serve {
            addr: args.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| CliError::Serve {
        addr: args.bind,
        source,
    })?;
    let mode = if args.read_only { ", read-only" } else { "" };
    println!("dashboard on http://{addr}/ ({auth}{mode}); Ctrl-C stops it");
    // The line above is how a script (and the test) learns the port: send it now.
    let _ = std::io::stdout().flush();
    axum::serve(listener, router(client, options))
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(|source| CliError::Serve {
            addr: args.bind,
            source,
        })
}

/// The router's options from the flags and the environment, and a word on the auth in force.
fn options(args: &ServeArgs) -> Result<(Options, &'static str), CliError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let options = Options::new().read_only(args.read_only);
    match (var(TOKEN), var(USER), var(PASSWORD)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(CliError::DashboardAuth(format!(
            "set either {TOKEN} or {USER} and {PASSWORD}, not both"
        ))),
        (Some(token), None, None) => Ok((options.auth(bearer(token)), "bearer token")),
        (None, Some(user), Some(password)) => {
            Ok((options.auth(basic(user, password)), "basic auth"))
        }
        (None, Some(_), None) | (None, None, Some(_)) => Err(CliError::DashboardAuth(format!(
            "{USER} and {PASSWORD} go together: set both or neither"
        ))),
        (None, None, None) => Ok((options, "no authentication")),
    }
}

/// Resolves at Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
