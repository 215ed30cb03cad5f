//! Memory of the crawler's dedup set: a million distinct URLs, normalized
//! and recorded, and what that costs per URL (the table's own bytes, and
//! the growth of the process's resident memory).
//!
//! ```text
//! cargo bench --bench dedup
//! ```

use unifetch::crawl::{normalize, UrlSet};
use unifetch::Url;

fn main() {
    const URLS: usize = 1_000_000;
    let before = resident_kib();
    let mut seen = UrlSet::default();
    for i in 0..URLS {
        let url: Url = format!(
            "https://host{}.example/section/{}/page-{i}.html?ref=list#top",
            i % 500,
            i % 97
        )
        .parse()
        .expect("a valid URL");
        seen.insert(&normalize(&url));
    }
    let after = resident_kib();
    assert_eq!(seen.len(), URLS);
    println!("| URLs seen | table bytes per URL | RSS growth per URL |");
    println!("| ---: | ---: | ---: |");
    println!(
        "| {URLS} | {:.1} | {} |",
        seen.table_bytes() as f64 / URLS as f64,
        match (before, after) {
            (Some(before), Some(after)) => format!("{:.1}", (after - before) as f64 * 1024.0 / URLS as f64),
            _ => "n/a".to_owned(),
        }
    );
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
