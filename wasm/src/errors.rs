//! Errors as JS `Error` subclasses: `TimeoutError`, `HTTPError` (with the
//! response), `NetworkError`, and their base `UnifetchError`, each with
//! `.kind`, `.phase`, `.url` and `.cause`. The classes, and which kind of
//! the core's errors each stands for, are in the package's `errors.js`,
//! whose factories are registered at load time.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;

thread_local! {
    static FACTORIES: RefCell<Option<Factories>> = const { RefCell::new(None) };
}

/// The package's `errors.js` functions that make JS errors.
struct Factories {
    /// `(message, details)` → the error class of `details.kind`.
    error: Function,
    /// `(response)` → an `HTTPError`.
    http: Function,
}

/// Called once by `index.js` with the functions that make JS errors.
#[wasm_bindgen(js_name = registerErrors)]
pub fn register_errors(error: Function, http: Function) {
    FACTORIES.with(|factories| *factories.borrow_mut() = Some(Factories { error, http }));
}

/// A unifetch error as a JS error: the core's message, kind, phase,
/// timeout, URL and causes (`errors.js` picks the class from the kind).
pub(crate) fn to_js(error: &unifetch::Error) -> JsValue {
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
pub(crate) fn http_error(response: JsValue, status: u16, url: &str) -> JsValue {
    let factory = FACTORIES.with(|factories| factories.borrow().as_ref().map(|f| f.http.clone()));
    match factory {
        Some(http) => http.call1(&JsValue::NULL, &response).unwrap_or_else(|e| e),
        None => js_sys::Error::new(&format!("HTTP status {status} for {url}")).into(),
    }
}

/// A `UnifetchError` of kind `builder`, for bad options.
pub(crate) fn invalid(message: &str) -> JsValue {
    let details = js_sys::Object::new();
    let _ = Reflect::set(&details, &"kind".into(), &"builder".into());
    make(message, details)
}

fn make(message: &str, details: js_sys::Object) -> JsValue {
    let factory = FACTORIES.with(|factories| factories.borrow().as_ref().map(|f| f.error.clone()));
    match factory {
        Some(error) => error
            .apply(&JsValue::NULL, &Array::of2(&message.into(), &details))
            .unwrap_or_else(|e| e),
        None => js_sys::Error::new(message).into(),
    }
}
