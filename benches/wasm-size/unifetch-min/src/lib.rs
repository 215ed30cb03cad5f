//! GET a URL with a 5 s timeout and return its JSON body, re-serialised.
use std::time::Duration;

use wasm_bindgen::prelude::*;

/// Fetches `url` and returns its JSON body as text.
#[wasm_bindgen]
pub async fn fetch_json(url: String) -> Result<String, JsError> {
    let session = unifetch::Session::builder()
        .timeout(unifetch::Timeout::total(Duration::from_secs(5)))
        .build()?;
    let body: serde_json::Value = session.get(url).send().await?.json().await?;
    Ok(body.to_string())
}
