//! What every property test of the crate shares (native test builds only).

use proptest::test_runner::Config;

/// `cases` per property, or `PROPTEST_CASES` when set (for a longer run:
/// `PROPTEST_CASES=20000 cargo test -p unifetch --lib properties`); no
/// failure files written into the source tree.
pub(crate) fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
