//! `/status/{code}` and httpbin's redirect family.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// `/status/{code}`: an empty response with that status (httpbin's extras:
/// redirects point to `/redirect/1`, 401 asks for Basic auth, 418 is a teapot).
pub(crate) async fn status(Path(code): Path<String>) -> Response {
    let Some(status) = code.trim().parse().ok().and_then(|c| StatusCode::from_u16(c).ok()) else {
        return (StatusCode::BAD_REQUEST, "Invalid status code").into_response();
    };
    let mut response = status.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    match status.as_u16() {
        301 | 302 | 303 | 305 | 307 => {
            headers.insert(header::LOCATION, HeaderValue::from_static("/redirect/1"));
        }
        401 => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Fake Realm\""),
            );
        }
        418 => {
            headers.insert(
                "x-more-info",
                HeaderValue::from_static("http://tools.ietf.org/html/rfc2324"),
            );
            *response.body_mut() = "\n    -=[ teapot ]=-\n".into();
        }
        _ => {}
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct RedirectQuery {
    absolute: Option<bool>,
}

/// `/redirect/{n}`: `n` 302 hops ending at `/get` (`?absolute=true` for absolute URLs).
pub(crate) async fn redirect(Path(n): Path<u32>, Query(q): Query<RedirectQuery>, headers: HeaderMap) -> Response {
    if q.absolute == Some(true) {
        absolute_redirect(Path(n), headers).await
    } else {
        relative_redirect(Path(n)).await
    }
}

/// `/relative-redirect/{n}`.
pub(crate) async fn relative_redirect(Path(n): Path<u32>) -> Response {
    let next = if n <= 1 {
        "/get".to_owned()
    } else {
        format!("/relative-redirect/{}", n - 1)
    };
    found(&next)
}

/// `/absolute-redirect/{n}`.
pub(crate) async fn absolute_redirect(Path(n): Path<u32>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let path = if n <= 1 {
        "/get".to_owned()
    } else {
        format!("/absolute-redirect/{}", n - 1)
    };
    found(&format!("http://{host}{path}"))
}

#[derive(Deserialize)]
pub(crate) struct RedirectTo {
    url: String,
    status_code: Option<u16>,
}

/// `/redirect-to?url=…&status_code=302`.
pub(crate) async fn redirect_to(Query(q): Query<RedirectTo>) -> Response {
    let status = q
        .status_code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .filter(StatusCode::is_redirection)
        .unwrap_or(StatusCode::FOUND);
    match HeaderValue::from_str(&q.url) {
        Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "invalid url").into_response(),
    }
}

fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `/redirect-loop`: a redirect to itself, forever.
pub(crate) async fn redirect_loop() -> Response {
    found("/redirect-loop")
}
