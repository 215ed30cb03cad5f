//! Deterministic tests of code that uses unifetch, without a network or
//! real time, on every target: a [`ScriptedTransport`] that plays back
//! replies written in advance (statuses, headers, bodies that arrive in
//! steps, stall, reset or fail) and a [`ManualClock`] on which they take
//! their time, which [`ManualClock::run`] moves whenever nothing else can
//! happen. unifetch's own tests of timeouts × retries × redirects ×
//! cookies × limits run on them.

mod clock;
mod scripted;

pub use self::clock::{ManualClock, Stalled};
pub use self::scripted::{Reply, ScriptedTransport, SeenRequest};
