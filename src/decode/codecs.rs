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
    input: Input,
    /// Whether any compressed byte arrived (an empty body is not an error).
    received: bool,
    state: State,
}

/// Compressed bytes not decoded yet.
struct Input {
    bytes: BytesMut,
    /// Whether no more bytes will come.
    ended: bool,
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

/// What one step of the state machine did, and the state it leads to.
struct Step {
    /// Decoded bytes written to the output buffer.
    produced: usize,
    /// Whether input was used, output made or the state changed: if not,
    /// more input is needed.
    progressed: bool,
    next: Option<State>,
}

impl Step {
    /// Nothing to do until more input arrives.
    const WAIT: Step = Step {
        produced: 0,
        progressed: false,
        next: None,
    };

    fn to(next: State) -> Step {
        Step {
            produced: 0,
            progressed: true,
            next: Some(next),
        }
    }

    fn made(produced: usize, progressed: bool) -> Step {
        Step {
            produced,
            progressed,
            next: None,
        }
    }
}

impl Decoder {
    pub(crate) fn new(coding: Coding) -> Decoder {
        let state = match coding {
            Coding::Gzip => State::GzipHeader { first: true },
            Coding::Deflate => State::DeflateStart,
            // Strict: RFC 7932's windows (16 MiB at most), not "large
            // window" brotli, whose 1 GiB ring buffer 8 bytes can ask for.
            Coding::Brotli => State::Brotli(Box::new(brotli_decompressor::BrotliState::new_strict(
                Alloc::default(),
                Alloc::default(),
                Alloc::default(),
            ))),
            Coding::Zstd => State::Zstd {
                decoder: Box::new(zstd_decoder()),
                in_frame: false,
            },
        };
        Decoder {
            input: Input {
                bytes: BytesMut::new(),
                ended: false,
            },
            received: false,
            state,
        }
    }

    /// Adds compressed bytes.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.received |= !chunk.is_empty();
        self.input.bytes.extend_from_slice(chunk);
    }

    /// Says that no more compressed bytes will come.
    pub(crate) fn end_input(&mut self) {
        self.input.ended = true;
    }

    /// Decodes what it can: `Some(bytes)` (at most [`STEP`]; may be empty
    /// when more input is needed), or `None` once the stream is complete.
    pub(crate) fn pull(&mut self) -> Result<Option<Bytes>, DecodeError> {
        if self.input.ended && !self.received {
            return Ok(None);
        }
        let mut out = vec![0u8; STEP];
        loop {
            let Some(step) = self.step(&mut out)? else {
                return Ok(None);
            };
            if let Some(next) = step.next {
                self.state = next;
            }
            if step.produced > 0 {
                out.truncate(step.produced);
                return Ok(Some(Bytes::from(out)));
            }
            if !step.progressed {
                if self.input.ended {
                    return Err(invalid("the compressed stream ends too early"));
                }
                return Ok(Some(Bytes::new()));
            }
        }
    }

    /// One step of the state machine; `None` once the stream is complete.
    fn step(&mut self, out: &mut [u8]) -> Result<Option<Step>, DecodeError> {
        let input = &mut self.input;
        let step = match &mut self.state {
            State::Done => return input.only_padding_left().map(|()| None),
            State::GzipHeader { first } => gzip_header(*first, input)?,
            State::DeflateStart => deflate_start(input),
            State::Inflate { z, gzip } => inflate(z, gzip, input, out)?,
            State::GzipTrailer(crc) => gzip_trailer(crc, input)?,
            State::Brotli(state) => brotli(state, input, out)?,
            State::Zstd { decoder, in_frame } => zstd(decoder, in_frame, input, out)?,
        };
        Ok(Some(step))
    }
}

impl Input {
    /// After the end of the stream, only zero padding may follow.
    fn only_padding_left(&self) -> Result<(), DecodeError> {
        if self.bytes.iter().all(|b| *b == 0) {
            Ok(())
        } else {
            Err(invalid("data after the end of the compressed stream"))
        }
    }

    /// At a member or frame boundary with nothing left: the end, if no more comes.
    fn end_between_members(&self) -> Step {
        if self.ended {
            Step::to(State::Done)
        } else {
            Step::WAIT
        }
    }
}

fn gzip_header(first: bool, input: &mut Input) -> Result<Step, DecodeError> {
    if !first && input.bytes.is_empty() {
        return Ok(input.end_between_members());
    }
    let Some(len) = gzip_header_len(&input.bytes)? else {
        return Ok(Step::WAIT);
    };
    input.bytes.advance(len);
    Ok(Step::to(State::Inflate {
        z: Box::new(Decompress::new(false)),
        gzip: Some(Crc::new()),
    }))
}

fn deflate_start(input: &mut Input) -> Step {
    let bytes = &input.bytes;
    if bytes.len() < 2 && !input.ended {
        return Step::WAIT;
    }
    let zlib = bytes.len() >= 2 && bytes[0] & 0x0F == 8 && (u16::from(bytes[0]) << 8 | u16::from(bytes[1])) % 31 == 0;
    Step::to(State::Inflate {
        z: Box::new(Decompress::new(zlib)),
        gzip: None,
    })
}

fn inflate(z: &mut Decompress, gzip: &mut Option<Crc>, input: &mut Input, out: &mut [u8]) -> Result<Step, DecodeError> {
    let (before_in, before_out) = (z.total_in(), z.total_out());
    let status = z
        .decompress(&input.bytes, out, FlushDecompress::None)
        .map_err(invalid)?;
    let consumed = (z.total_in() - before_in) as usize;
    let produced = (z.total_out() - before_out) as usize;
    if let Some(crc) = gzip.as_mut() {
        crc.update(&out[..produced]);
    }
    input.bytes.advance(consumed);
    let mut step = Step::made(produced, consumed > 0 || produced > 0);
    if status == Status::StreamEnd {
        step.progressed = true;
        step.next = Some(match gzip.take() {
            Some(crc) => State::GzipTrailer(crc),
            None => State::Done,
        });
    }
    Ok(step)
}

fn gzip_trailer(crc: &Crc, input: &mut Input) -> Result<Step, DecodeError> {
    if input.bytes.len() < 8 {
        return Ok(Step::WAIT);
    }
    let expected_crc = input.bytes.get_u32_le();
    let expected_len = input.bytes.get_u32_le();
    if expected_crc != crc.sum() || expected_len != crc.amount() {
        return Err(invalid("gzip checksum mismatch"));
    }
    // Another member may follow (concatenated gzip).
    Ok(Step::to(State::GzipHeader { first: false }))
}

fn brotli(
    state: &mut brotli_decompressor::BrotliState<Alloc, Alloc, Alloc>,
    input: &mut Input,
    out: &mut [u8],
) -> Result<Step, DecodeError> {
    let (mut available_in, mut input_offset) = (input.bytes.len(), 0);
    let (mut available_out, mut output_offset, mut total) = (out.len(), 0, 0);
    let result = brotli_decompressor::BrotliDecompressStream(
        &mut available_in,
        &mut input_offset,
        &input.bytes,
        &mut available_out,
        &mut output_offset,
        out,
        &mut total,
        state,
    );
    input.bytes.advance(input_offset);
    let mut step = Step::made(output_offset, input_offset > 0 || output_offset > 0);
    match result {
        brotli_decompressor::BrotliResult::ResultFailure => return Err(invalid("invalid brotli data")),
        brotli_decompressor::BrotliResult::ResultSuccess => step.next = Some(State::Done),
        _ => {}
    }
    Ok(step)
}

fn zstd(
    decoder: &mut ruzstd::decoding::FrameDecoder,
    in_frame: &mut bool,
    input: &mut Input,
    out: &mut [u8],
) -> Result<Step, DecodeError> {
    if *in_frame && decoder.is_finished() && decoder.can_collect() == 0 {
        // A frame is complete; another may follow.
        *in_frame = false;
        return Ok(Step::made(0, true));
    }
    if !*in_frame && input.bytes.is_empty() {
        return Ok(input.end_between_members());
    }
    if !*in_frame && input.bytes.len() < 18 && !input.ended {
        // ruzstd reads the whole frame header (at most 18 bytes) at once.
        return Ok(Step::WAIT);
    }
    if !*in_frame {
        *decoder = zstd_decoder();
        *in_frame = true;
    }
    let before = decoder.bytes_read_from_source();
    let (_, written) = decoder.decode_from_to(&input.bytes, out).map_err(invalid)?;
    // Not the count `decode_from_to` returns: waiting for a frame's
    // checksum, it says 4 bytes were read even when fewer were there.
    let read = (decoder.bytes_read_from_source() - before) as usize;
    input.bytes.advance(read);
    Ok(Step::made(written, read > 0 || written > 0))
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

/// A zstd frame decoder that refuses windows over 8 MiB, the most an HTTP
/// `zstd` content coding may use (RFC 9659): a larger one is an error
/// before its window is allocated.
fn zstd_decoder() -> ruzstd::decoding::FrameDecoder {
    let mut decoder = ruzstd::decoding::FrameDecoder::new();
    decoder.set_max_window_size(8 << 20);
    decoder
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
    fn a_zstd_checksum_may_arrive_in_pieces() {
        let zstd = ruzstd::encoding::compress_to_vec(&b"checked"[..], ruzstd::encoding::CompressionLevel::Fastest);
        for piece in 1..zstd.len() {
            assert_eq!(
                decode(Coding::Zstd, &zstd, piece).unwrap(),
                b"checked",
                "pieces of {piece}"
            );
        }
        assert!(
            decode(Coding::Zstd, &zstd[..zstd.len() - 2], 100).is_err(),
            "a cut checksum"
        );
    }

    #[test]
    fn large_window_brotli_is_refused_before_its_window_is_allocated() {
        // A large-window header asking for 2^30 bytes (found by the fuzzer).
        let mut decoder = Decoder::new(Coding::Brotli);
        decoder.push(b"\x11\x9e");
        assert!(decoder.pull().is_err());
    }

    #[test]
    fn zstd_windows_over_8_mib_are_refused() {
        // A frame header whose window descriptor asks for 64 MiB, then an
        // empty last raw block.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 16 << 3, 0x01, 0x00, 0x00];
        let error = decode(Coding::Zstd, &frame, 64).unwrap_err();
        assert!(error.to_string().contains("window"), "{error}");
        // The same frame with an 8 MiB window is an empty body.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3, 0x01, 0x00, 0x00];
        assert_eq!(decode(Coding::Zstd, &frame, 64).unwrap(), b"");
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

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    fn coding() -> impl Strategy<Value = Coding> {
        prop::sample::select(vec![Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd])
    }

    /// Decodes `compressed` fed in pieces of the given sizes (cycled),
    /// checking on the way that every pulled chunk is at most [`STEP`] and
    /// that the decoder never asks for input after the end of it.
    fn decode(coding: Coding, compressed: &[u8], pieces: &[usize]) -> Result<Vec<u8>, DecodeError> {
        let mut decoder = Decoder::new(coding);
        let mut out = Vec::new();
        let (mut at, mut sizes, mut ended) = (0, pieces.iter().cycle(), false);
        loop {
            match decoder.pull()? {
                None => return Ok(out),
                Some(bytes) if !bytes.is_empty() => {
                    assert!(bytes.len() <= STEP, "a chunk of {} bytes", bytes.len());
                    out.extend_from_slice(&bytes);
                }
                Some(_) => {
                    assert!(!ended, "asked for more input after the end");
                    if at < compressed.len() {
                        let size = sizes.next().copied().unwrap_or(compressed.len()).max(1);
                        let end = (at + size).min(compressed.len());
                        decoder.push(&compressed[at..end]);
                        at = end;
                    } else {
                        decoder.end_input();
                        ended = true;
                    }
                }
            }
        }
    }

    fn compress(coding: Coding, data: &[u8], zlib: bool) -> Vec<u8> {
        let level = flate2::Compression::fast();
        match coding {
            Coding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            }
            Coding::Deflate if zlib => {
                let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            }
            Coding::Deflate => {
                let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), level);
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            }
            Coding::Brotli => {
                let mut out = Vec::new();
                {
                    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 1, 18);
                    encoder.write_all(data).unwrap();
                }
                out
            }
            Coding::Zstd => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
        }
    }

    /// Bodies from empty to a few hundred KiB (a random piece repeated, so
    /// that one body decodes in many steps).
    fn body() -> impl Strategy<Value = Vec<u8>> {
        (prop::collection::vec(any::<u8>(), 0..2048), 1usize..200).prop_map(|(piece, times)| piece.repeat(times))
    }

    fn pieces() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(prop_oneof![1usize..16, 16usize..70_000], 1..4)
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn any_input_decodes_or_fails_without_panicking(coding in coding(), input in prop::collection::vec(any::<u8>(), 0..1024), pieces in pieces()) {
            let _ = decode(coding, &input, &pieces);
        }

        #[test]
        fn a_valid_header_then_garbage_fails_without_panicking(coding in coding(), garbage in prop::collection::vec(any::<u8>(), 0..512), pieces in pieces()) {
            let header: &[u8] = match coding {
                Coding::Gzip => b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
                Coding::Deflate => b"\x78\x9c",
                Coding::Brotli => b"\x1b",
                Coding::Zstd => b"\x28\xb5\x2f\xfd",
            };
            let _ = decode(coding, &[header, &garbage[..]].concat(), &pieces);
        }
    }

    proptest! {
        #![proptest_config(crate::properties::config(48))]

        #[test]
        fn compressed_bodies_come_back(coding in coding(), body in body(), zlib in any::<bool>(), pieces in pieces()) {
            let compressed = compress(coding, &body, zlib);
            let decoded = decode(coding, &compressed, &pieces).unwrap();
            prop_assert!(decoded == body, "{:?}: {} bytes back, {} sent", coding, decoded.len(), body.len());
        }

        #[test]
        fn concatenated_members_and_frames_come_back(coding in prop::sample::select(vec![Coding::Gzip, Coding::Zstd]), one in body(), two in body(), pieces in pieces()) {
            let compressed = [compress(coding, &one, false), compress(coding, &two, false)].concat();
            let decoded = decode(coding, &compressed, &pieces).unwrap();
            prop_assert!(decoded == [one, two].concat(), "{:?}", coding);
        }

        #[test]
        fn a_cut_body_is_an_error_never_a_short_success(coding in coding(), body in body(), zlib in any::<bool>(), cut in any::<prop::sample::Index>(), pieces in pieces()) {
            let compressed = compress(coding, &body, zlib);
            let cut = cut.index(compressed.len());
            prop_assume!(cut > 0);
            let decoded = decode(coding, &compressed[..cut], &pieces);
            prop_assert!(decoded.is_err(), "{:?} cut at {} of {}: {} of {} bytes", coding, cut, compressed.len(), decoded.map_or(0, |d| d.len()), body.len());
        }
    }
}
