//! What only exists natively for unifetch: the test and demo [`site`], the
//! [`TestServer`] helper for users' own tests, and (in the binary) the
//! `unifetch` CLI.

pub mod guide;
pub mod site;
mod test_server;

pub use test_server::{ExampleSite, TestServer};
