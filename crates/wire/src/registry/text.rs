//! Option values as text: configuration items → wire bytes ([`encode_text`]) and wire bytes →
//! a human-readable string ([`decode_text`]).

use super::{by_code, dns, routes, OptionDef, OptionFormat};
use std::net::Ipv4Addr;

/// Encodes an option value given as text items, per the option's format.
///
/// Configuration values arrive as text: a TOML integer `3600` as `"3600"`, a boolean as
/// `"true"`, a string as is, and an array as several items. Lists (addresses, names, routes) may
/// also be given as one item separated by commas or spaces. The error is a plain reason to show
/// to a user, e.g. `expected an IPv4 address, got "x"`.
pub fn encode_text(def: &OptionDef, items: &[&str]) -> Result<Vec<u8>, String> {
    match def.format {
        OptionFormat::Ip => Ok(ip(single(items)?)?.octets().to_vec()),
        OptionFormat::IpList => {
            let words = words(items);
            if words.is_empty() {
                return Err("expected at least one IPv4 address".to_string());
            }
            ip_bytes(&words)
        }
        OptionFormat::IpPairs => {
            let words = words(items);
            if words.is_empty() || !words.len().is_multiple_of(2) {
                return Err(format!(
                    "expected pairs of IPv4 addresses like \"198.18.0.0 255.254.0.0\", got {} address(es)",
                    words.len()
                ));
            }
            ip_bytes(&words)
        }
        OptionFormat::U8 => Ok(vec![int(single(items)?, u8::MAX.into())? as u8]),
        OptionFormat::U16 => Ok((int(single(items)?, u16::MAX.into())? as u16)
            .to_be_bytes()
            .to_vec()),
        OptionFormat::U16List => {
            let words = words(items);
            if words.is_empty() {
                return Err("expected at least one integer".to_string());
            }
            let mut out = Vec::with_capacity(words.len() * 2);
            for w in words {
                out.extend_from_slice(&(int(w, u16::MAX.into())? as u16).to_be_bytes());
            }
            Ok(out)
        }
        OptionFormat::U32 => Ok((int(single(items)?, u32::MAX.into())? as u32)
            .to_be_bytes()
            .to_vec()),
        OptionFormat::I32 => {
            let s = single(items)?;
            let v: i32 = s.trim().parse().map_err(|_| {
                format!(
                    "expected an integer from {} to {}, got {s:?}",
                    i32::MIN,
                    i32::MAX
                )
            })?;
            Ok(v.to_be_bytes().to_vec())
        }
        OptionFormat::Bool => {
            let s = single(items)?;
            match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(vec![1]),
                "false" | "0" => Ok(vec![0]),
                _ => Err(format!("expected true or false, got {s:?}")),
            }
        }
        OptionFormat::Text => {
            let s = single(items)?;
            if s.is_empty() {
                return Err("expected a non-empty string".to_string());
            }
            Ok(s.as_bytes().to_vec())
        }
        OptionFormat::Bytes => {
            let mut out = Vec::new();
            for item in items {
                out.extend(hex(item)?);
            }
            Ok(out)
        }
        OptionFormat::DomainList => {
            let names = words(items);
            if names.is_empty() {
                return Err("expected at least one domain name".to_string());
            }
            dns::encode_names(&names)
        }
        OptionFormat::ClasslessRoutes => {
            let mut out = Vec::new();
            let mut count = 0;
            for item in items {
                for route in item.split([',', ';']).filter(|r| !r.trim().is_empty()) {
                    routes::encode_route(&routes::parse_route(route.trim())?, &mut out);
                    count += 1;
                }
            }
            if count == 0 {
                return Err(
                    "expected at least one route like \"198.18.5.0/24 198.18.0.1\"".to_string(),
                );
            }
            Ok(out)
        }
        OptionFormat::SubOptions => Err(format!(
            "option {} ({}) is added by relay agents and cannot be configured",
            def.code, def.name
        )),
    }
}

/// Shows an option value to people: addresses dotted, integers in decimal, text as text, names
/// and routes spelled out. Unknown options, and values that do not fit their format, are shown
/// as colon-separated hex.
pub fn decode_text(code: u8, value: &[u8]) -> String {
    by_code(code)
        .and_then(|def| decode_known(def.format, value))
        .unwrap_or_else(|| to_hex(value))
}

/// Decodes `value` per `format`; `None` when it does not fit.
fn decode_known(format: OptionFormat, value: &[u8]) -> Option<String> {
    let join = |v: Vec<String>| v.join(", ");
    match format {
        OptionFormat::Ip => Some(Ipv4Addr::from(<[u8; 4]>::try_from(value).ok()?).to_string()),
        OptionFormat::IpList if !value.is_empty() && value.len().is_multiple_of(4) => {
            Some(join(ips(value)))
        }
        OptionFormat::IpPairs if !value.is_empty() && value.len().is_multiple_of(8) => {
            let v = ips(value);
            Some(join(v.chunks(2).map(|p| p.join(" ")).collect()))
        }
        OptionFormat::U8 => match value {
            [b] => Some(b.to_string()),
            _ => None,
        },
        OptionFormat::U16 => Some(u16::from_be_bytes(value.try_into().ok()?).to_string()),
        OptionFormat::U16List if !value.is_empty() && value.len().is_multiple_of(2) => Some(join(
            value
                .as_chunks::<2>()
                .0
                .iter()
                .map(|c| u16::from_be_bytes(*c).to_string())
                .collect(),
        )),
        OptionFormat::U32 => Some(u32::from_be_bytes(value.try_into().ok()?).to_string()),
        OptionFormat::I32 => Some(i32::from_be_bytes(value.try_into().ok()?).to_string()),
        OptionFormat::Bool => match value {
            [0] => Some("false".to_string()),
            [1] => Some("true".to_string()),
            _ => None,
        },
        OptionFormat::Text => {
            let s = std::str::from_utf8(value).ok()?;
            let s = s.trim_end_matches('\0');
            Some(s.escape_debug().to_string())
        }
        OptionFormat::DomainList => Some(join(dns::decode_names(value)?)),
        OptionFormat::ClasslessRoutes => Some(join(
            routes::decode_routes(value)?
                .iter()
                .map(|r| format!("{}/{} {}", r.dest, r.prefix, r.router))
                .collect(),
        )),
        _ => None,
    }
}

/// Exactly one item, or an error.
fn single<'a>(items: &[&'a str]) -> Result<&'a str, String> {
    match items {
        [one] => Ok(one),
        [] => Err("expected a value, got none".to_string()),
        more => Err(format!("expected a single value, got {}", more.len())),
    }
}

/// All items split on commas and whitespace, empty pieces dropped.
fn words<'a>(items: &[&'a str]) -> Vec<&'a str> {
    items
        .iter()
        .flat_map(|i| i.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// One dotted-quad address.
fn ip(s: &str) -> Result<Ipv4Addr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected an IPv4 address, got {s:?}"))
}

/// Addresses concatenated.
fn ip_bytes(words: &[&str]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(words.len() * 4);
    for w in words {
        out.extend_from_slice(&ip(w)?.octets());
    }
    Ok(out)
}

/// Every 4 bytes as an address (caller checks the length; a partial last chunk is ignored).
fn ips(value: &[u8]) -> Vec<String> {
    value
        .as_chunks::<4>()
        .0
        .iter()
        .map(|c| Ipv4Addr::from(*c).to_string())
        .collect()
}

/// A decimal integer from 0 to `max`.
fn int(s: &str, max: u64) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("expected an integer from 0 to {max}, got {s:?}"))
}

/// Hex bytes: `01:02:0a`, `01-02-0a`, `01 02 0a` or `01020a`.
fn hex(s: &str) -> Result<Vec<u8>, String> {
    crate::hex::decode(s).ok_or_else(|| format!("expected hex bytes like \"01:02:0a\", got {s:?}"))
}

/// Colon-separated lower-case hex (`01:02:0a`); empty for an empty value.
fn to_hex(value: &[u8]) -> String {
    crate::hex::encode(value, Some(':'))
}

#[cfg(test)]
mod tests {
    use super::super::by_name;
    use super::*;

    fn enc(name: &str, items: &[&str]) -> Result<Vec<u8>, String> {
        encode_text(by_name(name).unwrap(), items)
    }

    #[test]
    fn addresses() {
        assert_eq!(
            enc("subnet-mask", &["255.255.255.0"]),
            Ok(vec![255, 255, 255, 0])
        );
        assert_eq!(
            enc("subnet-mask", &["x"]),
            Err("expected an IPv4 address, got \"x\"".to_string())
        );
        assert_eq!(
            enc("routers", &["198.18.0.1", "198.18.0.2"]),
            Ok(vec![198, 18, 0, 1, 198, 18, 0, 2])
        );
        assert_eq!(
            enc("router", &["198.18.0.1, 198.18.0.2"]).map(|v| v.len()),
            Ok(8)
        );
        assert!(enc("router", &[]).is_err());
        assert_eq!(
            enc("static-routes", &["10.0.0.0 198.18.0.1"]).map(|v| v.len()),
            Ok(8)
        );
        assert!(enc("static-routes", &["10.0.0.0"]).is_err());
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(enc("lease-time", &["3600"]), Ok(vec![0, 0, 0x0e, 0x10]));
        assert!(enc("lease-time", &["4294967296"]).is_err());
        assert!(enc("lease-time", &["-1"]).is_err());
        assert_eq!(enc("default-ip-ttl", &["255"]), Ok(vec![255]));
        assert!(enc("default-ip-ttl", &["256"]).is_err());
        assert_eq!(enc("interface-mtu", &["1500"]), Ok(vec![0x05, 0xdc]));
        assert!(enc("interface-mtu", &["65536"]).is_err());
        assert_eq!(
            enc("time-offset", &["-3600"]),
            Ok((-3600i32).to_be_bytes().to_vec())
        );
        assert_eq!(
            enc("path-mtu-plateau-table", &["68", "1500"]),
            Ok(vec![0, 68, 5, 220])
        );
        assert!(enc("lease-time", &["1", "2"]).is_err());
    }

    #[test]
    fn bools_text_and_hex() {
        assert_eq!(enc("ip-forwarding", &["true"]), Ok(vec![1]));
        assert_eq!(enc("ip-forwarding", &["0"]), Ok(vec![0]));
        assert!(enc("ip-forwarding", &["yes please"]).is_err());
        assert_eq!(
            enc("domain-name", &["example.test"]),
            Ok(b"example.test".to_vec())
        );
        assert!(enc("domain-name", &[""]).is_err());
        assert_eq!(
            enc("vendor-encapsulated-options", &["01:02:0a"]),
            Ok(vec![1, 2, 10])
        );
        assert_eq!(
            enc("vendor-encapsulated-options", &["01020A"]),
            Ok(vec![1, 2, 10])
        );
        assert!(enc("vendor-encapsulated-options", &["012"]).is_err());
        assert!(enc("vendor-encapsulated-options", &["zz"]).is_err());
        assert!(enc("relay-agent-information", &["01"]).is_err());
    }

    #[test]
    fn names_and_routes() {
        assert_eq!(
            enc("domain-search", &["eng.apple.com", "marketing.apple.com"]),
            Ok(b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04".to_vec())
        );
        assert_eq!(
            enc(
                "classless-static-route",
                &["198.18.5.0/24 198.18.0.1", "0.0.0.0/0 198.18.0.1"]
            ),
            Ok(vec![24, 198, 18, 5, 198, 18, 0, 1, 0, 198, 18, 0, 1])
        );
        assert!(enc("classless-static-route", &[]).is_err());
    }

    #[test]
    fn decode_for_humans() {
        assert_eq!(
            decode_text(3, &[198, 18, 0, 1, 198, 18, 0, 2]),
            "198.18.0.1, 198.18.0.2"
        );
        assert_eq!(decode_text(51, &[0, 0, 0x0e, 0x10]), "3600");
        assert_eq!(decode_text(51, &[1, 2, 3]), "01:02:03");
        assert_eq!(decode_text(15, b"example.test"), "example.test");
        assert_eq!(decode_text(200, &[0xde, 0xad]), "de:ad");
        assert_eq!(
            decode_text(121, &[24, 198, 18, 5, 198, 18, 0, 1]),
            "198.18.5.0/24 198.18.0.1"
        );
        assert_eq!(
            decode_text(119, b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04"),
            "eng.apple.com, marketing.apple.com"
        );
        assert_eq!(decode_text(19, &[1]), "true");
    }

    #[test]
    fn every_text_format_round_trips_through_decode() {
        for def in super::super::all() {
            let sample: &[&str] = match def.format {
                OptionFormat::Ip | OptionFormat::IpList => &["198.18.0.1"],
                OptionFormat::IpPairs => &["198.18.0.0 255.254.0.0"],
                OptionFormat::U8 | OptionFormat::U16 | OptionFormat::U32 => &["7"],
                OptionFormat::U16List => &["7, 8"],
                OptionFormat::I32 => &["-7"],
                OptionFormat::Bool => &["true"],
                OptionFormat::Text => &["hello"],
                OptionFormat::Bytes => &["01:02"],
                OptionFormat::DomainList => &["a.example, b.example"],
                OptionFormat::ClasslessRoutes => &["198.18.5.0/24 198.18.0.1"],
                OptionFormat::SubOptions => continue,
            };
            let bytes = encode_text(def, sample).unwrap();
            let shown = decode_text(def.code, &bytes);
            let again = encode_text(def, &[shown.as_str()]).unwrap();
            assert_eq!(again, bytes, "option {} ({})", def.code, def.name);
        }
    }
}
