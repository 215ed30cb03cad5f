//! ky's `hooks` option as the core's [`Hooks`]: each kind of JS hook list
//! becomes one core hook, which converts between the core's values and
//! fetch's (`Request`, the package's response class, errors) and lets the
//! package's JS runner apply ky's rules to what each JS hook returns.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use unifetch::hooks::{BeforeRequest, Hooks, RetryDecision};
use unifetch::retry::{RetryEvent, RetryReason};
use unifetch::{Method, Request, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::bridge::{self, Bridge};
use crate::options::field;
use crate::response::{header_map, CoreResponse};
use crate::{errors, handoff};

/// What the hooks of one request share: the JS `Request` of the attempt
/// under way, and how many attempts have started and answered.
struct Shared {
    bridge: Bridge,
    options: JsValue,
    request: RefCell<Option<web_sys::Request>>,
    attempts: Cell<u32>,
    answered: Cell<u32>,
}

impl Shared {
    /// The request of the attempt under way, as the `beforeRequest` hooks left it.
    fn js_request(&self) -> JsValue {
        self.request
            .borrow()
            .as_ref()
            .map_or(JsValue::UNDEFINED, |request| JsValue::from(request as &JsValue))
    }
}

/// The core hooks for `hooks` (`{ beforeRequest, afterResponse, beforeRetry }`
/// arrays of JS functions); `beforeError` runs in `index.js`, on JS errors.
pub(crate) fn core_hooks(hooks: &JsValue, options: &JsValue) -> Result<Option<Hooks>, JsValue> {
    let list = |key: &str| -> Result<Option<Array>, JsValue> {
        match field(hooks, key) {
            None => Ok(None),
            Some(value) if Array::is_array(&value) => {
                let array: Array = value.unchecked_into();
                Ok((array.length() > 0).then_some(array))
            }
            Some(_) => Err(errors::invalid(&format!("hooks.{key} must be an array of functions"))),
        }
    };
    let (before_request, after_response, before_retry) =
        (list("beforeRequest")?, list("afterResponse")?, list("beforeRetry")?);
    if before_request.is_none() && after_response.is_none() && before_retry.is_none() {
        return Ok(None);
    }
    let bridge = bridge::get().ok_or_else(|| errors::invalid("the package's JS is not loaded"))?;
    let shared = Rc::new(Shared {
        bridge,
        options: options.clone(),
        request: RefCell::new(None),
        attempts: Cell::new(0),
        answered: Cell::new(0),
    });
    // Always there, even with no JS hook of its kind: it makes the JS
    // `Request` the other hooks are shown.
    let before_request = before_request.unwrap_or_default();
    let mut core = Hooks::new().before_request({
        let shared = shared.clone();
        move |request| run_before_request(shared.clone(), before_request.clone(), request)
    });
    if let Some(list) = after_response {
        let shared = shared.clone();
        core = core.after_response(move |response| run_after_response(shared.clone(), list.clone(), response));
    }
    if let Some(list) = before_retry {
        core = core.before_retry(move |event: &RetryEvent<'_>| {
            let state = retry_state(&shared, event);
            let promise = call(&shared.bridge.run_before_retry, &[list.clone().into(), state]);
            async move {
                let stop = JsFuture::from(promise?).await.map_err(handoff::thrown)?;
                Ok(if stop.is_truthy() {
                    RetryDecision::Stop
                } else {
                    RetryDecision::Retry
                })
            }
        });
    }
    Ok(Some(core))
}

async fn run_before_request(shared: Rc<Shared>, list: Array, request: Request) -> unifetch::Result<BeforeRequest> {
    let retry_count = shared.attempts.get();
    shared.attempts.set(retry_count + 1);
    let js_request = to_js_request(&request).map_err(handoff::thrown)?;
    *shared.request.borrow_mut() = Some(JsValue::from(&js_request as &JsValue).unchecked_into());
    if list.length() == 0 {
        return Ok(BeforeRequest::Send(request));
    }
    let args = [
        list.into(),
        JsValue::from(&js_request as &JsValue),
        shared.options.clone(),
        retry_count.into(),
    ];
    let promise = call(&shared.bridge.run_before_request, &args)?;
    let answer = JsFuture::from(promise).await.map_err(handoff::thrown)?;
    let returned: web_sys::Request = match answer.dyn_into() {
        Ok(request) => request,
        Err(response) => return Ok(BeforeRequest::Respond(claim(&shared.bridge, &response)?)),
    };
    let same = Object::is(&returned, &js_request);
    *shared.request.borrow_mut() = Some(JsValue::from(&returned as &JsValue).unchecked_into());
    Ok(BeforeRequest::Send(
        from_js_request(request, &returned, same)
            .await
            .map_err(handoff::thrown)?,
    ))
}

async fn run_after_response(shared: Rc<Shared>, list: Array, response: Response) -> unifetch::Result<Response> {
    let retry_count = shared.answered.get();
    shared.answered.set(retry_count + 1);
    let core = CoreResponse::new(response, None);
    let args = [
        list.into(),
        shared.js_request(),
        shared.options.clone(),
        core.into(),
        retry_count.into(),
    ];
    let promise = call(&shared.bridge.run_after_response, &args)?;
    let response = JsFuture::from(promise).await.map_err(handoff::thrown)?;
    claim(&shared.bridge, &response)
}

/// ky's `{ request, options, error, retryCount }` for a retry.
fn retry_state(shared: &Shared, event: &RetryEvent<'_>) -> JsValue {
    let error = match (event.reason(), event.response()) {
        (RetryReason::Error(error), _) => errors::to_js(error),
        (RetryReason::Status(_), Some(response)) => errors::http_error(head_only(response)),
        (RetryReason::Status(status), None) => js_sys::Error::new(&format!("HTTP {status}")).into(),
    };
    let state = Object::new();
    for (key, value) in [
        ("request", shared.js_request()),
        ("options", shared.options.clone()),
        ("error", error),
        ("retryCount", event.attempt().into()),
    ] {
        let _ = Reflect::set(&state, &key.into(), &value);
    }
    state.into()
}

/// The head of `response` (status, headers, URL) with an empty body.
fn head_only(response: &Response) -> CoreResponse {
    let mut head = http::Response::new(unifetch::Body::empty());
    *head.status_mut() = response.status();
    *head.headers_mut() = response.headers().clone();
    CoreResponse::new(Response::from_http(head, response.url().clone()), None)
}

/// Calls a bridge function; it returns a promise.
fn call(function: &Function, args: &[JsValue]) -> unifetch::Result<Promise> {
    let args: Array = args.iter().collect();
    function
        .apply(&JsValue::NULL, &args)
        .map_err(handoff::thrown)?
        .dyn_into()
        .map_err(|_| unifetch::Error::hook("a hook runner did not return a promise"))
}

/// The core response of a response a JS runner gave back (ours or fetch's).
fn claim(bridge: &Bridge, response: &JsValue) -> unifetch::Result<Response> {
    let token = bridge
        .hand_off
        .call1(&JsValue::NULL, response)
        .map_err(handoff::thrown)?;
    let token = token
        .as_f64()
        .ok_or_else(|| unifetch::Error::hook("a hook gave back no response"))?;
    handoff::take_response(token as u32)
        .ok_or_else(|| unifetch::Error::hook("a hook gave back a response already used"))
}

/// The core request as a fetch `Request` (its body if it is in memory).
fn to_js_request(request: &Request) -> Result<web_sys::Request, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(request.method().as_str());
    let headers = web_sys::Headers::new()?;
    for (name, value) in request.headers() {
        headers.append(name.as_str(), &String::from_utf8_lossy(value.as_bytes()))?;
    }
    init.set_headers(&headers);
    let bodiless = matches!(*request.method(), Method::GET | Method::HEAD);
    if let Some(bytes) = request.body().as_bytes().filter(|b| !b.is_empty() && !bodiless) {
        init.set_body(&Uint8Array::from(bytes));
    }
    web_sys::Request::new_with_str_and_init(request.url().as_str(), &init)
}

/// `request` as a hook left `js`: method, URL, headers, and the body of a
/// `Request` the hook made (`same` is false).
async fn from_js_request(mut request: Request, js: &web_sys::Request, same: bool) -> Result<Request, JsValue> {
    *request.method_mut() = crate::options::method(&js.method())?;
    *request.url_mut() = js
        .url()
        .parse()
        .map_err(|e| errors::invalid(&format!("invalid URL from a hook: {e}")))?;
    let mut pairs = Vec::new();
    for entry in js_sys::try_iter(&js.headers())?.into_iter().flatten() {
        let entry: Array = entry?.unchecked_into();
        pairs.push((
            entry.get(0).as_string().unwrap_or_default(),
            entry.get(1).as_string().unwrap_or_default(),
        ));
    }
    *request.headers_mut() = header_map(&pairs)?;
    if !same && js.body().is_some() {
        let buffer = JsFuture::from(js.array_buffer()?).await?;
        *request.body_mut() = unifetch::Body::from(Uint8Array::new(&buffer).to_vec());
    }
    Ok(request)
}
