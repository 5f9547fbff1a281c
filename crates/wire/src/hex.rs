//! Hex text for byte strings (client identifiers, option values, relay ids): the one decoder
//! and encoder every crate uses.

/// Bytes from hex text: `01:02:0a`, `01-02-0a`, `01 02 0a` or `01020a` (either case). `None`
/// for an odd number of digits or anything that is not a hex digit or a separator. An empty
/// text is zero bytes.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b':' | b'-' | b' '))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// Lower-case hex of `bytes` with `sep` between bytes (`None`: no separator).
pub fn encode(bytes: &[u8], sep: Option<char>) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            if let Some(c) = sep {
                s.push(c);
            }
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_separator_and_refuses_garbage() {
        for text in ["01:02:0a", "01-02-0A", "01 02 0a", "01020a"] {
            assert_eq!(decode(text), Some(vec![1, 2, 10]), "{text}");
        }
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("012"), None);
        assert_eq!(decode("0g"), None);
        assert_eq!(decode("+1"), None);
    }

    #[test]
    fn encodes_with_or_without_separator() {
        assert_eq!(encode(&[1, 2, 10], Some(':')), "01:02:0a");
        assert_eq!(encode(&[1, 2, 10], None), "01020a");
        assert_eq!(decode(&encode(&[0, 255], Some('-'))), Some(vec![0, 255]));
    }
}
