//! A streaming download: check the status, then write the body to a file
//! chunk by chunk, so memory stays flat whatever the size.
//!
//! ```text
//! cargo run --release --example stream_download -- 1073741824
//! ```
//!
//! The argument is the size in bytes (default 64 MiB); the file goes to the
//! system's temporary directory and is removed at the end.

use std::io::Write;
use std::time::Instant;

use futures::StreamExt;
use unifetch::Session;
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 64 * 1024 * 1024,
    };
    let site = ExampleSite::start().await?;
    let session = Session::builder().base_url(site.base_url())?.build()?;

    let started = Instant::now();
    let response = session
        .get(format!("/stream-bytes/{size}?chunk_size=65536"))
        .send()
        .await?
        .error_for_status()?;

    let path = std::env::temp_dir().join(format!("unifetch-download-{}.bin", std::process::id()));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut chunks = response.chunks();
    let mut written: u64 = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    file.flush()?;
    drop(file);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "wrote {written} bytes to {} in {seconds:.2} s ({:.0} MiB/s)",
        path.display(),
        written as f64 / seconds / 1048576.0
    );
    if let Some(peak) = peak_rss_kib() {
        println!("peak RSS: {:.1} MiB", peak as f64 / 1024.0);
    }
    std::fs::remove_file(&path)?;
    Ok(())
}

/// The process's peak resident set size (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
