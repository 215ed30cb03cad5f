//! `new Session(options)` and its request methods.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::errors;
use crate::options::{self, JsSettings};
use crate::response::UnifetchResponse;

/// A reusable client: prefix URL, default headers, timeouts, retries,
/// limits, cookies. Every method returns a Promise of a response; non-2xx
/// responses reject with an `HTTPError` unless `throwHttpErrors: false`.
#[wasm_bindgen]
pub struct Session {
    pub(crate) inner: unifetch::Session,
    pub(crate) settings: JsSettings,
}

#[wasm_bindgen]
impl Session {
    /// A session from ky-style options (all optional).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Session, JsValue> {
        let (builder, settings) = options::session(&options)?;
        let inner = builder.build().map_err(|e| errors::to_js(&e))?;
        Ok(Session { inner, settings })
    }

    /// Any method: `session.request('PURGE', url, options)`.
    pub fn request(&self, method: &str, url: &str, options: JsValue) -> Promise {
        let request = options::method(method).map(|method| self.inner.request(method, self.resolve(url)));
        let default_throw = self.settings.throw_http_errors;
        future_to_promise(async move {
            let (request, throw_http_errors) = options::request(request?, &options, default_throw).await?;
            let response = request.send().await.map_err(|e| errors::to_js(&e))?;
            let (status, url) = (response.status().as_u16(), response.url().to_string());
            let ok = response.status().is_success();
            let response = JsValue::from(UnifetchResponse::new(response));
            if throw_http_errors && !ok {
                return Err(errors::http_error(response, status, &url));
            }
            Ok(response)
        })
    }

    /// `GET url`.
    pub fn get(&self, url: &str, options: JsValue) -> Promise {
        self.request("GET", url, options)
    }

    /// `POST url`.
    pub fn post(&self, url: &str, options: JsValue) -> Promise {
        self.request("POST", url, options)
    }

    /// `PUT url`.
    pub fn put(&self, url: &str, options: JsValue) -> Promise {
        self.request("PUT", url, options)
    }

    /// `PATCH url`.
    pub fn patch(&self, url: &str, options: JsValue) -> Promise {
        self.request("PATCH", url, options)
    }

    /// `DELETE url`.
    pub fn delete(&self, url: &str, options: JsValue) -> Promise {
        self.request("DELETE", url, options)
    }

    /// `HEAD url`.
    pub fn head(&self, url: &str, options: JsValue) -> Promise {
        self.request("HEAD", url, options)
    }

    /// `OPTIONS url`.
    pub fn options(&self, url: &str, options: JsValue) -> Promise {
        self.request("OPTIONS", url, options)
    }
}

impl Session {
    /// ky's `prefixUrl`: joined with exactly one `/` in between.
    fn resolve(&self, url: &str) -> String {
        match &self.settings.prefix_url {
            Some(prefix) => format!("{}/{}", prefix.trim_end_matches('/'), url.trim_start_matches('/')),
            None => url.to_owned(),
        }
    }
}
