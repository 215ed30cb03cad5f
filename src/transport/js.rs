//! What the transports of `wasm32-unknown-unknown` share: the bindings of
//! the fetch side of `glue.js`, JS exceptions as Rust errors, and headers
//! as the one string of `name:value` lines the glue takes.

use http::HeaderMap;
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

#[wasm_bindgen(module = "/src/transport/glue.js")]
extern "C" {
    /// `fetch(url, init)` with the headers given as `name:value` lines.
    #[wasm_bindgen(js_name = fetchWith)]
    pub(super) fn fetch_with(
        url: &str,
        method: &str,
        header_block: &str,
        body: Option<Uint8Array>,
        redirect: &str,
        credentials: &str,
        signal: &AbortSignal,
    ) -> Promise;

    /// The headers as `name:value` lines.
    #[wasm_bindgen(js_name = headerBlock)]
    pub(super) fn header_block(headers: &web_sys::Headers) -> String;

    /// `setTimeout(wake, milliseconds, id)`.
    #[wasm_bindgen(js_name = startTimer)]
    pub(super) fn start_timer(wake: &js_sys::Function, id: u32, milliseconds: f64) -> JsValue;

    /// `clearTimeout(handle)`.
    #[wasm_bindgen(js_name = stopTimer)]
    pub(super) fn stop_timer(handle: &JsValue);
}

/// `headers` as `name:value` lines (a header value cannot hold a newline).
pub(super) fn header_lines(headers: &HeaderMap) -> String {
    let mut lines = String::new();
    for (name, value) in headers {
        lines.push_str(name.as_str());
        lines.push(':');
        lines.push_str(&String::from_utf8_lossy(value.as_bytes()));
        lines.push('\n');
    }
    lines
}

/// A JS exception as a Rust error: its name, message, Node's `code` and
/// its `cause`.
#[derive(Debug)]
pub(super) struct JsError(String);

impl From<JsValue> for JsError {
    fn from(value: JsValue) -> JsError {
        JsError(describe(&value))
    }
}

fn describe(value: &JsValue) -> String {
    let Some(error) = value.dyn_ref::<js_sys::Error>() else {
        return value.as_string().unwrap_or_else(|| format!("{value:?}"));
    };
    let message = String::from(error.message());
    let mut text = format!("{}: {message}", String::from(error.name()));
    let code = Reflect::get(error, &"code".into())
        .ok()
        .and_then(|code| code.as_string());
    if let Some(code) = code.filter(|code| !message.contains(code.as_str())) {
        text.push_str(&format!(" ({code})"));
    }
    let cause = error.cause();
    if !cause.is_undefined() && !cause.is_null() {
        text.push_str(&format!(" (cause: {})", describe(&cause)));
    }
    text
}

impl std::fmt::Display for JsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsError {}
