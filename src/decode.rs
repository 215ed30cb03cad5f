//! Response decompression, written once in the core (feature `decompress`,
//! on by default): gzip, deflate, brotli and zstd with pure-Rust decoders
//! that build for every target.
//!
//! Without the feature, no body is decoded by the core (platforms that
//! decode by themselves, like browsers, do not need it) and the decoders'
//! tables stay out of the binary.

#[cfg(feature = "decompress")]
mod codecs;
#[cfg(feature = "decompress")]
pub(crate) use codecs::{Coding, Decoder};

#[cfg(not(feature = "decompress"))]
mod disabled;
#[cfg(not(feature = "decompress"))]
pub(crate) use disabled::{Coding, Decoder};
