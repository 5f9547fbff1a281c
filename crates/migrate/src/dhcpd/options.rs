//! dhcpd option names and definitions, and option statements as Leasehold options.
//!
//! A value is read per the option's dhcpd format (its standard one, or an `option NAME code N =
//! TYPE;` definition), turned into wire bytes, and written the way Leasehold's configuration
//! takes it: by Leasehold's name and in its text form when Leasehold knows the code (checked by
//! Leasehold's own encoder to give the same bytes), else as the code with hex bytes. A value
//! that cannot be written so (DNS names where addresses belong, encapsulated option spaces,
//! IPv6 parts) is a finding, never a broken configuration.

use super::lexer::{Tok, Token};
use crate::{OptionPlan, OptionValue, Origin};
use leasehold_wire::registry::{self, OptionFormat};
use std::net::Ipv4Addr;
use std::path::Path;

/// dhcpd's standard DHCPv4 options (common/tables.c of ISC dhcp 4.4): name, code and format
/// (`I` address, `l`/`s`/`b` signed and `L`/`S`/`B` unsigned 32/16/8-bit integers, `f` flag,
/// `t` text, `X` string or hex bytes, `d` domain name, `D` domain list, `A` array of all
/// before it, `a` array of the last, `E` encapsulation).
const STANDARD: &[(&str, u8, &str)] = &[
    ("subnet-mask", 1, "I"),
    ("time-offset", 2, "l"),
    ("routers", 3, "IA"),
    ("time-servers", 4, "IA"),
    ("ien116-name-servers", 5, "IA"),
    ("domain-name-servers", 6, "IA"),
    ("log-servers", 7, "IA"),
    ("cookie-servers", 8, "IA"),
    ("lpr-servers", 9, "IA"),
    ("impress-servers", 10, "IA"),
    ("resource-location-servers", 11, "IA"),
    ("host-name", 12, "t"),
    ("boot-size", 13, "S"),
    ("merit-dump", 14, "t"),
    ("domain-name", 15, "t"),
    ("swap-server", 16, "I"),
    ("root-path", 17, "t"),
    ("extensions-path", 18, "t"),
    ("ip-forwarding", 19, "f"),
    ("non-local-source-routing", 20, "f"),
    ("policy-filter", 21, "IIA"),
    ("max-dgram-reassembly", 22, "S"),
    ("default-ip-ttl", 23, "B"),
    ("path-mtu-aging-timeout", 24, "L"),
    ("path-mtu-plateau-table", 25, "SA"),
    ("interface-mtu", 26, "S"),
    ("all-subnets-local", 27, "f"),
    ("broadcast-address", 28, "I"),
    ("perform-mask-discovery", 29, "f"),
    ("mask-supplier", 30, "f"),
    ("router-discovery", 31, "f"),
    ("router-solicitation-address", 32, "I"),
    ("static-routes", 33, "IIA"),
    ("trailer-encapsulation", 34, "f"),
    ("arp-cache-timeout", 35, "L"),
    ("ieee802-3-encapsulation", 36, "f"),
    ("default-tcp-ttl", 37, "B"),
    ("tcp-keepalive-interval", 38, "L"),
    ("tcp-keepalive-garbage", 39, "f"),
    ("nis-domain", 40, "t"),
    ("nis-servers", 41, "IA"),
    ("ntp-servers", 42, "IA"),
    ("vendor-encapsulated-options", 43, "X"),
    ("netbios-name-servers", 44, "IA"),
    ("netbios-dd-server", 45, "IA"),
    ("netbios-node-type", 46, "B"),
    ("netbios-scope", 47, "t"),
    ("font-servers", 48, "IA"),
    ("x-display-manager", 49, "IA"),
    ("dhcp-requested-address", 50, "I"),
    ("dhcp-lease-time", 51, "L"),
    ("dhcp-option-overload", 52, "B"),
    ("dhcp-message-type", 53, "B"),
    ("dhcp-server-identifier", 54, "I"),
    ("dhcp-parameter-request-list", 55, "BA"),
    ("dhcp-message", 56, "t"),
    ("dhcp-max-message-size", 57, "S"),
    ("dhcp-renewal-time", 58, "L"),
    ("dhcp-rebinding-time", 59, "L"),
    ("vendor-class-identifier", 60, "X"),
    ("dhcp-client-identifier", 61, "X"),
    ("nwip-domain", 62, "t"),
    ("nwip-suboptions", 63, "E"),
    ("nisplus-domain", 64, "t"),
    ("nisplus-servers", 65, "IA"),
    ("tftp-server-name", 66, "t"),
    ("bootfile-name", 67, "t"),
    ("mobile-ip-home-agent", 68, "IA"),
    ("smtp-server", 69, "IA"),
    ("pop-server", 70, "IA"),
    ("nntp-server", 71, "IA"),
    ("www-server", 72, "IA"),
    ("finger-server", 73, "IA"),
    ("irc-server", 74, "IA"),
    ("streettalk-server", 75, "IA"),
    ("streettalk-directory-assistance-server", 76, "IA"),
    ("user-class", 77, "t"),
    ("slp-directory-agent", 78, "fIa"),
    ("slp-service-scope", 79, "ft"),
    ("fqdn", 81, "E"),
    ("relay-agent-information", 82, "E"),
    ("nds-servers", 85, "IA"),
    ("nds-tree-name", 86, "t"),
    ("nds-context", 87, "t"),
    ("bcms-controller-names", 88, "D"),
    ("bcms-controller-address", 89, "IA"),
    ("client-last-transaction-time", 91, "L"),
    ("associated-ip", 92, "IA"),
    ("pxe-system-type", 93, "SA"),
    ("pxe-interface-id", 94, "BBB"),
    ("pxe-client-id", 97, "BX"),
    ("uap-servers", 98, "t"),
    ("geoconf-civic", 99, "X"),
    ("pcode", 100, "t"),
    ("tcode", 101, "t"),
    ("v6-only-preferred", 108, "L"),
    ("netinfo-server-address", 112, "IA"),
    ("netinfo-server-tag", 113, "t"),
    ("default-url", 114, "t"),
    ("auto-config", 116, "B"),
    ("name-service-search", 117, "SA"),
    ("subnet-selection", 118, "I"),
    ("domain-search", 119, "D"),
    ("vivco", 124, "E"),
    ("vivso", 125, "E"),
    ("pana-agent", 136, "IA"),
    ("v4-lost", 137, "d"),
    ("capwap-ac-v4", 138, "IA"),
    ("sip-ua-cs-domains", 141, "D"),
    ("ipv4-address-andsf", 142, "IA"),
    ("rdnss-selection", 146, "E"),
    ("tftp-server-address", 150, "IA"),
    ("v4-portparams", 159, "BBS"),
    ("v4-captive-portal", 160, "t"),
    ("pxelinux-magic", 208, "BBBB"),
    ("loader-configfile", 209, "t"),
    ("loader-pathprefix", 210, "t"),
    ("loader-reboottime", 211, "L"),
    ("option-6rd", 212, "E"),
    ("v4-access-domain", 213, "d"),
];

/// Option codes Leasehold sets itself (its configuration parser refuses them), and why.
pub const MANAGED: &[(u8, &str)] = &[
    (50, "clients send it"),
    (51, "Leasehold sends the lease time from lease_time"),
    (52, "Leasehold decides overload itself"),
    (53, "Leasehold sets the message type"),
    (54, "Leasehold sets it (server_id)"),
    (55, "clients send it"),
    (57, "clients send it"),
    (58, "Leasehold sends renewal_time"),
    (59, "Leasehold sends rebinding_time"),
    (61, "Leasehold echoes the client's own (a host's `dhcp-client-identifier` becomes its reservation's client_id)"),
    (82, "Leasehold echoes the relay agent's own"),
];

/// An option as dhcpd knows it: its full name (`space.name` outside the DHCP space), code and
/// format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Def {
    /// The name as the configuration writes it.
    pub name: String,
    /// The option space (`dhcp` for the DHCP options themselves).
    pub space: String,
    /// The code.
    pub code: u8,
    /// The format letters (see [`STANDARD`]).
    pub format: String,
}

/// The definitions in force: dhcpd's standard ones plus the configuration's own.
#[derive(Clone, Debug, Default)]
pub struct Defs {
    custom: Vec<Def>,
    /// Option spaces declared with `option space NAME;`.
    pub spaces: Vec<String>,
}

impl Defs {
    /// The option named `name` (`space.name` or a DHCP option name).
    pub fn lookup(&self, name: &str) -> Option<Def> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_prefix("dhcp.").unwrap_or(&name);
        if let Some(d) = self.custom.iter().rev().find(|d| d.name == name) {
            return Some(d.clone());
        }
        if let Some(sub) = name.strip_prefix("agent.") {
            let code = match sub {
                "circuit-id" => 1,
                "remote-id" => 2,
                _ => return None,
            };
            return Some(Def {
                name: name.to_string(),
                space: "agent".into(),
                code,
                format: "X".into(),
            });
        }
        if name.contains('.') {
            return None;
        }
        STANDARD
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|&(n, code, format)| Def {
                name: n.to_string(),
                space: "dhcp".into(),
                code,
                format: format.into(),
            })
    }

    /// Reads `option NAME code N = TYPE;` (`head` without the leading `option`). Returns why
    /// when it cannot be used.
    pub fn define(&mut self, head: &[Token]) -> Result<Def, String> {
        let name = head
            .first()
            .and_then(Token::word)
            .ok_or("an option definition needs a name")?
            .to_ascii_lowercase();
        let code = head
            .get(2)
            .and_then(Token::word)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or("an option definition needs `code N`")?;
        if head.get(3).is_none_or(|t| !t.is('=')) {
            return Err("an option definition needs `= TYPE`".into());
        }
        let (space, short) = match name.split_once('.') {
            Some((s, n)) => (s.to_string(), n),
            None => ("dhcp".to_string(), name.as_str()),
        };
        let code =
            u8::try_from(code).map_err(|_| format!("option code {code} is not a DHCPv4 code"))?;
        let format = type_format(head.get(4..).unwrap_or_default())?;
        let def = Def {
            name: if space == "dhcp" {
                short.to_string()
            } else {
                name.clone()
            },
            space,
            code,
            format,
        };
        self.custom.push(def.clone());
        Ok(def)
    }
}

/// dhcpd's type syntax as format letters.
fn type_format(toks: &[Token]) -> Result<String, String> {
    let words: Vec<String> = toks
        .iter()
        .map(|t| match &t.tok {
            Tok::Word(w) => w.to_ascii_lowercase(),
            Tok::Punct(c) => c.to_string(),
            Tok::Str(_) => "\"\"".into(),
        })
        .collect();
    let mut out = String::new();
    let mut i = 0;
    let mut array = false;
    if words.first().map(String::as_str) == Some("array")
        && words.get(1).map(String::as_str) == Some("of")
    {
        array = true;
        i = 2;
    }
    let record = words.get(i).map(String::as_str) == Some("{");
    if record {
        i += 1;
    }
    while i < words.len() {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        let (letter, used) = match (w, next) {
            ("ip-address", _) => ("I", 1),
            ("ip6-address", _) => ("6", 1),
            ("text", _) => ("t", 1),
            ("string", _) => ("X", 1),
            ("boolean", _) => ("f", 1),
            ("domain-name", _) => ("d", 1),
            ("domain-list", Some("compressed")) => ("D", 2),
            ("domain-list", _) => ("D", 1),
            ("zerolen", _) => ("Z", 1),
            ("encapsulate", _) => ("E", 2),
            ("unsigned", Some("integer")) => (int_letter(words.get(i + 2), true)?, 3),
            ("signed", Some("integer")) => (int_letter(words.get(i + 2), false)?, 3),
            ("integer", _) => (int_letter(words.get(i + 1), false)?, 2),
            ("," | "}", _) => ("", 1),
            (other, _) => return Err(format!("type `{other}` is not one Leasehold can carry")),
        };
        out.push_str(letter);
        i += used;
    }
    if out.is_empty() {
        return Err("the definition names no type".into());
    }
    if array {
        out.push('A');
    }
    Ok(out)
}

fn int_letter(bits: Option<&String>, unsigned: bool) -> Result<&'static str, String> {
    Ok(match (bits.map(String::as_str), unsigned) {
        (Some("8"), true) => "B",
        (Some("16"), true) => "S",
        (Some("32"), true) => "L",
        (Some("8"), false) => "b",
        (Some("16"), false) => "s",
        (Some("32"), false) => "l",
        (b, _) => return Err(format!("integer width {b:?} is not 8, 16 or 32")),
    })
}

/// The wire bytes of a value (`toks`: the tokens after the option name) in `format`.
pub fn encode(format: &str, toks: &[Token]) -> Result<Vec<u8>, String> {
    let items: Vec<&Token> = toks.iter().filter(|t| !t.is(',')).collect();
    if format.contains('E') {
        return Err("an encapsulated option space is sent only as hex bytes of its carrying option; write it so".into());
    }
    if format.contains('6') {
        return Err(
            "it holds IPv6 addresses, which Leasehold's DHCPv4 options cannot carry".into(),
        );
    }
    if format == "Z" {
        return Err("Leasehold sends no empty options".into());
    }
    // A domain list is a list by itself.
    let format = if format == "D" { "DA" } else { format };
    // Split into the fixed part and the repeated part.
    let (fixed, repeat): (&str, &str) = if let Some(p) = format.find('A') {
        ("", &format[..p])
    } else if let Some(p) = format.find('a') {
        (
            &format[..p.saturating_sub(1)],
            &format[p.saturating_sub(1)..p],
        )
    } else {
        (format, "")
    };
    let mut out = Vec::new();
    let mut it = items.into_iter();
    for letter in fixed.chars() {
        let t = it
            .next()
            .ok_or("fewer values than the option's format needs")?;
        one(letter, t, &mut out)?;
    }
    if repeat.is_empty() {
        if let Some(extra) = it.next() {
            return Err(format!("unexpected `{}` after the value", extra.text()));
        }
    } else {
        let mut rounds = 0;
        'outer: loop {
            for (k, letter) in repeat.chars().enumerate() {
                let Some(t) = it.next() else {
                    if k == 0 && rounds > 0 {
                        break 'outer;
                    }
                    return Err("fewer values than the option's format needs".into());
                };
                one(letter, t, &mut out)?;
            }
            rounds += 1;
        }
    }
    Ok(out)
}

/// One value of format letter `letter`.
fn one(letter: char, t: &Token, out: &mut Vec<u8>) -> Result<(), String> {
    let word = t.word();
    match letter {
        'I' => {
            let w = word.ok_or_else(|| format!("expected an address, got {}", t.text()))?;
            let a: Ipv4Addr = w.parse().map_err(|_| {
                format!("{w:?} is not an IPv4 address (dhcpd resolves names at start; Leasehold takes addresses)")
            })?;
            out.extend_from_slice(&a.octets());
        }
        'B' | 'S' | 'L' | 'b' | 's' | 'l' => {
            let w = word.ok_or_else(|| format!("expected a number, got {}", t.text()))?;
            let v = parse_int(w).ok_or_else(|| format!("{w:?} is not a number"))?;
            let (min, max, n) = match letter {
                'B' => (0, 255, 1),
                'S' => (0, 65535, 2),
                'L' => (0, i64::from(u32::MAX), 4),
                // dhcpd takes the unsigned range for signed integers too (the usual
                // `array of integer 8` definition of option 121 holds 192, 168, ...).
                'b' => (-128, 255, 1),
                's' => (-32768, 65535, 2),
                _ => (i64::from(i32::MIN), i64::from(u32::MAX), 4),
            };
            if v < min || v > max {
                return Err(format!("{v} is out of range for the option"));
            }
            let bytes = v.to_be_bytes();
            out.extend_from_slice(&bytes[8 - n..]);
        }
        'f' => match word.map(str::to_ascii_lowercase).as_deref() {
            Some("true" | "on") => out.push(1),
            Some("false" | "off") => out.push(0),
            _ => return Err(format!("expected true or false, got {}", t.text())),
        },
        't' | 'd' => match &t.tok {
            Tok::Str(s) => {
                if letter == 'd' {
                    dns_name(s, out)?;
                } else {
                    out.extend_from_slice(s);
                }
            }
            Tok::Word(w) if letter == 'd' => dns_name(w.as_bytes(), out)?,
            _ => return Err(format!("expected a quoted string, got {}", t.text())),
        },
        'D' => match &t.tok {
            Tok::Str(s) => dns_name(s, out)?,
            Tok::Word(w) => dns_name(w.as_bytes(), out)?,
            Tok::Punct(_) => return Err(format!("expected a domain name, got {}", t.text())),
        },
        'X' => match &t.tok {
            Tok::Str(s) => out.extend_from_slice(s),
            Tok::Word(w) => out.extend(colon_hex(w).ok_or_else(|| {
                format!("{w:?} is neither a quoted string nor colon-separated hex bytes")
            })?),
            Tok::Punct(_) => return Err(format!("expected a string, got {}", t.text())),
        },
        other => return Err(format!("format `{other}` is not one Leasehold can carry")),
    }
    Ok(())
}

/// A decimal (or `0x` hex) integer.
fn parse_int(w: &str) -> Option<i64> {
    if let Some(h) = w.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok();
    }
    w.parse().ok()
}

/// dhcpd's colon hex: `1:2:a0` (one or two digits per byte).
pub fn colon_hex(w: &str) -> Option<Vec<u8>> {
    w.split(':')
        .map(|p| {
            if p.is_empty() || p.len() > 2 {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect()
}

/// An RFC 1035 name, uncompressed.
fn dns_name(name: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let text = std::str::from_utf8(name).map_err(|_| "a domain name must be text".to_string())?;
    for label in text.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{text:?} is not a domain name"));
        }
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// An option statement's value as a Leasehold option. `Err` says why it is not carried over.
pub fn to_plan(def: &Def, toks: &[Token], file: &Path, line: u32) -> Result<OptionPlan, String> {
    if def.space != "dhcp" {
        return Err(format!(
            "it is in option space {:?}; Leasehold sends such options only as hex bytes of their carrying option (e.g. 43 or 175)",
            def.space
        ));
    }
    if let Some((_, why)) = MANAGED.iter().find(|(c, _)| *c == def.code) {
        return Err(why.to_string());
    }
    let bytes = encode(&def.format, toks)?;
    if bytes.is_empty() {
        return Err("Leasehold sends no empty options".into());
    }
    let origin = Origin::new(file, line);
    let Some(ldef) = registry::by_code(def.code) else {
        return Ok(OptionPlan {
            name: def.code.to_string(),
            value: OptionValue::Text(leasehold_wire::hex::encode(&bytes, Some(':'))),
            origin,
        });
    };
    let value = leasehold_value(ldef.format, def.code, &bytes, toks)?;
    Ok(OptionPlan {
        name: ldef.name.to_string(),
        value,
        origin,
    })
}

/// The value in Leasehold's form for a code it knows, checked to encode back to `bytes`.
fn leasehold_value(
    format: OptionFormat,
    code: u8,
    bytes: &[u8],
    toks: &[Token],
) -> Result<OptionValue, String> {
    let def = registry::by_code(code).ok_or("unknown code")?;
    let value = match format {
        OptionFormat::Bytes => OptionValue::Text(leasehold_wire::hex::encode(bytes, Some(':'))),
        OptionFormat::DomainList => {
            let names: Vec<OptionValue> = toks
                .iter()
                .filter_map(|t| match &t.tok {
                    Tok::Str(s) => Some(OptionValue::Text(String::from_utf8_lossy(s).into_owned())),
                    Tok::Word(w) => Some(OptionValue::Text(w.clone())),
                    Tok::Punct(_) => None,
                })
                .collect();
            let texts: Vec<String> = names
                .iter()
                .filter_map(|n| match n {
                    OptionValue::Text(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            registry::encode_text(def, &refs)?;
            return Ok(OptionValue::List(names));
        }
        OptionFormat::Ip
        | OptionFormat::U8
        | OptionFormat::U16
        | OptionFormat::U32
        | OptionFormat::I32
        | OptionFormat::Bool
        | OptionFormat::Text => {
            let text = registry::decode_text(code, bytes);
            match format {
                OptionFormat::U8 | OptionFormat::U16 | OptionFormat::U32 | OptionFormat::I32 => {
                    match text.parse::<i64>() {
                        Ok(n) => OptionValue::Number(n),
                        Err(_) => {
                            return Err(format!("the value does not fit option {code}'s format"))
                        }
                    }
                }
                OptionFormat::Bool => OptionValue::Bool(text == "true"),
                OptionFormat::Text => {
                    let s = std::str::from_utf8(bytes)
                        .map_err(|_| "the text is not UTF-8".to_string())?;
                    OptionValue::Text(s.to_string())
                }
                _ => OptionValue::Text(text),
            }
        }
        OptionFormat::IpList | OptionFormat::U16List | OptionFormat::IpPairs => {
            let text = registry::decode_text(code, bytes);
            let items: Vec<OptionValue> = text
                .split(", ")
                .map(|s| match (format, s.parse::<i64>()) {
                    (OptionFormat::U16List, Ok(n)) => OptionValue::Number(n),
                    _ => OptionValue::Text(s.to_string()),
                })
                .collect();
            OptionValue::List(items)
        }
        OptionFormat::ClasslessRoutes => OptionValue::List(
            registry::decode_text(code, bytes)
                .split(", ")
                .map(|s| OptionValue::Text(s.to_string()))
                .collect(),
        ),
        OptionFormat::SubOptions => return Err("relay agents add it".into()),
    };
    let texts = flat_texts(&value);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    match registry::encode_text(def, &refs) {
        Ok(b) if b == bytes => Ok(value),
        Ok(_) | Err(_) => Err(format!(
            "the value does not fit Leasehold's format for option {code} ({})",
            def.name
        )),
    }
}

fn flat_texts(v: &OptionValue) -> Vec<String> {
    match v {
        OptionValue::Text(s) => vec![s.clone()],
        OptionValue::Number(n) => vec![n.to_string()],
        OptionValue::Bool(b) => vec![b.to_string()],
        OptionValue::List(items) => items.iter().flat_map(flat_texts).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        lex(s, Path::new("t")).expect("lexes").0
    }

    fn plan(defs: &Defs, stmt: &str) -> Result<OptionPlan, String> {
        let t = toks(stmt);
        let name = t[0].word().expect("name");
        let def = defs.lookup(name).ok_or("unknown")?;
        to_plan(&def, &t[1..], Path::new("d.conf"), 1)
    }

    #[test]
    fn standard_options_take_leasehold_names_and_forms() {
        let d = Defs::default();
        let p = plan(&d, "routers 198.18.0.1, 198.18.0.2").expect("carried");
        assert_eq!(p.name, "router");
        assert_eq!(
            p.value,
            OptionValue::List(vec![
                OptionValue::Text("198.18.0.1".into()),
                OptionValue::Text("198.18.0.2".into())
            ])
        );
        assert_eq!(
            plan(&d, "interface-mtu 1500").expect("carried").value,
            OptionValue::Number(1500)
        );
        assert_eq!(
            plan(&d, "ip-forwarding off").expect("carried").value,
            OptionValue::Bool(false)
        );
        assert_eq!(
            plan(&d, "domain-name \"example.test\"")
                .expect("carried")
                .value,
            OptionValue::Text("example.test".into())
        );
        assert_eq!(
            plan(&d, "domain-search \"a.test\", \"b.test\"")
                .expect("carried")
                .value,
            OptionValue::List(vec![
                OptionValue::Text("a.test".into()),
                OptionValue::Text("b.test".into())
            ])
        );
        assert_eq!(
            plan(&d, "vendor-encapsulated-options 1:4:a:b:c:d")
                .expect("carried")
                .value,
            OptionValue::Text("01:04:0a:0b:0c:0d".into())
        );
        assert_eq!(
            plan(&d, "static-routes 198.18.5.0 198.18.0.1")
                .expect("carried")
                .value,
            OptionValue::List(vec![OptionValue::Text("198.18.5.0 198.18.0.1".into())])
        );
        let e = plan(&d, "domain-name-servers ns1.example.test").expect_err("a name");
        assert!(e.contains("not an IPv4 address"), "{e}");
        assert!(plan(&d, "dhcp-lease-time 600").is_err());
    }

    #[test]
    fn definitions_give_codes_and_formats() {
        let mut d = Defs::default();
        let t = toks("rfc3442-classless-static-routes code 121 = array of integer 8");
        d.define(&t).expect("defined");
        let p = plan(
            &d,
            "rfc3442-classless-static-routes 24, 198, 18, 5, 198, 18, 0, 1",
        )
        .expect("carried");
        assert_eq!(p.name, "classless-static-route");
        assert_eq!(
            p.value,
            OptionValue::List(vec![OptionValue::Text("198.18.5.0/24 198.18.0.1".into())])
        );

        d.define(&toks("site-local code 224 = text"))
            .expect("defined");
        let p = plan(&d, "site-local \"si\"").expect("carried");
        assert_eq!(
            (p.name.as_str(), p.value),
            ("224", OptionValue::Text("73:69".into()))
        );

        d.define(&toks(
            "rec code 225 = { ip-address, unsigned integer 16, boolean }",
        ))
        .expect("defined");
        let p = plan(&d, "rec 198.18.0.1 258 true").expect("carried");
        assert_eq!(p.value, OptionValue::Text("c6:12:00:01:01:02:01".into()));

        d.define(&toks("arch code 93 = unsigned integer 16"))
            .expect("defined");
        assert_eq!(
            plan(&d, "arch 7").expect("carried").value,
            OptionValue::List(vec![OptionValue::Number(7)])
        );

        d.define(&toks("ipxe.bus-id code 177 = string"))
            .expect("defined");
        assert!(plan(&d, "ipxe.bus-id 1:2").is_err());
        assert!(d.define(&toks("x code 300 = text")).is_err());
        assert!(d.define(&toks("x code 230 = ip6-address")).is_ok());
        assert!(plan(&d, "x 1").is_err());
    }
}
