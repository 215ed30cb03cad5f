//! httpbin's request echo: `/get`, `/post`, `/put`, `/patch`, `/delete`,
//! `/anything`, `/headers`, `/ip`, `/user-agent`, `/response-headers`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::pyjson;

/// Everything httpbin reports about a request.
pub(crate) struct Echo {
    method: Method,
    url: String,
    headers: HeaderMap,
    origin: String,
    query: Option<String>,
    body: Bytes,
    /// The fields and files of a `multipart/form-data` body.
    multipart: Option<Multipart>,
}

/// A parsed `multipart/form-data` body.
#[derive(Default)]
struct Multipart {
    fields: Vec<(String, String)>,
    files: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequest<S> for Echo {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Echo, Response> {
        let origin = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_default();
        let method = request.method().clone();
        let headers = request.headers().clone();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().authority().map(|a| a.to_string()))
            .unwrap_or_default();
        let path = request.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let query = request.uri().query().map(str::to_owned);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let multipart = match headers.get(header::CONTENT_TYPE).and_then(|ct| ct.to_str().ok()) {
            Some(content_type) if content_type.starts_with("multipart/form-data") => {
                let parsed = parse_multipart(content_type, body.clone()).await;
                Some(parsed.map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?)
            }
            _ => None,
        };
        Ok(Echo {
            method,
            url: format!("http://{host}{path}"),
            headers,
            origin,
            query,
            body,
            multipart,
        })
    }
}

impl Echo {
    /// httpbin's `get_dict(*keys)`.
    pub(crate) fn dict(&self, keys: &[&str]) -> Value {
        let mut map = Map::new();
        for key in keys {
            let value = match *key {
                "url" => Value::String(self.url.clone()),
                "args" => pairs_to_dict(url::form_urlencoded::parse(
                    self.query.as_deref().unwrap_or("").as_bytes(),
                )),
                "headers" => self.headers_dict(),
                "origin" => Value::String(self.origin.clone()),
                "method" => Value::String(self.method.to_string()),
                "form" => self.form(),
                "data" => self.data(),
                "files" => match &self.multipart {
                    Some(multipart) => pairs_to_dict(multipart.files.iter().map(|(k, v)| (k.into(), v.into()))),
                    None => Value::Object(Map::new()),
                },
                "json" => serde_json::from_slice(&self.body).unwrap_or(Value::Null),
                other => unreachable!("httpbin has no field {other}"),
            };
            map.insert((*key).to_owned(), value);
        }
        Value::Object(map)
    }

    /// Request headers with httpbin's Title-Case names, repeats joined by `,`.
    pub(crate) fn headers_dict(&self) -> Value {
        let mut map = Map::new();
        for (name, value) in &self.headers {
            let name = title_case(name.as_str());
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match map.get_mut(&name) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(&value);
                }
                _ => {
                    map.insert(name, Value::String(value));
                }
            }
        }
        Value::Object(map)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    }

    fn form(&self) -> Value {
        if let Some(multipart) = &self.multipart {
            pairs_to_dict(multipart.fields.iter().map(|(k, v)| (k.into(), v.into())))
        } else if self.is_form() {
            pairs_to_dict(url::form_urlencoded::parse(&self.body))
        } else {
            Value::Object(Map::new())
        }
    }

    fn data(&self) -> Value {
        if self.is_form() || self.multipart.is_some() {
            return Value::String(String::new());
        }
        match std::str::from_utf8(&self.body) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::String(format!(
                "data:application/octet-stream;base64,{}",
                BASE64.encode(&self.body)
            )),
        }
    }
}

/// The fields (text) and files (text, or a base64 data URL) of a multipart body.
async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Multipart, multer::Error> {
    let boundary = multer::parse_boundary(content_type)?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut reader = multer::Multipart::new(stream, boundary);
    let mut parsed = Multipart::default();
    while let Some(field) = reader.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let mime = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await?;
        let text = match std::str::from_utf8(&data) {
            Ok(text) => text.to_owned(),
            Err(_) => format!(
                "data:{};base64,{}",
                mime.as_deref().unwrap_or("application/octet-stream"),
                BASE64.encode(&data)
            ),
        };
        if is_file {
            parsed.files.push((name, text));
        } else {
            parsed.fields.push((name, text));
        }
    }
    Ok(parsed)
}

/// A JSON response in httpbin's exact format.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, pyjson::to_string(value)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub(crate) async fn get(echo: Echo) -> Response {
    json_response(StatusCode::OK, &echo.dict(&["url", "args", "headers", "origin"]))
}

pub(crate) async fn with_body(echo: Echo) -> Response {
    let keys = ["url", "args", "form", "data", "origin", "headers", "files", "json"];
    json_response(StatusCode::OK, &echo.dict(&keys))
}

pub(crate) async fn anything(echo: Echo) -> Response {
    let keys = [
        "url", "args", "headers", "origin", "method", "form", "data", "files", "json",
    ];
    json_response(StatusCode::OK, &echo.dict(&keys))
}

pub(crate) async fn headers(echo: Echo) -> Response {
    json_response(StatusCode::OK, &echo.dict(&["headers"]))
}

pub(crate) async fn ip(echo: Echo) -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "origin": echo.origin() }))
}

pub(crate) async fn user_agent(echo: Echo) -> Response {
    let agent = echo.header("user-agent").unwrap_or_default();
    json_response(StatusCode::OK, &serde_json::json!({ "user-agent": agent }))
}

/// `/response-headers?Name=value`: the query becomes response headers, echoed as JSON.
pub(crate) async fn response_headers(echo: Echo) -> Response {
    let query = echo.query.clone().unwrap_or_default();
    let mut body = pairs_to_dict(url::form_urlencoded::parse(query.as_bytes()));
    let mut response = json_response(StatusCode::OK, &Value::Null);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            return json_response(StatusCode::BAD_REQUEST, &serde_json::json!({"error": "invalid header"}));
        };
        response.headers_mut().append(name, value);
    }
    if let Value::Object(map) = &mut body {
        map.insert("Content-Type".into(), Value::String("application/json".into()));
    }
    *response.body_mut() = pyjson::to_string(&body).into();
    response
}

/// httpbin's multi-dict: one value as a string, repeats as a list.
pub(crate) fn pairs_to_dict<'a>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        let value = Value::String(value.into_owned());
        match map.get_mut(key.as_ref()) {
            Some(Value::Array(list)) => list.push(value),
            Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
            None => {
                map.insert(key.into_owned(), value);
            }
        }
    }
    Value::Object(map)
}

fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_become_lists() {
        let dict = pairs_to_dict(url::form_urlencoded::parse(b"a=1&b=2&a=3&name=%E9%92%A2"));
        assert_eq!(dict, serde_json::json!({"a": ["1", "3"], "b": "2", "name": "钢"}));
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("x-request-id"), "X-Request-Id");
        assert_eq!(title_case("user-agent"), "User-Agent");
    }
}
