//! Errors as JS values: the core's errors as the package's error classes
//! (`TimeoutError`, `NetworkError`, `HTTPError`, their base
//! `UnifetchError`, each with `.kind`, `.phase`, `.url` and `.cause`), and
//! what a JS hook threw as it was thrown. The classes, and which kind of
//! the core's errors each stands for, are in the package's `errors.js`.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::bridge;
use crate::handoff;
use crate::response::CoreResponse;

/// A unifetch error as a JS error: the core's message, kind, phase,
/// timeout, URL and causes (`errors.js` picks the class from the kind);
/// a JS hook's exception is given back as it was thrown.
pub(crate) fn to_js(error: &unifetch::Error) -> JsValue {
    if let Some(thrown) = handoff::take_thrown(error) {
        return thrown;
    }
    let details = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&details, &key.into(), &value);
    };
    set("kind", error.kind_name().into());
    set("phase", error.phase().map(|p| p.as_str()).into());
    set("timeout", error.timeout_kind().map(|k| k.as_str()).into());
    set("url", error.url().map(|u| u.to_string()).into());
    let causes: Vec<String> = error.causes().map(ToString::to_string).collect();
    if !causes.is_empty() {
        set("cause", js_sys::Error::new(&causes.join(": ")).into());
    }
    make(&error.to_string(), details)
}

/// An `HTTPError` carrying `response`, for a non-2xx status.
pub(crate) fn http_error(response: CoreResponse) -> JsValue {
    let status = response.status();
    match bridge::get() {
        Some(bridge) => bridge
            .make_http_error
            .call1(&JsValue::NULL, &response.into())
            .unwrap_or_else(|e| e),
        None => js_sys::Error::new(&format!("HTTP status {status}")).into(),
    }
}

/// A `UnifetchError` of kind `builder`, for bad options.
pub(crate) fn invalid(message: &str) -> JsValue {
    let details = js_sys::Object::new();
    let _ = Reflect::set(&details, &"kind".into(), &"builder".into());
    make(message, details)
}

/// A JS `TypeError`, for a misused response (as fetch throws).
pub(crate) fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

fn make(message: &str, details: js_sys::Object) -> JsValue {
    match bridge::get() {
        Some(bridge) => bridge
            .make_error
            .apply(&JsValue::NULL, &Array::of2(&message.into(), &details))
            .unwrap_or_else(|e| e),
        None => js_sys::Error::new(message).into(),
    }
}
