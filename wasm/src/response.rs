//! The core's response as the package's `index.js` sees it: the head, and
//! the body read whole, as text, or chunk by chunk, under the request's
//! `signal`. `index.js` wraps it in a class with fetch's `Response`
//! members.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use unifetch::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::{guarded, Abort};
use crate::{errors, handoff};

/// A response whose head has arrived. Its body can be read once.
#[wasm_bindgen]
pub struct CoreResponse {
    status: u16,
    url: String,
    redirected: bool,
    headers: HeaderMap,
    body: Rc<BodySlot>,
}

/// The unread body, shared with the reads in flight.
struct BodySlot {
    response: RefCell<Option<unifetch::Response>>,
    /// The request's signal, while the body may still be read (its
    /// listener goes when the body is done with).
    abort: RefCell<Option<Abort>>,
    /// Set by `release()`: a read in flight drops the body when it returns.
    released: Cell<bool>,
}

impl BodySlot {
    /// Takes the body out for good, with the signal that guards reading it.
    fn take(&self) -> Result<(unifetch::Response, Option<Abort>), JsValue> {
        let response = self
            .response
            .borrow_mut()
            .take()
            .ok_or_else(|| errors::type_error("the body was already read or released"))?;
        Ok((response, self.abort.borrow_mut().take()))
    }

    /// Puts back a body still to be read, unless it was released meanwhile.
    fn put_back(&self, response: unifetch::Response) {
        if self.released.get() {
            self.abort.borrow_mut().take();
        } else {
            *self.response.borrow_mut() = Some(response);
        }
    }
}

impl CoreResponse {
    /// Wraps `response`, whose body reads stop when `abort` fires.
    pub(crate) fn new(mut response: unifetch::Response, abort: Option<Abort>) -> CoreResponse {
        CoreResponse {
            status: response.status().as_u16(),
            url: response.url().to_string(),
            redirected: !response.history().is_empty(),
            headers: std::mem::take(response.headers_mut()),
            body: Rc::new(BodySlot {
                response: RefCell::new(Some(response)),
                abort: RefCell::new(abort),
                released: Cell::new(false),
            }),
        }
    }

    /// The `Content-Type` header, if any.
    fn content_type(&self) -> Option<String> {
        Some(self.headers.get(CONTENT_TYPE)?.to_str().ok()?.to_owned())
    }
}

#[wasm_bindgen]
impl CoreResponse {
    /// A response made in JS (by a hook): status, `[name, value, …]`, and
    /// its body stream (`null` for none), read as the core reads it.
    #[wasm_bindgen(js_name = fromStream)]
    pub fn from_stream(
        status: u16,
        headers: Array,
        body: Option<web_sys::ReadableStream>,
        url: &str,
    ) -> Result<CoreResponse, JsValue> {
        let mut made = http::Response::builder().status(status);
        for pair in headers.to_vec().chunks(2) {
            let (Some(name), Some(value)) = (pair[0].as_string(), pair.get(1).and_then(JsValue::as_string)) else {
                continue;
            };
            made = made.header(name, value);
        }
        let body = match body {
            Some(stream) => unifetch::transport::body_from_stream(&stream).map_err(|e| errors::to_js(&e))?,
            None => unifetch::Body::empty(),
        };
        let made = made
            .body(body)
            .map_err(|e| errors::type_error(&format!("invalid response: {e}")))?;
        let url = url
            .parse()
            .or_else(|_| "about:blank".parse())
            .map_err(|_| errors::type_error("invalid response URL"))?;
        Ok(CoreResponse::new(unifetch::Response::from_http(made, url), None))
    }

    /// The HTTP status.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The status's reason phrase (`"Not Found"`).
    #[wasm_bindgen(getter, js_name = statusText)]
    pub fn status_text(&self) -> String {
        http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or_default()
            .to_owned()
    }

    /// The final URL, after redirects.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether a redirect was followed.
    #[wasm_bindgen(getter)]
    pub fn redirected(&self) -> bool {
        self.redirected
    }

    /// The headers as `[name, value, name, value, …]`.
    #[wasm_bindgen(js_name = headerList)]
    pub fn header_list(&self) -> Array {
        let list = Array::new();
        for (name, value) in &self.headers {
            list.push(&name.as_str().into());
            list.push(&String::from_utf8_lossy(value.as_bytes()).as_ref().into());
        }
        list
    }

    /// The body's length when known before reading (`Content-Length`).
    #[wasm_bindgen(getter, js_name = contentLength)]
    pub fn content_length(&self) -> Option<f64> {
        let known = self.body.response.borrow().as_ref().and_then(|r| r.content_length());
        known
            .or_else(|| self.headers.get("content-length")?.to_str().ok()?.parse().ok())
            .map(|n| n as f64)
    }

    /// The whole body as a `Uint8Array`.
    pub fn bytes(&self) -> Promise {
        let taken = self.body.take();
        future_to_promise(async move {
            let (response, abort) = taken?;
            let bytes = guarded(abort, async { response.bytes().await.map_err(|e| errors::to_js(&e)) }).await?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    /// The body as text, in the encoding the core picks (a byte-order mark,
    /// else the `charset` of `Content-Type`, else UTF-8), decoded by the
    /// platform's `TextDecoder`.
    pub fn text(&self) -> Promise {
        let taken = self.body.take();
        let content_type = self.content_type();
        future_to_promise(async move {
            let (response, abort) = taken?;
            let bytes = guarded(abort, async { response.bytes().await.map_err(|e| errors::to_js(&e)) }).await?;
            decode(content_type.as_deref(), &bytes)
        })
    }

    /// The next chunk of the body, `undefined` at its end.
    pub fn next(&self) -> Promise {
        let slot = self.body.clone();
        future_to_promise(async move {
            let Some(mut response) = slot.response.borrow_mut().take() else {
                return Ok(JsValue::UNDEFINED);
            };
            let abort = slot.abort.borrow().clone();
            let chunk = guarded(abort, async { response.chunk().await.map_err(|e| errors::to_js(&e)) }).await;
            match chunk {
                Ok(Some(bytes)) => {
                    slot.put_back(response);
                    Ok(Uint8Array::from(&bytes[..]).into())
                }
                // The end, or a failure: the body is done with.
                done => {
                    slot.abort.borrow_mut().take();
                    done.map(|_| JsValue::UNDEFINED)
                }
            }
        })
    }

    /// Drops the body unread: its connection and limit slots are free at
    /// once (after the read in flight, if there is one).
    pub fn release(&self) {
        self.body.released.set(true);
        self.body.response.borrow_mut().take();
        self.body.abort.borrow_mut().take();
    }

    /// Reads the body into memory (bounded by `maxBodySize`): its
    /// connection and slots are free, and it can be read (and cloned) later.
    pub fn buffer(&self) -> Promise {
        let slot = self.body.clone();
        future_to_promise(async move {
            let Some(response) = slot.response.borrow_mut().take() else {
                return Err(errors::type_error("the body was already read or released"));
            };
            let abort = slot.abort.borrow().clone();
            let buffered = guarded(abort, async {
                response.buffered().await.map_err(|e| errors::to_js(&e))
            })
            .await?;
            slot.put_back(buffered);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Hands this response (head and unread body) back to the core: the
    /// token that claims it. This object is empty afterwards.
    pub fn detach(&mut self) -> Result<u32, JsValue> {
        let (mut response, _) = self.body.take()?;
        *response.headers_mut() = std::mem::take(&mut self.headers);
        Ok(handoff::put_response(response))
    }
}

/// Decodes a body read elsewhere as [`CoreResponse::text`] would: in the
/// encoding the core picks from its byte-order mark or `contentType`.
#[wasm_bindgen(js_name = decodeBody)]
pub fn decode_text(content_type: Option<String>, bytes: &[u8]) -> Result<JsValue, JsValue> {
    decode(content_type.as_deref(), bytes)
}

/// `bytes` decoded in the encoding the core picks for them.
fn decode(content_type: Option<&str>, bytes: &[u8]) -> Result<JsValue, JsValue> {
    let encoding = unifetch::TextEncoding::sniff(content_type, bytes, "utf-8");
    // The core has skipped the byte-order mark: decode the rest as it is.
    let options = web_sys::TextDecoderOptions::new();
    Reflect::set(&options, &"ignoreBOM".into(), &true.into())?;
    let decoder = web_sys::TextDecoder::new_with_label_and_options(encoding.label(), &options)
        .or_else(|_| web_sys::TextDecoder::new_with_label_and_options("utf-8", &options))?;
    Ok(decoder.decode_with_u8_array(&bytes[encoding.bom_len()..])?.into())
}

/// Headers from `[name, value, …]` pairs of JS strings, for the core.
pub(crate) fn header_map(pairs: &[(String, String)]) -> Result<HeaderMap, JsValue> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| errors::type_error(&e.to_string()))?;
        let value = HeaderValue::from_str(value).map_err(|e| errors::type_error(&e.to_string()))?;
        map.append(name, value);
    }
    Ok(map)
}
