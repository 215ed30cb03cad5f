//! GET a URL with a 5 s timeout and return its JSON body, re-serialised.
use std::time::Duration;

use wasm_bindgen::prelude::*;

/// Fetches `url` and returns its JSON body as text.
#[wasm_bindgen]
pub async fn fetch_json(url: String) -> Result<String, JsError> {
    let client = reqwest::Client::new();
    let response = client.get(url).timeout(Duration::from_secs(5)).send().await?;
    let body: serde_json::Value = response.json().await?;
    Ok(body.to_string())
}
