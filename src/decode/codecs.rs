//! The decoders: gzip, deflate, brotli and zstd.
//!
//! Every decoder is driven push-in / pull-out with a bounded output buffer,
//! so a decompression bomb never produces more than one buffer at a time
//! and the body size limit stops it early.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use flate2::{Crc, Decompress, FlushDecompress, Status};

/// The most one decoding step produces.
pub(crate) const STEP: usize = 64 * 1024;

/// A `Content-Encoding` this module decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    /// The coding named by a `Content-Encoding` value, if it is one we decode.
    pub(crate) fn parse(value: &str) -> Option<Coding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            "zstd" => Some(Coding::Zstd),
            _ => None,
        }
    }
}

/// Why a body could not be decoded.
#[derive(Debug)]
pub(crate) struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode the response body: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

fn invalid(what: impl fmt::Display) -> DecodeError {
    DecodeError(what.to_string())
}

/// A streaming decoder: feed it compressed bytes, pull decoded bytes.
pub(crate) struct Decoder {
    input: BytesMut,
    ended: bool,
    /// Whether any compressed byte arrived (an empty body is not an error).
    received: bool,
    state: State,
}

enum State {
    /// Reading a gzip member header (`first`: no member was read yet).
    GzipHeader {
        first: bool,
    },
    /// Inflating; `gzip` carries the running CRC for the member trailer.
    Inflate {
        z: Box<Decompress>,
        gzip: Option<Crc>,
    },
    /// Checking a gzip member trailer.
    GzipTrailer(Crc),
    /// Waiting to see whether the deflate stream is zlib-wrapped.
    DeflateStart,
    Brotli(Box<brotli_decompressor::BrotliState<Alloc, Alloc, Alloc>>),
    /// `in_frame`: a frame was started with this decoder and is not done.
    Zstd {
        decoder: Box<ruzstd::decoding::FrameDecoder>,
        in_frame: bool,
    },
    Done,
}

type Alloc = brotli_decompressor::StandardAlloc;

impl Decoder {
    pub(crate) fn new(coding: Coding) -> Decoder {
        let state = match coding {
            Coding::Gzip => State::GzipHeader { first: true },
            Coding::Deflate => State::DeflateStart,
            Coding::Brotli => State::Brotli(Box::new(brotli_decompressor::BrotliState::new(
                Alloc::default(),
                Alloc::default(),
                Alloc::default(),
            ))),
            Coding::Zstd => State::Zstd {
                decoder: Box::new(ruzstd::decoding::FrameDecoder::new()),
                in_frame: false,
            },
        };
        Decoder {
            input: BytesMut::new(),
            ended: false,
            received: false,
            state,
        }
    }

    /// Adds compressed bytes.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.received |= !chunk.is_empty();
        self.input.extend_from_slice(chunk);
    }

    /// Says that no more compressed bytes will come.
    pub(crate) fn end_input(&mut self) {
        self.ended = true;
    }

    /// Decodes what it can: `Some(bytes)` (at most [`STEP`]; may be empty
    /// when more input is needed), or `None` once the stream is complete.
    pub(crate) fn pull(&mut self) -> Result<Option<Bytes>, DecodeError> {
        if self.ended && !self.received {
            return Ok(None);
        }
        let mut out = vec![0u8; STEP];
        loop {
            let (produced, progressed) = match &mut self.state {
                State::Done => {
                    return if self.input.iter().all(|b| *b == 0) {
                        Ok(None)
                    } else {
                        Err(invalid("data after the end of the compressed stream"))
                    };
                }
                State::GzipHeader { first: false } if self.input.is_empty() => {
                    if self.ended {
                        self.state = State::Done;
                    }
                    (0, self.ended)
                }
                State::GzipHeader { .. } => match gzip_header_len(&self.input)? {
                    Some(len) => {
                        self.input.advance(len);
                        self.state = State::Inflate {
                            z: Box::new(Decompress::new(false)),
                            gzip: Some(Crc::new()),
                        };
                        (0, true)
                    }
                    None => (0, false),
                },
                State::DeflateStart => {
                    if self.input.len() < 2 && !self.ended {
                        (0, false)
                    } else {
                        let zlib = self.input.len() >= 2
                            && self.input[0] & 0x0F == 8
                            && (u16::from(self.input[0]) << 8 | u16::from(self.input[1])) % 31 == 0;
                        self.state = State::Inflate {
                            z: Box::new(Decompress::new(zlib)),
                            gzip: None,
                        };
                        (0, true)
                    }
                }
                State::Inflate { z, gzip } => {
                    let (before_in, before_out) = (z.total_in(), z.total_out());
                    let status = z
                        .decompress(&self.input, &mut out, FlushDecompress::None)
                        .map_err(invalid)?;
                    let consumed = (z.total_in() - before_in) as usize;
                    let produced = (z.total_out() - before_out) as usize;
                    if let Some(crc) = gzip.as_mut() {
                        crc.update(&out[..produced]);
                    }
                    self.input.advance(consumed);
                    if status == Status::StreamEnd {
                        self.state = match gzip.take() {
                            Some(crc) => State::GzipTrailer(crc),
                            None => State::Done,
                        };
                    }
                    (produced, consumed > 0 || produced > 0 || status == Status::StreamEnd)
                }
                State::GzipTrailer(crc) => {
                    if self.input.len() < 8 {
                        (0, false)
                    } else {
                        let expected_crc = self.input.get_u32_le();
                        let expected_len = self.input.get_u32_le();
                        if expected_crc != crc.sum() || expected_len != crc.amount() {
                            return Err(invalid("gzip checksum mismatch"));
                        }
                        // Another member may follow (concatenated gzip).
                        self.state = State::GzipHeader { first: false };
                        (0, true)
                    }
                }
                State::Brotli(state) => {
                    let (mut available_in, mut input_offset) = (self.input.len(), 0);
                    let (mut available_out, mut output_offset, mut total) = (out.len(), 0, 0);
                    let result = brotli_decompressor::BrotliDecompressStream(
                        &mut available_in,
                        &mut input_offset,
                        &self.input,
                        &mut available_out,
                        &mut output_offset,
                        &mut out,
                        &mut total,
                        state,
                    );
                    self.input.advance(input_offset);
                    match result {
                        brotli_decompressor::BrotliResult::ResultFailure => return Err(invalid("invalid brotli data")),
                        brotli_decompressor::BrotliResult::ResultSuccess => self.state = State::Done,
                        _ => {}
                    }
                    (output_offset, input_offset > 0 || output_offset > 0)
                }
                State::Zstd { decoder, in_frame } => {
                    if *in_frame && decoder.is_finished() && decoder.can_collect() == 0 {
                        // A frame is complete; another may follow.
                        *in_frame = false;
                        (0, true)
                    } else if !*in_frame && self.input.is_empty() {
                        if self.ended {
                            self.state = State::Done;
                        }
                        (0, self.ended)
                    } else if !*in_frame && self.input.len() < 18 && !self.ended {
                        // ruzstd reads the whole frame header (at most 18 bytes) at once.
                        (0, false)
                    } else {
                        if !*in_frame {
                            **decoder = ruzstd::decoding::FrameDecoder::new();
                            *in_frame = true;
                        }
                        let (read, written) = decoder.decode_from_to(&self.input, &mut out).map_err(invalid)?;
                        self.input.advance(read);
                        (written, read > 0 || written > 0)
                    }
                }
            };
            if produced > 0 {
                out.truncate(produced);
                return Ok(Some(Bytes::from(out)));
            }
            if !progressed {
                if self.ended {
                    return Err(invalid("the compressed stream ends too early"));
                }
                return Ok(Some(Bytes::new()));
            }
        }
    }
}

/// The length of the gzip member header at the start of `input`, once it
/// is all there.
fn gzip_header_len(input: &[u8]) -> Result<Option<usize>, DecodeError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if input.len() < 10 {
        return Ok(None);
    }
    if input[0] != 0x1f || input[1] != 0x8b || input[2] != 8 {
        return Err(invalid("not gzip data"));
    }
    let flags = input[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = input.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match input.get(at..).and_then(|rest| rest.iter().position(|b| *b == 0)) {
                Some(end) => at += end + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((input.len() >= at).then_some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn text() -> Vec<u8> {
        (0..20_000)
            .flat_map(|i| format!("line {i} of the test body\n").into_bytes())
            .collect()
    }

    /// Decodes `compressed` fed in `piece`-byte chunks.
    fn decode(coding: Coding, compressed: &[u8], piece: usize) -> Result<Vec<u8>, DecodeError> {
        let mut decoder = Decoder::new(coding);
        let mut out = Vec::new();
        let mut chunks = compressed.chunks(piece);
        loop {
            match decoder.pull()? {
                None => return Ok(out),
                Some(bytes) if !bytes.is_empty() => {
                    assert!(bytes.len() <= STEP);
                    out.extend_from_slice(&bytes);
                }
                Some(_) => match chunks.next() {
                    Some(chunk) => decoder.push(chunk),
                    None => decoder.end_input(),
                },
            }
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_in_any_chunking() {
        let compressed = gzip(&text());
        for piece in [1, 7, 4096, compressed.len()] {
            assert_eq!(
                decode(Coding::Gzip, &compressed, piece).unwrap(),
                text(),
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn deflate_with_and_without_zlib_wrapping() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&text()).unwrap();
        assert_eq!(decode(Coding::Deflate, &zlib.finish().unwrap(), 100).unwrap(), text());
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&text()).unwrap();
        assert_eq!(decode(Coding::Deflate, &raw.finish().unwrap(), 100).unwrap(), text());
    }

    #[test]
    fn brotli_and_zstd() {
        let mut brotli = Vec::new();
        {
            let mut encoder = brotli::CompressorWriter::new(&mut brotli, 4096, 5, 22);
            encoder.write_all(&text()).unwrap();
        }
        assert_eq!(decode(Coding::Brotli, &brotli, 333).unwrap(), text());
        let zstd = ruzstd::encoding::compress_to_vec(&text()[..], ruzstd::encoding::CompressionLevel::Fastest);
        for piece in [50, 1000, zstd.len()] {
            assert_eq!(decode(Coding::Zstd, &zstd, piece).unwrap(), text(), "pieces of {piece}");
        }
    }

    #[test]
    fn an_empty_body_is_empty_whatever_its_encoding() {
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd] {
            assert_eq!(decode(coding, b"", 10).unwrap(), b"");
        }
    }

    #[test]
    fn corrupt_and_truncated_streams_are_errors() {
        let compressed = gzip(&text());
        assert!(decode(Coding::Gzip, &compressed[..compressed.len() / 2], 100).is_err());
        let mut corrupt = compressed.clone();
        let last = corrupt.len() - 5;
        corrupt[last] ^= 0xff;
        assert!(decode(Coding::Gzip, &corrupt, 100).is_err());
        assert!(decode(Coding::Gzip, b"definitely not gzip", 100).is_err());
        assert!(decode(Coding::Brotli, b"\xff\xff\xff\xff not brotli", 100).is_err());
    }
}
