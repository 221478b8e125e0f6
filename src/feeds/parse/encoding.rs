//! Which encoding a feed is in. Pharmacy exports are UTF-8 (with or without BOM) or
//! Windows-1251 from older 1C setups, often without saying so; the order of evidence
//! is: BOM, the declared `charset`, an XML prolog's `encoding`, valid UTF-8, then
//! chardetng's guess on the first 64 KiB.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{read_up_to, ParseError};

const SNIFF_BYTES: usize = 64 * 1024;

/// A UTF-8 reader over `file`, the encoding chosen, and the decoded head (for format
/// sniffing).
pub(super) fn decoded(
    mut file: File,
    charset: Option<&str>,
) -> Result<(Box<dyn Read + Send>, &'static Encoding, String), ParseError> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let n = read_up_to(&mut file, &mut head)?;
    head.truncate(n);
    file.seek(SeekFrom::Start(0))?;
    let enc = choose(&head, charset);
    let (text, _) = enc.decode_with_bom_removal(&head);
    let text = text.into_owned();
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(enc))
        .bom_override(true)
        .build(std::io::BufReader::with_capacity(256 * 1024, file));
    Ok((Box::new(reader), enc, text))
}

/// The encoding of a body whose first bytes are `head`.
pub fn choose(head: &[u8], charset: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    if let Some(enc) = charset.and_then(|c| Encoding::for_label(c.trim().as_bytes())) {
        return enc;
    }
    if let Some(enc) = xml_declared(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return encoding_rs::UTF_8,
        // A multi-byte character cut by the sniff window is still UTF-8.
        Err(e) if e.error_len().is_none() => return encoding_rs::UTF_8,
        Err(_) => {}
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(head, head.len() < SNIFF_BYTES);
    det.guess(Some(b"ua"), true)
}

/// `encoding="..."` of an XML prolog.
fn xml_declared(head: &[u8]) -> Option<&'static Encoding> {
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &head[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = rest.iter().position(|&b| b == b'>')?;
    let prolog = std::str::from_utf8(&rest[..end]).ok()?;
    let i = prolog.find("encoding")?;
    let v = prolog[i + 8..].trim_start().strip_prefix('=')?.trim_start();
    // The value is quoted (XML allows `"` or `'`); anything else is no declaration.
    // Testing the byte, not slicing after the first char, keeps a non-ASCII first
    // character (found by fuzzing: `encoding=лек`) from splitting a UTF-8 sequence.
    let q = match v.as_bytes().first()? {
        b'"' => '"',
        b'\'' => '\'',
        _ => return None,
    };
    let v = &v[1..];
    let label = &v[..v.find(q)?];
    let enc = Encoding::for_label(label.as_bytes())?;
    // Declared UTF-8 is the default path anyway; trust only non-UTF-8 declarations here.
    (enc != encoding_rs::UTF_8).then_some(enc)
}
