//! Errors as JS `Error` subclasses: `TimeoutError`, `HTTPError` (with the
//! response), `NetworkError`, and their base `UnifetchError`, each with
//! `.kind`, `.phase`, `.url` and `.cause`. The classes are defined in the
//! package's `errors.js` and registered at load time.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;

thread_local! {
    static CLASSES: RefCell<Option<Classes>> = const { RefCell::new(None) };
}

struct Classes {
    base: Function,
    timeout: Function,
    network: Function,
    http: Function,
}

/// Called once by `index.js` with the error classes to throw.
#[wasm_bindgen(js_name = registerErrors)]
pub fn register_errors(base: Function, timeout: Function, network: Function, http: Function) {
    CLASSES.with(|classes| {
        *classes.borrow_mut() = Some(Classes {
            base,
            timeout,
            network,
            http,
        })
    });
}

/// A unifetch error as a JS error of the matching class.
pub(crate) fn to_js(error: &unifetch::Error) -> JsValue {
    let mut cause = None::<String>;
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = Some(match cause {
            Some(text) => format!("{text}: {inner}"),
            None => inner.to_string(),
        });
        source = inner.source();
    }
    let details = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&details, &key.into(), &value);
    };
    set("kind", error.kind_name().into());
    set("phase", error.phase().map(|p| p.as_str()).into());
    set("timeout", error.timeout_kind().map(|k| k.as_str()).into());
    set("url", error.url().map(|u| u.to_string()).into());
    set(
        "cause",
        cause
            .map(|text| JsValue::from(js_sys::Error::new(&text)))
            .unwrap_or(JsValue::UNDEFINED),
    );
    let class = CLASSES.with(|classes| {
        classes.borrow().as_ref().map(|c| {
            if error.is_timeout() {
                c.timeout.clone()
            } else if error.is_connect() || error.is_request() || error.is_body() {
                c.network.clone()
            } else {
                c.base.clone()
            }
        })
    });
    construct(class, &error.to_string(), details)
}

/// An `HTTPError` carrying `response`, for a non-2xx status.
pub(crate) fn http_error(response: JsValue, status: u16, url: &str) -> JsValue {
    let class = CLASSES.with(|classes| classes.borrow().as_ref().map(|c| c.http.clone()));
    match class {
        Some(class) => Reflect::construct(&class, &Array::of1(&response)).unwrap_or_else(|e| e),
        None => js_sys::Error::new(&format!("HTTP status {status} for {url}")).into(),
    }
}

/// A `TypeError`-like error for bad options, as a `UnifetchError` of kind `builder`.
pub(crate) fn invalid(message: &str) -> JsValue {
    let details = js_sys::Object::new();
    let _ = Reflect::set(&details, &"kind".into(), &"builder".into());
    let class = CLASSES.with(|classes| classes.borrow().as_ref().map(|c| c.base.clone()));
    construct(class, message, details)
}

fn construct(class: Option<Function>, message: &str, details: js_sys::Object) -> JsValue {
    match class {
        Some(class) => Reflect::construct(&class, &Array::of2(&message.into(), &details)).unwrap_or_else(|e| e),
        None => js_sys::Error::new(message).into(),
    }
}
