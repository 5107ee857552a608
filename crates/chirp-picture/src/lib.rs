//! Turning untrusted bytes into the images Chirp stores: the format judged from the bytes
//! (JPEG, PNG, WebP, GIF's first frame), the size read from the header and checked before
//! anything is decoded, decoding under the image library's own limits, the orientation
//! applied, and a fresh encoding of the pixels alone (no metadata survives): the file (long
//! side at most 2560 px), a preview (at most 640 px) and a blurhash.
//!
//! Pure and synchronous: Chirp runs it on its media workers (`chirp::media`), never on
//! request threads. A crate of its own so that debug builds optimise the codecs (see
//! Cargo.toml).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// Longest side of the stored file.
pub const MAX_SIDE: u32 = 2560;
/// Longest side of the preview.
pub const PREVIEW_SIDE: u32 = 640;
/// JPEG quality of what is stored.
const JPEG_QUALITY: u8 = 85;
/// Longest side of the image the blurhash is computed from (its detail is 4×3 anyway).
const BLURHASH_SIDE: u32 = 32;

/// Why bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not JPEG, PNG, WebP or GIF, judged by the bytes (415 `unsupported_media`).
    #[error("{0}")]
    Unsupported(String),
    /// Corrupt, truncated or too large in pixels (400 `invalid_media`).
    #[error("{0}")]
    Invalid(String),
}

/// One encoded image.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The file name extension (`jpg` or `png`), which also gives its content type.
    pub extension: &'static str,
}

/// What an upload becomes.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The stored file.
    pub file: Encoded,
    /// The preview.
    pub preview: Encoded,
    /// The blurhash (4×3 or 3×4 components).
    pub blurhash: String,
}

/// The content type of a stored file, by its extension.
pub fn content_type(extension: &str) -> Option<&'static str> {
    match extension {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        _ => None,
    }
}

/// Check, decode and re-encode `bytes`, refusing images of more than `max_pixels`.
pub fn process(bytes: &[u8], max_pixels: u64) -> Result<Processed, Refusal> {
    let image = decode(bytes, max_pixels)?;
    let image = if has_transparency(&image) {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    let image = shrink(image, MAX_SIDE, FilterType::Triangle);
    let preview = shrink(image.clone(), PREVIEW_SIDE, FilterType::Triangle);
    let blurhash = blurhash_of(&preview)?;
    Ok(Processed {
        file: encode(&image)?,
        preview: encode(&preview)?,
        blurhash,
    })
}

/// The first frame of `bytes`, oriented upright, if it is an accepted format within limits.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, Refusal> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Refusal::Invalid(format!("The file could not be read: {e}.")))?;
    match reader.format() {
        Some(ImageFormat::Jpeg) if !jpeg_is_whole(bytes) => {
            return Err(Refusal::Invalid(
                "The JPEG is truncated: it ends before its last scan does.".into(),
            ));
        }
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => {
            return Err(Refusal::Unsupported(
                "Upload a JPEG, PNG, WebP or GIF image; this file is none of them.".into(),
            ));
        }
    }
    // The decoder may allocate the decoded frame (4 bytes a pixel at most once converted to
    // 8 bits) and a little more; a header that promises more is refused before decoding.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(u32::try_from(max_pixels).unwrap_or(u32::MAX));
    limits.max_image_height = Some(u32::try_from(max_pixels).unwrap_or(u32::MAX));
    limits.max_alloc = Some(max_pixels.saturating_mul(4).saturating_add(16 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(invalid)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 {
        return Err(Refusal::Invalid("The image has no pixels.".into()));
    }
    if pixels > max_pixels {
        return Err(Refusal::Invalid(format!(
            "The image is {width}×{height} pixels; at most {max_pixels} pixels are accepted."
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Whether a JPEG's last scan ends with the end-of-image marker. The JPEG decoder pads a
/// truncated scan with grey instead of failing; markers cannot occur inside entropy-coded
/// data (an 0xFF there is always followed by 0x00), so the last start-of-scan (FFDA) must
/// be followed by an end-of-image (FFD9). Bytes after it (a polyglot's tail) are ignored:
/// they are not stored.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    match (last(0xDA), last(0xD9)) {
        (Some(scan), Some(end)) => end > scan,
        _ => false,
    }
}

fn invalid(err: image::ImageError) -> Refusal {
    match err {
        image::ImageError::Limits(_) => {
            Refusal::Invalid("The image is too large to decode within this server's limits.".into())
        }
        image::ImageError::Unsupported(e) => {
            Refusal::Unsupported(format!("This image cannot be read: {e}."))
        }
        other => Refusal::Invalid(format!("The image is corrupt or truncated: {other}.")),
    }
}

/// Whether any pixel is not fully opaque (an opaque PNG is stored as a JPEG).
fn has_transparency(image: &DynamicImage) -> bool {
    if !image.color().has_alpha() {
        return false;
    }
    match image {
        DynamicImage::ImageRgba8(rgba) => rgba.pixels().any(|p| p.0[3] < u8::MAX),
        DynamicImage::ImageLumaA8(la) => la.pixels().any(|p| p.0[1] < u8::MAX),
        // Wider formats are rare: keep their alpha rather than scan them.
        _ => true,
    }
}

/// `image` with its long side at most `side`, aspect ratio kept.
fn shrink(image: DynamicImage, side: u32, filter: FilterType) -> DynamicImage {
    if image.width() <= side && image.height() <= side {
        return image;
    }
    image.resize(side, side, filter)
}

fn encode(image: &DynamicImage) -> Result<Encoded, Refusal> {
    let mut bytes = Vec::new();
    let extension = if image.color().has_alpha() {
        image
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(invalid)?;
        "png"
    } else {
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))
            .map_err(invalid)?;
        "jpg"
    };
    Ok(Encoded {
        bytes,
        width: image.width(),
        height: image.height(),
        extension,
    })
}

fn blurhash_of(image: &DynamicImage) -> Result<String, Refusal> {
    let small = image.thumbnail(BLURHASH_SIDE, BLURHASH_SIDE).into_rgba8();
    let (x, y) = if small.width() >= small.height() {
        (4, 3)
    } else {
        (3, 4)
    };
    blurhash::encode(x, y, small.width(), small.height(), small.as_raw())
        .map_err(|e| Refusal::Invalid(format!("The image could not be summarised: {e}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 90))
            .unwrap();
        bytes
    }

    #[test]
    fn large_images_are_shrunk_with_a_preview_and_a_blurhash() {
        let out = process(&jpeg(3000, 1500), 40_000_000).unwrap();
        assert_eq!((out.file.width, out.file.height), (2560, 1280));
        assert_eq!((out.preview.width, out.preview.height), (640, 320));
        assert_eq!(out.file.extension, "jpg");
        assert!(!out.blurhash.is_empty());
    }

    #[test]
    fn the_pixel_limit_is_read_from_the_header() {
        let err = process(&jpeg(200, 100), 10_000).unwrap_err();
        assert!(matches!(err, Refusal::Invalid(m) if m.contains("200×100")));
    }

    #[test]
    fn other_formats_and_garbage_are_refused() {
        assert!(matches!(
            process(b"<html><script>alert(1)</script>", 1 << 20),
            Err(Refusal::Unsupported(_))
        ));
        let truncated = jpeg(300, 300);
        assert!(matches!(
            process(&truncated[..truncated.len() / 3], 1 << 20),
            Err(Refusal::Invalid(_))
        ));
    }
}
