//! The smallest WebAssembly module that uses a `Session`: one exported
//! function that fetches a URL and returns its status. It exists to measure
//! what unifetch costs in a browser bundle (`bash scripts/wasm-size.sh`).
//!
//! Only meaningful on `wasm32-unknown-unknown`; elsewhere it is empty.
#![cfg(all(target_family = "wasm", target_os = "unknown"))]

use wasm_bindgen::prelude::*;

/// Fetches `url` with a default session and returns the HTTP status.
#[wasm_bindgen]
pub async fn status_of(url: String) -> Result<u16, JsError> {
    let response = unifetch::Session::new().get(url).send().await?;
    Ok(response.status().as_u16())
}
