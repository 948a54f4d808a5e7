//! The stylesheet and script, embedded in the binary and served with cache headers.

use axum::http::header;
use axum::response::IntoResponse;

/// The stylesheet.
pub(crate) const STYLE: &str = include_str!("../assets/style.css");
/// The live-refresh script.
pub(crate) const SCRIPT: &str = include_str!("../assets/live.js");

/// A short version tag of both assets, put in their URLs so a new build is fetched anew.
pub(crate) fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

const CACHE: &str = "public, max-age=86400";

/// `GET /assets/style.css`.
pub(crate) async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        STYLE,
    )
}

/// `GET /assets/live.js`.
pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        SCRIPT,
    )
}
