//! The core session behind the package's `Session` and `uf` instances:
//! `send(method, url, options)` is every request.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::{guarded, Abort};
use crate::errors;
use crate::options::{self, field, JsSettings};
use crate::response::CoreResponse;

/// A reusable client: prefix URL, default headers, timeouts, retries,
/// limits, cookies.
#[wasm_bindgen]
pub struct CoreSession {
    pub(crate) inner: unifetch::Session,
    pub(crate) settings: JsSettings,
}

#[wasm_bindgen]
impl CoreSession {
    /// A session from ky-style options (all optional).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<CoreSession, JsValue> {
        let (builder, settings) = options::session(&options)?;
        let inner = builder.build().map_err(|e| errors::to_js(&e))?;
        Ok(CoreSession { inner, settings })
    }

    /// Sends a request: a promise of its response once the head is in.
    /// A non-2xx status rejects with an `HTTPError` (its body read first,
    /// so that it holds no connection) unless `throwHttpErrors` says not
    /// to; `signal` rejects with its reason, dropping the exchange.
    pub fn send(&self, method: &str, url: &str, options: JsValue) -> Promise {
        let url = self.resolve(url);
        let prepared = options::method(method).map(|method| self.inner.request(method, &url));
        let settings = self.settings.clone();
        future_to_promise(async move {
            let signal = if options.is_undefined() {
                None
            } else {
                field(&options, "signal")
            };
            let abort = Abort::new(&signal.unwrap_or(JsValue::UNDEFINED))?;
            let exchange = async {
                let (request, throws) = options::request(prepared?, &options, &settings).await?;
                let response = request.send().await.map_err(|e| errors::to_js(&e))?;
                let status = response.status().as_u16();
                if !response.status().is_success() && throws.throws(status) {
                    let read = response.buffered().await.map_err(|e| errors::to_js(&e))?;
                    return Err(errors::http_error(CoreResponse::new(read, None)));
                }
                Ok(CoreResponse::new(response, abort.clone()).into())
            };
            guarded(abort.clone(), exchange).await
        })
    }
}

impl CoreSession {
    /// ky's `prefixUrl`: joined with exactly one `/` in between.
    fn resolve(&self, url: &str) -> String {
        match &self.settings.prefix_url {
            Some(prefix) => format!("{}/{}", prefix.trim_end_matches('/'), url.trim_start_matches('/')),
            None => url.to_owned(),
        }
    }
}
