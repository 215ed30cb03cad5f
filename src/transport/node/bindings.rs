//! The bindings of `exchange.js`, the JavaScript side of the Node transport.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/transport/node/exchange.js")]
extern "C" {
    /// Loads `node:http`, `node:https` and `node:zlib` (once).
    #[wasm_bindgen(js_name = nodeModules)]
    pub(super) fn node_modules() -> Promise;

    /// Keep-alive agents for `http:` and `https:`.
    #[wasm_bindgen(js_name = nodeAgents)]
    pub(super) fn node_agents(modules: &JsValue) -> JsValue;

    /// The `Accept-Encoding` this Node can decode.
    #[wasm_bindgen(js_name = acceptedEncodings)]
    pub(super) fn accepted_encodings(modules: &JsValue) -> String;

    pub(super) type NodeExchange;

    #[wasm_bindgen(constructor, catch)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        modules: &JsValue,
        agents: &JsValue,
        url: &str,
        method: &str,
        header_block: &str,
        body: Option<Uint8Array>,
        decompress: bool,
        whole_up_to: f64,
        connect_ms: f64,
        sock_connect_ms: f64,
    ) -> std::result::Result<NodeExchange, JsValue>;

    #[wasm_bindgen(method, getter)]
    pub(super) fn response(this: &NodeExchange) -> Promise;

    #[wasm_bindgen(method, getter)]
    pub(super) fn status(this: &NodeExchange) -> u16;

    #[wasm_bindgen(method, getter, js_name = headerBlock)]
    pub(super) fn header_block(this: &NodeExchange) -> String;

    /// The whole body, once a small one has been read.
    #[wasm_bindgen(method, getter)]
    pub(super) fn body(this: &NodeExchange) -> Option<Uint8Array>;

    /// The promise of the whole body, for a small one.
    #[wasm_bindgen(method, getter)]
    pub(super) fn whole(this: &NodeExchange) -> Option<Promise>;

    #[wasm_bindgen(method)]
    pub(super) fn read(this: &NodeExchange) -> Promise;

    #[wasm_bindgen(method)]
    pub(super) fn abort(this: &NodeExchange);
}
