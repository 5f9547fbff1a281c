//! RFC 1035 domain names as used by option 119 (RFC 3397): a list of names, compressed with
//! pointers whose offsets count from the start of the (concatenated) option value.

use std::collections::HashMap;

/// Largest offset a compression pointer can hold.
const MAX_POINTER: usize = 0x3fff;

/// Splits a textual name into labels, checking RFC 1035 limits. A trailing dot is allowed.
fn labels(name: &str) -> Result<Vec<&str>, String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err(format!("expected a domain name, got {name:?}"));
    }
    let parts: Vec<&str> = trimmed.split('.').collect();
    let mut wire_len = 1;
    for p in &parts {
        if p.is_empty() || p.len() > 63 {
            return Err(format!(
                "invalid label {p:?} in domain name {name:?} (1 to 63 bytes)"
            ));
        }
        if !p.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("invalid character in domain name {name:?}"));
        }
        wire_len += p.len() + 1;
    }
    if wire_len > 255 {
        return Err(format!("domain name {name:?} is longer than 255 bytes"));
    }
    Ok(parts)
}

/// Encodes `names` in RFC 1035 wire form, compressing repeated suffixes (RFC 3397 §2).
pub(super) fn encode_names(names: &[&str]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    // Lower-cased suffix ("apple.com") → offset where it starts in `out`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for name in names {
        let parts = labels(name)?;
        let mut pointer = None;
        // `rest`: the labels not yet written, i.e. the suffix still to encode.
        let mut rest = parts.as_slice();
        while let Some((label, tail)) = rest.split_first() {
            let suffix = rest.join(".").to_ascii_lowercase();
            if let Some(&off) = seen.get(&suffix) {
                pointer = Some(off);
                break;
            }
            if out.len() <= MAX_POINTER {
                seen.insert(suffix, out.len());
            }
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
            rest = tail;
        }
        match pointer {
            Some(off) => out.extend_from_slice(&[0xc0 | (off >> 8) as u8, off as u8]),
            None => out.push(0),
        }
    }
    Ok(out)
}

/// Decodes a list of (possibly compressed) names; `None` when malformed (bad pointer, loop,
/// overrun). Names are returned with a trailing dot stripped.
pub(super) fn decode_names(value: &[u8]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let (name, next) = decode_one(value, i)?;
        names.push(name);
        i = next;
    }
    Some(names)
}

/// Decodes the name at `start`; returns it and the offset just after it (in the original flow).
fn decode_one(value: &[u8], start: usize) -> Option<(String, usize)> {
    let mut parts: Vec<String> = Vec::new();
    let mut pos = start;
    let mut resume = None;
    // Each pointer must go strictly backwards, so the walk ends; the counter is a second guard.
    let mut jumps = 0;
    let mut limit = start;
    loop {
        let len = *value.get(pos)?;
        match len {
            0 => {
                let next = resume.unwrap_or(pos + 1);
                return Some((parts.join("."), next));
            }
            l if l & 0xc0 == 0xc0 => {
                let lo = *value.get(pos + 1)?;
                let target = usize::from(l & 0x3f) << 8 | usize::from(lo);
                if target >= limit || jumps > 127 {
                    return None;
                }
                resume.get_or_insert(pos + 2);
                jumps += 1;
                limit = target;
                pos = target;
            }
            l if l & 0xc0 != 0 => return None,
            l => {
                let l = usize::from(l);
                let label = value.get(pos + 1..pos + 1 + l)?;
                parts.push(String::from_utf8_lossy(label).into_owned());
                pos += 1 + l;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3397 §3: "eng.apple.com." and "marketing.apple.com.", the second ending in a pointer
    /// to offset 4 ("apple.com").
    const RFC3397_EXAMPLE: &[u8] = b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04";

    #[test]
    fn rfc3397_example_encodes_exactly() {
        let got = encode_names(&["eng.apple.com.", "marketing.apple.com"]);
        assert_eq!(got.as_deref(), Ok(RFC3397_EXAMPLE));
    }

    #[test]
    fn rfc3397_example_decodes() {
        let names = decode_names(RFC3397_EXAMPLE);
        assert_eq!(
            names,
            Some(vec![
                "eng.apple.com".to_string(),
                "marketing.apple.com".to_string()
            ])
        );
    }

    #[test]
    fn whole_name_repeat_is_one_pointer() {
        let got = encode_names(&["a.example", "A.Example"]);
        assert_eq!(got.as_deref(), Ok(&b"\x01a\x07example\x00\xc0\x00"[..]));
    }

    #[test]
    fn forward_or_self_pointers_are_rejected() {
        assert_eq!(decode_names(b"\xc0\x00"), None);
        assert_eq!(decode_names(b"\x01a\xc0\x05\x00\x00"), None);
    }

    #[test]
    fn bad_labels_are_rejected() {
        assert!(encode_names(&["a..b"]).is_err());
        assert!(encode_names(&[""]).is_err());
        let long = "a".repeat(64);
        assert!(encode_names(&[long.as_str()]).is_err());
    }
}
