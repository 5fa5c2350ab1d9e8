//! What the store keeps of a document's attachments: images pasted into it,
//! each stored once per document under the hash of its bytes.

/// The image formats an attachment may have, told by the bytes' magic
/// numbers (never by a name or a client's `Content-Type`). SVG is not one:
/// it is a document that may carry script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// GIF (`GIF87a` or `GIF89a`).
    Gif,
    /// WebP (`RIFF`, a length, `WEBP`).
    Webp,
}

impl ImageType {
    /// The format `bytes` start with, if it is one of ours.
    pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageType::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(ImageType::Jpeg),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(ImageType::Gif),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageType::Webp),
            _ => None,
        }
    }

    /// Its media type, as stored and served.
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }

    /// The type whose media type is `mime`, if it is one of ours.
    pub fn from_mime(mime: &str) -> Option<ImageType> {
        [ImageType::Png, ImageType::Jpeg, ImageType::Gif, ImageType::Webp].into_iter().find(|t| t.mime() == mime)
    }
}

/// An attachment to store, or as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its id within its document (see `app::attachment`).
    pub id: String,
    /// Its format, told from its bytes when it was uploaded.
    pub content_type: ImageType,
    /// Its bytes.
    pub bytes: bytes::Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_told_by_magic_numbers_only() {
        assert_eq!(ImageType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(ImageType::Png));
        assert_eq!(ImageType::sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::sniff(b"GIF89a\x01\0"), Some(ImageType::Gif));
        assert_eq!(ImageType::sniff(b"GIF87a\x01\0"), Some(ImageType::Gif));
        assert_eq!(ImageType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ImageType::Webp));
        for other in [&b""[..], b"\x89PNG", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", b"<html>", b"RIFF\0\0\0\0WAVE", b"GIF88a"] {
            assert_eq!(ImageType::sniff(other), None, "{other:?}");
        }
        for t in [ImageType::Png, ImageType::Jpeg, ImageType::Gif, ImageType::Webp] {
            assert_eq!(ImageType::from_mime(t.mime()), Some(t));
        }
        assert_eq!(ImageType::from_mime("image/svg+xml"), None);
    }
}
