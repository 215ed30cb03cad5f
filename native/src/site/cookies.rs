//! httpbin's cookie and auth endpoints: `/cookies`, `/cookies/set`,
//! `/cookies/delete`, `/basic-auth/{user}/{password}`, `/bearer`.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::echo::json_response;

/// The request's cookies as a JSON object.
fn cookies_of(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
        .collect()
}

/// `/cookies`: `{"cookies": {...}}`.
pub(crate) async fn cookies(headers: HeaderMap) -> Response {
    json_response(StatusCode::OK, &json!({ "cookies": cookies_of(&headers) }))
}

/// `/cookies/set?name=value…`: sets the cookies (path `/`) and redirects to `/cookies`.
pub(crate) async fn set(Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let mut response = (StatusCode::FOUND, [(header::LOCATION, "/cookies")]).into_response();
    for (name, value) in pairs {
        if let Ok(cookie) = HeaderValue::from_str(&format!("{name}={value}; Path=/")) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// `/cookies/delete?name…`: expires the cookies and redirects to `/cookies`.
pub(crate) async fn delete(Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let mut response = (StatusCode::FOUND, [(header::LOCATION, "/cookies")]).into_response();
    for (name, _) in pairs {
        let expired = format!("{name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
        if let Ok(cookie) = HeaderValue::from_str(&expired) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// `/basic-auth/{user}/{password}`: 200 with the right credentials, else 401.
pub(crate) async fn basic_auth(Path((user, password)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let expected = format!("Basic {}", BASE64.encode(format!("{user}:{password}")));
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if given == Some(expected.as_str()) {
        json_response(StatusCode::OK, &json!({"authenticated": true, "user": user}))
    } else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Fake Realm\""),
        );
        response
    }
}

/// `/bearer`: 200 with any `Authorization: Bearer` token, else 401.
pub(crate) async fn bearer(headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(token) => json_response(StatusCode::OK, &json!({"authenticated": true, "token": token})),
        None => {
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// `/digest-auth/{qop}/{user}/{password}` (httpbin's): 200 with a digest
/// response (RFC 7616, MD5, `qop=auth`) for the right credentials, else
/// 401 with a fresh challenge.
pub(crate) async fn digest_auth(
    Path((qop, user, password)): Path<(String, String, String)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if qop != "auth" {
        return (StatusCode::NOT_FOUND, "only qop=auth is served").into_response();
    }
    let answered = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| digest_auth::AuthorizationHeader::parse(value).ok());
    if let Some(answer) = answered {
        let path = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let mut expected = answer.clone();
        let context = digest_auth::AuthContext::new_with_method(
            user.as_str(),
            password.as_str(),
            answer.uri.as_str(),
            Option::<&[u8]>::None,
            digest_auth::HttpMethod(method.as_str().to_owned().into()),
        );
        expected.digest(&context);
        if answer.username == user && answer.uri == path && expected.response == answer.response {
            return json_response(StatusCode::OK, &json!({"authenticated": true, "user": user}));
        }
    }
    let nonce: String = (0..16).map(|_| format!("{:02x}", rand_byte())).collect();
    let challenge = format!("Digest realm=\"me@unifetch.test\", nonce=\"{nonce}\", qop=\"auth\", opaque=\"0123456789abcdef\", algorithm=MD5");
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// A byte from the clock's nanoseconds and a counter: enough for a test
/// site's nonces.
fn rand_byte() -> u8 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ((nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 3) as u8
}
