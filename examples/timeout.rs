//! A `total` timeout of 1 s against a response that takes 2 s: the error
//! says it is a timeout, which one, and in which phase it fired.
//!
//! ```text
//! cargo run --example timeout
//! ```

use std::time::Duration;

use unifetch::{Session, Timeout};
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder()
        .base_url(site.base_url())?
        .timeout(Timeout::total(Duration::from_secs(1)))
        .build()?;

    match session.get("/delay/2").send().await {
        Ok(response) => println!("unexpected: {}", response.status()),
        Err(error) => {
            println!("is_timeout: {}", error.is_timeout());
            println!("which:      {:?}", error.timeout_kind());
            println!("message:    {error}");
        }
    }
    Ok(())
}
