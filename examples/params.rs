//! Query parameters and every HTTP method.
//!
//! Parameters come from a slice of pairs, a map, or any `Serialize` struct;
//! non-ASCII values are percent-encoded as UTF-8.
//!
//! ```text
//! cargo run --example params
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use unifetch::{Method, Session};
use unifetch_native::ExampleSite;

#[derive(Serialize)]
struct Query<'a> {
    name: &'a str,
    age: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder().base_url(site.base_url())?.build()?;

    // The same parameters three ways.
    let pairs = [("name", "钢铁知识库"), ("age", "23")];
    let map: BTreeMap<&str, &str> = pairs.into_iter().collect();
    let query = Query {
        name: "钢铁知识库",
        age: 23,
    };

    let echo: Value = session.get("/get").query(&pairs).send().await?.json().await?;
    println!("from pairs:  {}", echo["url"]);
    let echo: Value = session.get("/get").query(&map).send().await?.json().await?;
    println!("from a map:  {}", echo["args"]);
    let echo: Value = session.get("/get").query(&query).send().await?.json().await?;
    println!("from struct: {}", echo["args"]);

    // Every method; the ones that carry a body send some bytes.
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
    ];
    for method in methods {
        let has_body = matches!(method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
        let mut request = session.request(method.clone(), "/anything").query(&pairs);
        if has_body {
            request = request.body(b"raw bytes".to_vec());
        }
        let response = request.send().await?;
        let status = response.status();
        if method == Method::HEAD {
            println!("{:<7} -> {status} (no body)", method.as_str());
            continue;
        }
        let echo: Value = response.json().await?;
        println!(
            "{:<7} -> {status} method={} data={}",
            method.as_str(),
            echo["method"],
            echo["data"]
        );
    }
    Ok(())
}
