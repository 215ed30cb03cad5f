//! The conformance scenarios on the native transport (hyper + tokio).
#![cfg(not(target_family = "wasm"))]

mod conformance;
mod support;

use conformance::{Outcome, Site};

fn site() -> Site {
    Site::new(support::site_url(), support::closed_port())
}

async fn run(outcome: impl std::future::Future<Output = Outcome>) {
    if let Err(failure) = outcome.await {
        panic!("{}", failure.0);
    }
}

macro_rules! native_harness {
    ($($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                run(conformance::$scenario(&site())).await;
            }
        )*
    };
}

all_scenarios!(native_harness);
