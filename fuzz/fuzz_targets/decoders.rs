//! The response decoders (`src/decode/codecs.rs`): the first byte picks
//! the coding and the piece size, the rest is the compressed body. Any
//! input decodes or fails without panicking, every pulled chunk is at
//! most `STEP`, and the decoder never asks for input after its end.
#![no_main]

mod common;

use common::codecs::{Coding, Decoder, STEP};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let coding = [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd][usize::from(first & 3)];
    let piece = [1, 2, 3, 7, 16, 100, 4096, usize::MAX][usize::from(first >> 2 & 7)];
    let mut decoder = Decoder::new(coding);
    let mut pieces = input.chunks(piece.min(input.len().max(1)));
    let (mut ended, mut total) = (false, 0usize);
    loop {
        match decoder.pull() {
            Err(_) | Ok(None) => return,
            Ok(Some(bytes)) if !bytes.is_empty() => {
                assert!(bytes.len() <= STEP);
                total += bytes.len();
                // A bomb is the body size limit's business; the fuzzer
                // needs its executions short.
                if total > 64 << 20 {
                    return;
                }
            }
            Ok(Some(_)) => {
                assert!(!ended, "asked for more input after the end");
                match pieces.next() {
                    Some(chunk) => decoder.push(chunk),
                    None => {
                        decoder.end_input();
                        ended = true;
                    }
                }
            }
        }
    }
});
