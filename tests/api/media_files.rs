//! Test images made on the spot: photos (a gradient, so they compress like one), a JPEG
//! with EXIF (orientation and GPS), transparent PNGs, WebP, GIF, a decompression bomb, and
//! the upload request itself.

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, Frame, Rgb, RgbImage, Rgba, RgbaImage};

use crate::helpers::{Answer, TestApp};

/// A photo-like JPEG of `width` × `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x + y) % 64) as u8,
        ])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 90))
        .unwrap();
    bytes
}

/// A PNG with a transparent left half.
pub fn transparent_png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, _| {
        Rgba([200, 30, 30, if x < width / 2 { 0 } else { 255 }])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgba8(image)
        .write_with_encoder(PngEncoder::new(&mut bytes))
        .unwrap();
    bytes
}

/// A lossless WebP.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_pixel(width, height, Rgba([10, 200, 10, 255]));
    let mut bytes = Vec::new();
    DynamicImage::ImageRgba8(image)
        .write_with_encoder(WebPEncoder::new_lossless(&mut bytes))
        .unwrap();
    bytes
}

/// A two-frame GIF: red, then blue.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = Frame::new(RgbaImage::from_pixel(width, height, Rgba(colour)));
            encoder.encode_frame(frame).unwrap();
        }
    }
    bytes
}

/// A `width` × `height` JPEG carrying EXIF: orientation 6 (turn 90° clockwise to show) and
/// a GPS block whose bytes include `GPSSECRET`.
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut tiff: Vec<u8> = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0: two entries, Orientation = 6 and the GPS IFD's offset (38).
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(b"GPSSECRET 51.5007N 0.1246W");
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut bytes = plain[..2].to_vec(); // SOI
    bytes.extend_from_slice(&[0xFF, 0xE1]);
    bytes.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    bytes.extend_from_slice(&segment);
    bytes.extend_from_slice(&plain[2..]);
    bytes
}

/// A PNG whose header claims `width` × `height` pixels, with a few bytes of data: what a
/// decompression bomb looks like before it is decoded.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut bytes, b"IHDR", &ihdr);
    // A zlib stream of zeros would inflate to the whole image; a short one is enough here.
    chunk(
        &mut bytes,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    );
    chunk(&mut bytes, b"IEND", &[]);
    bytes
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc_input);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `POST /api/media` with `bytes` as the `file` part (named and typed as given).
pub async fn upload_as(
    base: &str,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
    description: Option<&str>,
) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let mut form = reqwest::multipart::Form::new().part("file", part);
    if let Some(text) = description {
        form = form.text("description", text.to_owned());
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/api/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    Answer::read(response).await
}

/// Upload `bytes` to `app` as `photo.jpg`.
pub async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> Answer {
    upload_as(&app.base, token, bytes, "photo.jpg", "image/jpeg", None).await
}

/// The decoded image at `url` (relative to `base`), its content type and raw bytes.
pub async fn fetch_image(base: &str, url: &str) -> (DynamicImage, String, Vec<u8>) {
    let response = reqwest::get(format!("{base}{url}")).await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = response.bytes().await.unwrap().to_vec();
    (image::load_from_memory(&bytes).unwrap(), kind, bytes)
}

/// Sign up `username` on the server at `base` and sign in; the bearer token.
pub async fn signed_in(base: &str, username: &str) -> String {
    let client = reqwest::Client::new();
    let credentials = serde_json::json!({"username": username, "password": "correct horse"});
    let made = client
        .post(format!("{base}/api/users"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201, "sign-up");
    let session: serde_json::Value = client
        .post(format!("{base}/api/sessions"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().unwrap().to_owned()
}
