//! The server side with axum (Rust's counterpart of `aiohttp.web`):
//! `GET /hello?name=…` answers `{"msg": "Hello, <name>!"}`, and a unifetch
//! client calls it — the way aiohttp's quick start pairs its server and client.
//!
//! ```text
//! cargo run --example hello_server
//! ```

use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use unifetch_native::TestServer;

#[derive(Deserialize)]
struct Hello {
    name: Option<String>,
}

async fn hello(Query(query): Query<Hello>) -> Json<Value> {
    let name = query.name.unwrap_or_else(|| "Anonymous".to_owned());
    Json(json!({ "msg": format!("Hello, {name}!") }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Router::new().route("/hello", get(hello));

    // On 127.0.0.1 with a free port; `server.session()` points at it.
    let server = TestServer::start(app).await?;
    println!("serving on {}", server.base_url());

    let session = server.session();
    for name in ["钢铁知识库", "world"] {
        let reply: Value = session
            .get("/hello")
            .query(&[("name", name)])
            .send()
            .await?
            .json()
            .await?;
        println!("{}", reply["msg"]);
    }
    Ok(())
}
