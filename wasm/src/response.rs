//! The response: `status`, `ok`, `url`, `headers` (a real `Headers`), and
//! the body as `text()`, `json()`, `bytes()` or `chunks()`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::errors;

/// A response whose head has arrived. Its body can be read once.
#[wasm_bindgen]
pub struct UnifetchResponse {
    status: u16,
    status_text: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Rc<RefCell<Option<unifetch::Response>>>,
}

impl UnifetchResponse {
    pub(crate) fn new(response: unifetch::Response) -> UnifetchResponse {
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        UnifetchResponse {
            status: response.status().as_u16(),
            status_text: response.status().canonical_reason().unwrap_or_default().to_owned(),
            url: response.url().to_string(),
            headers,
            body: Rc::new(RefCell::new(Some(response))),
        }
    }

    /// Takes the body out, or fails if it was read already.
    fn take(&self) -> Result<unifetch::Response, JsValue> {
        self.body
            .borrow_mut()
            .take()
            .ok_or_else(|| errors::invalid("the body was already read"))
    }

    /// The `Content-Type` header, if any.
    fn content_type(&self) -> Option<String> {
        let (_, value) = self.headers.iter().find(|(name, _)| name == "content-type")?;
        Some(value.clone())
    }
}

#[wasm_bindgen]
impl UnifetchResponse {
    /// The HTTP status.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The status's reason phrase (`"Not Found"`).
    #[wasm_bindgen(getter, js_name = statusText)]
    pub fn status_text(&self) -> String {
        self.status_text.clone()
    }

    /// Whether the status is 2xx.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The final URL, after redirects.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The response headers, as a `Headers`.
    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Result<web_sys::Headers, JsValue> {
        let headers = web_sys::Headers::new()?;
        for (name, value) in &self.headers {
            headers.append(name, value)?;
        }
        Ok(headers)
    }

    /// The body as text, in the encoding the core picks (a byte-order mark,
    /// else the `charset` of `Content-Type`, else UTF-8), decoded by the
    /// platform's `TextDecoder`.
    pub fn text(&self) -> Promise {
        let taken = self.take();
        let content_type = self.content_type();
        future_to_promise(async move {
            let bytes = taken?.bytes().await.map_err(|e| errors::to_js(&e))?;
            let encoding = unifetch::TextEncoding::sniff(content_type.as_deref(), &bytes, "utf-8");
            // The core has skipped the byte-order mark: decode the rest as it is.
            let options = web_sys::TextDecoderOptions::new();
            Reflect::set(&options, &"ignoreBOM".into(), &true.into())?;
            let decoder = web_sys::TextDecoder::new_with_label_and_options(encoding.label(), &options)
                .or_else(|_| web_sys::TextDecoder::new_with_label_and_options("utf-8", &options))?;
            Ok(decoder.decode_with_u8_array(&bytes[encoding.bom_len()..])?.into())
        })
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Promise {
        let text = self.text();
        future_to_promise(async move {
            let text = wasm_bindgen_futures::JsFuture::from(text).await?;
            js_sys::JSON::parse(&text.as_string().unwrap_or_default())
        })
    }

    /// The body as a `Uint8Array`.
    pub fn bytes(&self) -> Promise {
        let taken = self.take();
        future_to_promise(async move {
            let bytes = taken?.bytes().await.map_err(|e| errors::to_js(&e))?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    /// A reader of the body's chunks (`index.js` makes it an async iterator).
    #[wasm_bindgen(js_name = chunkReader)]
    pub fn chunk_reader(&self) -> Result<ChunkReader, JsValue> {
        Ok(ChunkReader {
            response: Rc::new(RefCell::new(Some(self.take()?))),
        })
    }
}

/// Reads a body chunk by chunk: `next()` gives `{ value: Uint8Array, done }`.
#[wasm_bindgen]
pub struct ChunkReader {
    response: Rc<RefCell<Option<unifetch::Response>>>,
}

#[wasm_bindgen]
impl ChunkReader {
    /// The next chunk, as an iterator result.
    pub fn next(&self) -> Promise {
        let cell = self.response.clone();
        future_to_promise(async move {
            let mut response = cell
                .borrow_mut()
                .take()
                .ok_or_else(|| errors::invalid("next() called before the previous call finished"))?;
            let chunk = response.chunk().await;
            *cell.borrow_mut() = Some(response);
            let chunk = chunk.map_err(|e| errors::to_js(&e))?;
            let result = Object::new();
            Reflect::set(&result, &"done".into(), &chunk.is_none().into())?;
            if let Some(bytes) = chunk {
                Reflect::set(&result, &"value".into(), &Uint8Array::from(&bytes[..]))?;
            }
            Ok(result.into())
        })
    }
}
