//! Decompression compiled out: no coding is recognized, so no decoder is
//! ever made.

use bytes::Bytes;

/// No `Content-Encoding` is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {}

impl Coding {
    pub(crate) fn parse(_: &str) -> Option<Coding> {
        None
    }
}

/// A decoder that cannot exist.
pub(crate) enum Decoder {}

impl Decoder {
    pub(crate) fn new(coding: Coding) -> Decoder {
        match coding {}
    }

    pub(crate) fn push(&mut self, _: &[u8]) {
        match *self {}
    }

    pub(crate) fn end_input(&mut self) {
        match *self {}
    }

    pub(crate) fn pull(&mut self) -> Result<Option<Bytes>, std::convert::Infallible> {
        match *self {}
    }
}
