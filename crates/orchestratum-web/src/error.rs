//! Error pages: every failure answers an HTML page with its status and escaped text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use orchestratum::Error;

use crate::pages::layout;
use crate::security::Ctx;

/// An HTML page for a failure.
pub(crate) fn page(ctx: &Ctx, status: StatusCode, title: &str, detail: &str) -> Response {
    let body = html! {
        h1 { (status.as_u16()) " " (title) }
        p.error { (detail) }
    };
    (status, layout(ctx, title, body)).into_response()
}

/// A 400 page for a bad path, query or form value.
pub(crate) fn bad_request(ctx: &Ctx, detail: &str) -> Response {
    page(ctx, StatusCode::BAD_REQUEST, "Bad request", detail)
}

/// The status and title for an error of the library: 404 for what does not exist, 400 for a
/// value it refused, 503 when the database cannot be reached, 500 otherwise.
pub(crate) fn status(error: &Error) -> (StatusCode, &'static str) {
    match error {
        Error::NotFound(_) | Error::WorkflowNotFound(_) | Error::ScheduleNotFound(_) => {
            (StatusCode::NOT_FOUND, "Not found")
        }
        Error::InvalidConfig { .. }
        | Error::InvalidText { .. }
        | Error::InvalidSchedule { .. }
        | Error::InvalidWorkflow { .. }
        | Error::InvalidCursor(_)
        | Error::InvalidFilter(_)
        | Error::Serialize { .. } => (StatusCode::BAD_REQUEST, "Bad request"),
        Error::DeleteRefused { .. } | Error::UniqueKeyTaken { .. } => {
            (StatusCode::CONFLICT, "Not possible now")
        }
        Error::Connect { .. } | Error::Database(_) | Error::TimedOut(_) | Error::ShutDown => {
            (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable")
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
    }
}

/// The page for an error of the library, with the status [`status`] gives it.
pub(crate) fn store(ctx: &Ctx, error: &Error) -> Response {
    let (status, title) = status(error);
    page(ctx, status, title, &error.to_string())
}
