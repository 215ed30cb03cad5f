//! The functions of the package's JS that Rust calls: the error factories,
//! the response class, and the runners of JS hooks (which apply ky's rules
//! to what each hook returns). `index.js` registers them once at load.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

thread_local! {
    static BRIDGE: RefCell<Option<Bridge>> = const { RefCell::new(None) };
}

/// What `index.js` gives `registerBridge`.
#[derive(Clone)]
pub(crate) struct Bridge {
    /// `(message, details)` → the error class of `details.kind`.
    pub(crate) make_error: Function,
    /// `(coreResponse)` → an `HTTPError`.
    pub(crate) make_http_error: Function,
    /// `(hooks, request, options, retryCount)` → a promise of the `Request`
    /// to send or a response that answers it.
    pub(crate) run_before_request: Function,
    /// `(hooks, request, options, coreResponse, retryCount)` → a promise
    /// of the response to go on with.
    pub(crate) run_after_response: Function,
    /// `(response)` → the token under which the core claims it (at once:
    /// a response not claimed stays in JS, where the collector frees it).
    pub(crate) hand_off: Function,
    /// `(hooks, state)` → a promise of whether a hook returned `stop`.
    pub(crate) run_before_retry: Function,
}

/// Called once by `index.js` with `{ makeError, makeHttpError,
/// runBeforeRequest, runAfterResponse, runBeforeRetry, handOff }`.
#[wasm_bindgen(js_name = registerBridge)]
pub fn register_bridge(functions: JsValue) -> Result<(), JsValue> {
    let get = |name: &str| -> Result<Function, JsValue> {
        Reflect::get(&functions, &name.into())?
            .dyn_into()
            .map_err(|_| js_sys::TypeError::new(&format!("registerBridge: {name} must be a function")).into())
    };
    let bridge = Bridge {
        make_error: get("makeError")?,
        make_http_error: get("makeHttpError")?,
        run_before_request: get("runBeforeRequest")?,
        run_after_response: get("runAfterResponse")?,
        hand_off: get("handOff")?,
        run_before_retry: get("runBeforeRetry")?,
    };
    BRIDGE.with(|cell| *cell.borrow_mut() = Some(bridge));
    Ok(())
}

/// The registered bridge, once `index.js` has loaded.
pub(crate) fn get() -> Option<Bridge> {
    BRIDGE.with(|cell| cell.borrow().clone())
}
