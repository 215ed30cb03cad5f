//! Sending forms and JSON, and reading responses: status, headers (names are
//! case-insensitive), text decoded by its charset, raw bytes, and JSON into
//! `serde_json::Value` or your own types.
//!
//! ```text
//! cargo run --example reading
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use unifetch::Session;
use unifetch_native::ExampleSite;

#[derive(Serialize)]
struct Login<'a> {
    user: &'a str,
    remember: bool,
}

/// The part of the echo we care about.
#[derive(Debug, Deserialize)]
struct Echo {
    form: std::collections::BTreeMap<String, String>,
    json: Option<Value>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder().base_url(site.base_url())?.build()?;

    // A form from pairs, and one from a struct.
    let echo: Echo = session
        .post("/post")
        .form(&[("name", "钢铁知识库"), ("age", "23")])
        .send()
        .await?
        .json()
        .await?;
    println!("form from pairs:  {:?}", echo.form);
    let echo: Echo = session
        .post("/post")
        .form(&Login {
            user: "ann",
            remember: true,
        })
        .send()
        .await?
        .json()
        .await?;
    println!("form from struct: {:?}", echo.form);

    // JSON in, JSON out.
    let echo: Echo = session
        .post("/post")
        .json(&json!({"book": "西游记", "chapters": 100}))
        .send()
        .await?
        .json()
        .await?;
    println!("json:             {:?}", echo.json);

    // Status and headers.
    let response = session.get("/response-headers?X-Powered-By=unifetch").send().await?;
    println!("status:           {}", response.status());
    println!("x-powered-by:     {:?}", response.headers()["X-POWERED-BY"]);
    println!("content-type:     {:?}", response.headers()["content-type"]);

    // Text in the charset the server declares (here GBK), UTF-8 otherwise.
    let text = session.get("/encoding/gbk").send().await?.text().await?;
    println!("gbk text:         {text}");

    // Raw bytes.
    let bytes = session.get("/bytes/16?seed=1").send().await?.bytes().await?;
    println!("16 raw bytes:     {:02x?}", &bytes[..]);
    Ok(())
}
