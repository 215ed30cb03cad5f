//! [`TlsVersion`]: the TLS versions a session can insist on.

/// A TLS protocol version, for
/// [`SessionBuilder::tls_min_version`](crate::SessionBuilder::tls_min_version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2.
    V1_2,
    /// TLS 1.3.
    V1_3,
}
