//! Reading ky-style option objects: `{ prefixUrl, headers, timeout, retry,
//! limit, limitPerHost, … }` for sessions, `{ searchParams, json, form,
//! body, headers, timeout, retry, … }` for requests. Durations are in
//! milliseconds; `timeout` and `retry` also take a plain number.

use std::time::Duration;

use js_sys::{Array, Object, Reflect, Uint8Array};
use unifetch::multipart::{Form, Part};
use unifetch::redirect::Redirect;
use unifetch::{Method, RequestBuilder, Retry, SessionBuilder, StatusCode, Timeout};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::invalid;

/// The value of `key` in `object`, unless it is missing, `undefined` or `null`.
pub(crate) fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    if !object.is_object() {
        return None;
    }
    Reflect::get(object, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn number(object: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    match field(object, key) {
        None => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(Some)
            .ok_or_else(|| invalid(&format!("option {key} must be a non-negative number"))),
    }
}

fn millis(object: &JsValue, key: &str) -> Result<Option<Duration>, JsValue> {
    Ok(number(object, key)?.map(|ms| Duration::from_secs_f64(ms / 1000.0)))
}

fn boolean(object: &JsValue, key: &str) -> Option<bool> {
    field(object, key).and_then(|v| v.as_bool())
}

/// `(name, value)` pairs from a plain object, a `Headers`, a
/// `URLSearchParams`, a `Map`, an array of pairs, or a query string.
pub(crate) fn pairs(value: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    if let Some(text) = value.as_string() {
        let text = text.trim_start_matches('?');
        return Ok(url::form_urlencoded::parse(text.as_bytes()).into_owned().collect());
    }
    let entries: JsValue = match Reflect::get(value, &"entries".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        Some(entries) if !Array::is_array(value) => entries.call0(value)?,
        _ if Array::is_array(value) => value.clone(),
        _ => Object::entries(value.unchecked_ref()).into(),
    };
    let iterator = js_sys::try_iter(&entries)?.ok_or_else(|| invalid("expected an object or a list of pairs"))?;
    let mut pairs = Vec::new();
    for entry in iterator {
        let entry: Array = entry?.unchecked_into();
        let name = entry
            .get(0)
            .as_string()
            .ok_or_else(|| invalid("a name must be a string"))?;
        let value = entry.get(1);
        // Numbers are written by JS's own `String(n)` (Rust's float
        // formatting would add kilobytes to the package).
        let value = value
            .as_string()
            .or_else(|| {
                value
                    .as_f64()
                    .and_then(|_| js_sys::Number::from(value.clone()).to_string_with_radix(10).ok())
                    .map(String::from)
            })
            .or_else(|| value.as_bool().map(|b| b.to_string()));
        pairs.push((
            name,
            value.ok_or_else(|| invalid("a value must be a string, number or boolean"))?,
        ));
    }
    Ok(pairs)
}

/// `timeout`: milliseconds of `total`, `false` for none, or
/// `{ total, connect, sockConnect, sockRead }`.
fn timeout(value: &JsValue) -> Result<Timeout, JsValue> {
    if value.as_bool() == Some(false) {
        return Ok(Timeout::NONE);
    }
    if let Some(ms) = value.as_f64() {
        return Ok(Timeout::total(Duration::from_secs_f64(ms.max(0.0) / 1000.0)));
    }
    Ok(Timeout {
        total: millis(value, "total")?,
        connect: millis(value, "connect")?,
        sock_connect: millis(value, "sockConnect")?,
        sock_read: millis(value, "sockRead")?,
    })
}

/// `retry`: a number of retries, or ky's `{ limit, methods, statusCodes,
/// afterStatusCodes, maxRetryAfter, backoffLimit, delay, jitter }` (`delay`
/// is ky's function of the attempt, or the first wait in milliseconds,
/// each next one doubled).
fn retry(value: &JsValue) -> Result<Retry, JsValue> {
    if let Some(limit) = value.as_f64() {
        return Ok(Retry::default().max_attempts(limit as u32 + 1));
    }
    let mut policy = Retry::default();
    if let Some(limit) = number(value, "limit")? {
        policy = policy.max_attempts(limit as u32 + 1);
    }
    if let Some(methods) = list(value, "methods")? {
        let methods: Result<Vec<Method>, JsValue> = methods
            .iter()
            .map(|m| method(&m.as_string().unwrap_or_default()))
            .collect();
        policy = policy.methods(methods?);
    }
    if let Some(codes) = list(value, "statusCodes")? {
        policy = policy.statuses(status_codes(&codes));
    }
    if let Some(codes) = list(value, "afterStatusCodes")? {
        policy = policy.retry_after_statuses(status_codes(&codes));
    }
    if let Some(delay) = field(value, "delay") {
        policy = match delay.dyn_into::<js_sys::Function>() {
            // ky's form: `(attemptCount) => milliseconds`.
            Ok(delay) => policy.backoff(move |retry| {
                let ms = delay
                    .call1(&JsValue::NULL, &retry.into())
                    .ok()
                    .and_then(|ms| ms.as_f64());
                Duration::from_secs_f64(ms.filter(|ms| ms.is_finite() && *ms >= 0.0).unwrap_or(0.0) / 1000.0)
            }),
            Err(_) => policy.base_delay(millis(value, "delay")?.unwrap_or_default()),
        };
    }
    if let Some(limit) = millis(value, "backoffLimit")? {
        policy = policy.max_delay(limit);
    }
    if let Some(limit) = millis(value, "maxRetryAfter")? {
        policy = policy.max_retry_after(limit);
    }
    if let Some(jitter) = boolean(value, "jitter") {
        policy = policy.jitter(jitter);
    }
    Ok(policy)
}

/// The array at `key`, if any.
fn list(object: &JsValue, key: &str) -> Result<Option<Array>, JsValue> {
    match field(object, key) {
        None => Ok(None),
        Some(value) if Array::is_array(&value) => Ok(Some(value.unchecked_into())),
        Some(_) => Err(invalid(&format!("option {key} must be an array"))),
    }
}

fn status_codes(codes: &Array) -> Vec<StatusCode> {
    codes
        .iter()
        .filter_map(|c| c.as_f64())
        .filter_map(|c| StatusCode::from_u16(c as u16).ok())
        .collect()
}

/// `redirect`: `"follow"` (default), `"manual"` (do not follow), or a hop limit.
fn redirect(value: &JsValue) -> Result<Redirect, JsValue> {
    match (value.as_string().as_deref(), value.as_f64()) {
        (Some("follow"), _) => Ok(Redirect::default()),
        (Some("manual"), _) => Ok(Redirect::none()),
        (_, Some(hops)) => Ok(Redirect::limited(hops as usize)),
        _ => Err(invalid(
            "option redirect must be \"follow\", \"manual\" or a number of hops",
        )),
    }
}

/// What a session adds on top of the core's: ky's URL prefix and whether
/// non-2xx responses throw.
#[derive(Debug, Clone)]
pub(crate) struct JsSettings {
    pub(crate) prefix_url: Option<String>,
    pub(crate) throws: Throws,
}

/// ky's `throwHttpErrors`: a boolean, or a function of the status.
#[derive(Debug, Clone)]
pub(crate) enum Throws {
    Always(bool),
    When(js_sys::Function),
}

impl Throws {
    fn from_option(object: &JsValue) -> Option<Throws> {
        let value = field(object, "throwHttpErrors")?;
        match value.dyn_into::<js_sys::Function>() {
            Ok(function) => Some(Throws::When(function)),
            Err(value) => Some(Throws::Always(value.is_truthy())),
        }
    }

    /// Whether a response with `status` (not 2xx) throws an `HTTPError`.
    pub(crate) fn throws(&self, status: u16) -> bool {
        match self {
            Throws::Always(throws) => *throws,
            Throws::When(function) => function
                .call1(&JsValue::NULL, &status.into())
                .is_ok_and(|answer| answer.is_truthy()),
        }
    }
}

/// A session builder from session options.
pub(crate) fn session(options: &JsValue) -> Result<(SessionBuilder, JsSettings), JsValue> {
    let mut builder = unifetch::Session::builder();
    let settings = JsSettings {
        prefix_url: field(options, "prefixUrl").and_then(|v| v.as_string()),
        throws: Throws::from_option(options).unwrap_or(Throws::Always(true)),
    };
    if let Some(headers) = field(options, "headers") {
        for (name, value) in pairs(&headers)? {
            builder = builder.header(name, value);
        }
    }
    if let Some(value) = field(options, "timeout") {
        builder = builder.timeout(timeout(&value)?);
    }
    if let Some(value) = field(options, "retry") {
        builder = builder.retry(retry(&value)?);
    }
    if let Some(value) = field(options, "redirect") {
        builder = builder.redirect(redirect(&value)?);
    }
    if let Some(limit) = number(options, "limit")? {
        builder = builder.limit(limit as usize);
    }
    if let Some(limit) = number(options, "limitPerHost")? {
        builder = builder.limit_per_host(limit as usize);
    }
    if let Some(bytes) = number(options, "maxBodySize")? {
        builder = builder.max_body_size(bytes as u64);
    }
    if let Some(cookies) = boolean(options, "cookies") {
        builder = builder.cookie_store(cookies);
    }
    match field(options, "transport").and_then(|v| v.as_string()).as_deref() {
        None => {}
        Some("fetch") => builder = builder.transport(unifetch::transport::FetchTransport::new()),
        #[cfg(feature = "node")]
        Some("node") => builder = builder.transport(unifetch::transport::NodeTransport::new()),
        #[cfg(not(feature = "node"))]
        Some("node") => return Err(invalid("transport 'node' is in the package's Node build only")),
        Some(other) => {
            return Err(invalid(&format!(
                "option transport must be \"fetch\" or \"node\", not {other:?}"
            )))
        }
    }
    Ok((builder, settings))
}

/// The HTTP method named `name`.
pub(crate) fn method(name: &str) -> Result<Method, JsValue> {
    Method::from_bytes(name.to_ascii_uppercase().as_bytes()).map_err(|_| invalid(&format!("invalid method {name:?}")))
}

/// Applies request options to `request`; returns whether a non-2xx
/// status throws. (Async because a `FormData` body's files are read first.)
pub(crate) async fn request(
    mut request: RequestBuilder,
    options: &JsValue,
    settings: &JsSettings,
) -> Result<(RequestBuilder, Throws), JsValue> {
    if options.is_undefined() {
        return Ok((request, settings.throws.clone()));
    }
    if let Some(params) = field(options, "searchParams") {
        request = request.query(&pairs(&params)?);
    }
    if let Some(headers) = field(options, "headers") {
        for (name, value) in pairs(&headers)? {
            request = request.header(name, value);
        }
    }
    if let Some(json) = field(options, "json") {
        let text = match field(options, "stringifyJson").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
            Some(stringify) => stringify.call1(&JsValue::NULL, &json)?,
            None => js_sys::JSON::stringify(&json)?.into(),
        };
        let text = text
            .as_string()
            .ok_or_else(|| invalid("stringifyJson must return a string"))?;
        request = request.json_text(text);
    } else if let Some(form) = field(options, "form") {
        request = request.form(&pairs(&form)?);
    } else if let Some(body) = field(options, "body") {
        request = match body.as_string() {
            Some(text) => request.body(text),
            None if body.is_instance_of::<web_sys::FormData>() => request.multipart(multipart(&body).await?),
            None if body.is_instance_of::<web_sys::UrlSearchParams>() => request.form(&pairs(&body)?),
            None if body.is_instance_of::<Uint8Array>() => request.body(body.unchecked_into::<Uint8Array>().to_vec()),
            None if body.is_instance_of::<js_sys::ArrayBuffer>() => request.body(Uint8Array::new(&body).to_vec()),
            None if body.is_instance_of::<web_sys::Blob>() => {
                let blob: web_sys::Blob = body.unchecked_into();
                let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await?;
                request.body(Uint8Array::new(&buffer).to_vec())
            }
            None => return Err(invalid(
                "option body must be a string, a Uint8Array, an ArrayBuffer, a Blob, a URLSearchParams or a FormData",
            )),
        };
    }
    if let Some(value) = field(options, "timeout") {
        request = request.timeout(timeout(&value)?);
    }
    if let Some(value) = field(options, "retry") {
        request = request.retry(retry(&value)?);
    }
    if let Some(bytes) = number(options, "maxBodySize")? {
        request = request.max_body_size(bytes as u64);
    }
    if let Some(hooks) = field(options, "hooks") {
        if let Some(hooks) = crate::hooks::core_hooks(&hooks, options)? {
            request = request.hooks(hooks);
        }
    }
    let throws = Throws::from_option(options).unwrap_or_else(|| settings.throws.clone());
    Ok((request, throws))
}

/// A `FormData` as a multipart form: strings become text fields, `Blob`s
/// and `File`s become file parts (with their name and type).
async fn multipart(form: &JsValue) -> Result<Form, JsValue> {
    let mut multipart = Form::new();
    let entries = js_sys::try_iter(form)?.ok_or_else(|| invalid("a FormData is iterable"))?;
    for entry in entries {
        let entry: Array = entry?.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        if let Some(text) = value.as_string() {
            multipart = multipart.text(name, text);
            continue;
        }
        let blob: web_sys::Blob = value
            .dyn_into()
            .map_err(|_| invalid("a FormData value must be a string or a Blob"))?;
        let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await?;
        let mut part = Part::bytes(Uint8Array::new(&buffer).to_vec());
        if let Some(file) = blob.dyn_ref::<web_sys::File>() {
            part = part.file_name(file.name());
        }
        if !blob.type_().is_empty() {
            part = part.mime(blob.type_());
        }
        multipart = multipart.part(name, part);
    }
    Ok(multipart)
}
