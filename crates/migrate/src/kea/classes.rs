//! Kea `client-classes` as Leasehold classes: the `test` expressions Leasehold's class keys can
//! say, and what members get (`next-server`, `boot-file-name`, `server-hostname`,
//! `option-data`).
//!
//! Expressible tests (joined with `and`; `or` only between architectures):
//! `substring(option[60].hex,0,N) == 'TEXT'` (vendor_class prefix), `option[77].hex == 'iPXE'`
//! (user_class), `option[93].hex == 0x0007` (arch), `substring(pkt4.mac,0,N) == 0x525400`
//! (hw_address_prefix), `option[175].exists` / `not option[175].exists` (ipxe),
//! `member('KNOWN')` / `member('UNKNOWN')` / `not member('KNOWN')` (known), and `member('X')` of
//! a class written before it (X's match keys are added). Anything else is a finding, and the
//! class is not written.

use super::json::Node;
use super::options::{self, OptionDefs};
use crate::{ClassPlan, Origin, Report};
use std::net::Ipv4Addr;

/// Kea class names and the Leasehold class each became.
#[derive(Clone, Debug, Default)]
pub struct ClassMap {
    /// (Kea name, Leasehold name) of every class written.
    names: Vec<(String, String)>,
    /// The classes written.
    pub classes: Vec<ClassPlan>,
}

impl ClassMap {
    /// The Leasehold class for the Kea class `kea`, when it could be written. Kea's built-in
    /// `KNOWN`/`UNKNOWN` classes become classes with `known = true/false`, `VENDOR_CLASS_x` one
    /// matching option 60 `x`, the first time they are named.
    pub fn resolve(&mut self, kea: &str) -> Option<String> {
        if let Some((_, l)) = self.names.iter().find(|(k, _)| k == kea) {
            return Some(l.clone());
        }
        let mut c = ClassPlan {
            name: self.unique(kea),
            ..ClassPlan::default()
        };
        match kea {
            "KNOWN" => c.known = Some(true),
            "UNKNOWN" => c.known = Some(false),
            _ => match kea.strip_prefix("VENDOR_CLASS_") {
                Some(v) if !v.is_empty() => c.vendor_class = Some(v.to_string()),
                _ => return None,
            },
        }
        let name = c.name.clone();
        self.names.push((kea.to_string(), name.clone()));
        self.classes.push(c);
        Some(name)
    }

    /// The class written for the Kea class `kea` (not the built-in ones).
    fn written(&self, kea: &str) -> Option<ClassPlan> {
        let (_, name) = self.names.iter().find(|(k, _)| k == kea)?;
        self.classes.iter().find(|c| &c.name == name).cloned()
    }

    /// A Leasehold class name (`[A-Za-z0-9_-]+`) for `kea`, not yet taken.
    fn unique(&self, kea: &str) -> String {
        let base: String = kea
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let base = if base.is_empty() {
            "class".into()
        } else {
            base
        };
        let mut name = base.clone();
        let mut n = 2;
        while self.classes.iter().any(|c| c.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// Reads `client-classes`, reporting what is not carried over.
    pub fn read(&mut self, list: Node<'_>, defs: &mut OptionDefs, report: &mut Report) {
        for item in list.items() {
            let (file, line) = item.at();
            let name = item.v.get("name").and_then(|v| v.as_str());
            let Some(kea_name) = name else {
                report.not_carried(file, line, "client class without a name not carried over");
                continue;
            };
            let mut c = ClassPlan {
                name: self.unique(kea_name),
                origin: Origin::new(file, line),
                ..ClassPlan::default()
            };
            let mut has_test = false;
            let mut ok = true;
            let entries = item.entries();
            // Definitions first: the class's option data may use them (they are kept for
            // the whole configuration, a superset of Kea's class scope).
            for (k, v) in &entries {
                if *k == "option-def" {
                    defs.read(*v, report);
                }
            }
            for (k, v) in entries {
                let (kf, kl) = v.at();
                match k {
                    "name" | "comment" | "user-context" | "option-def" => {}
                    "test" => {
                        has_test = true;
                        let expr = v.str().unwrap_or_default();
                        let written = |n: &str| self.written(n);
                        if let Err(why) = parse_test(expr, &mut c, &written) {
                            report.not_carried(
                                kf,
                                kl,
                                format!(
                                    "class {kea_name:?} not carried over: its test {expr:?} {why}; \
                                     Leasehold classes match option 60 prefixes, option 77, \
                                     option 93, option 175, hardware address prefixes, option 82 \
                                     and known clients"
                                ),
                            );
                            ok = false;
                        }
                    }
                    "next-server" => match v.str().and_then(|s| s.parse::<Ipv4Addr>().ok()) {
                        Some(a) if !a.is_unspecified() => c.next_server = Some(a),
                        Some(_) => {}
                        None => report.not_carried(kf, kl, "`next-server` is not an IPv4 address"),
                    },
                    "boot-file-name" => c.boot_file = text(v, 127, kf, kl, report),
                    "server-hostname" => c.server_name = text(v, 63, kf, kl, report),
                    "option-data" => {
                        let opts = defs.read_list(v, report);
                        options::merge(&mut c.options, opts);
                    }
                    other => report.not_carried(
                        kf,
                        kl,
                        format!(
                            "`{other}` of class {kea_name:?} not carried over: {}",
                            why_class_key(other)
                        ),
                    ),
                }
            }
            if !has_test {
                report.not_carried(
                    file,
                    line,
                    format!(
                        "class {kea_name:?} without a test not carried over: Leasehold classes \
                         are matched on the request, not assigned by reservations or hooks"
                    ),
                );
                continue;
            }
            if ok {
                self.names.push((kea_name.to_string(), c.name.clone()));
                self.classes.push(c);
            }
        }
    }
}

fn why_class_key(key: &str) -> &'static str {
    match key {
        "only-if-required" | "only-in-additional-list" => {
            "Leasehold evaluates every class for every request, so its members get what it \
             gives in every subnet, not only where `require-client-classes` names it"
        }
        "valid-lifetime" | "min-valid-lifetime" | "max-valid-lifetime" | "offer-lifetime" => {
            "Leasehold sets lease times per server and subnet"
        }
        _ => "Leasehold classes have no such setting",
    }
}

/// A text field of at most `max` bytes (a boot file, a server name), else a finding.
pub fn text(
    v: Node<'_>,
    max: usize,
    file: &std::path::Path,
    line: u32,
    report: &mut Report,
) -> Option<String> {
    match v.str() {
        Some("") => None,
        Some(s) if s.len() <= max && !s.contains('\0') => Some(s.to_string()),
        _ => {
            report.not_carried(
                file,
                line,
                format!("value not carried over: expected text of at most {max} bytes"),
            );
            None
        }
    }
}

/// Sets the match keys of `c` from a Kea test expression, or says why it cannot.
/// `member('X')` of a class written before takes over X's match keys (`lookup` finds it).
fn parse_test(
    expr: &str,
    c: &mut ClassPlan,
    lookup: &dyn Fn(&str) -> Option<ClassPlan>,
) -> Result<(), String> {
    let e = compact(expr);
    let e = strip_parens(&e);
    if e.is_empty() {
        return Err("is empty".into());
    }
    for conj in split_top(e, "and") {
        let conj = strip_parens(conj);
        let alts = split_top(conj, "or");
        if alts.len() > 1 {
            for a in alts {
                match atom(strip_parens(a))? {
                    Key::Arch(n) => c.arch.push(n),
                    _ => return Err("uses `or` between tests other than architectures".into()),
                }
            }
            continue;
        }
        match atom(conj)? {
            Key::Vendor(s) => set(&mut c.vendor_class, s)?,
            Key::User(s) => set(&mut c.user_class, s)?,
            Key::Arch(n) => {
                if !c.arch.is_empty() {
                    return Err("asks for two architectures at once".into());
                }
                c.arch.push(n);
            }
            Key::Hw(s) => set(&mut c.hw_address_prefix, s)?,
            Key::Ipxe(b) => set(&mut c.ipxe, b)?,
            Key::Known(b) => set(&mut c.known, b)?,
            Key::Member(name) => {
                let other = lookup(&name).ok_or_else(|| {
                    format!("needs class {name:?}, which is not a class Leasehold could write")
                })?;
                inline(c, &other)?;
            }
        }
    }
    Ok(())
}

/// Adds the match keys of `other` to `c` (`member('other')` in an `and`).
fn inline(c: &mut ClassPlan, other: &ClassPlan) -> Result<(), String> {
    fn take<T: Clone + PartialEq>(slot: &mut Option<T>, v: &Option<T>) -> Result<(), String> {
        match (slot.as_ref(), v) {
            (_, None) => Ok(()),
            (None, Some(v)) => {
                *slot = Some(v.clone());
                Ok(())
            }
            (Some(a), Some(b)) if a == b => Ok(()),
            _ => Err("tests the same thing twice".into()),
        }
    }
    take(&mut c.vendor_class, &other.vendor_class)?;
    take(&mut c.user_class, &other.user_class)?;
    take(&mut c.hw_address_prefix, &other.hw_address_prefix)?;
    take(&mut c.circuit_id, &other.circuit_id)?;
    take(&mut c.remote_id, &other.remote_id)?;
    take(&mut c.ipxe, &other.ipxe)?;
    take(&mut c.known, &other.known)?;
    if !other.arch.is_empty() {
        if !c.arch.is_empty() && c.arch != other.arch {
            return Err("asks for two sets of architectures at once".into());
        }
        c.arch = other.arch.clone();
    }
    Ok(())
}

fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), String> {
    if slot.is_some() {
        return Err("tests the same thing twice".into());
    }
    *slot = Some(v);
    Ok(())
}

/// One test Leasehold can say.
enum Key {
    Vendor(String),
    User(String),
    Arch(u16),
    Hw(String),
    Ipxe(bool),
    Known(bool),
    /// `member('X')` of another class.
    Member(String),
}

/// The expression with whitespace outside quotes removed, keywords kept apart by a space.
fn compact(expr: &str) -> String {
    let mut out = String::new();
    let mut in_q = false;
    let mut pending_space = false;
    for c in expr.chars() {
        if c == '\'' {
            in_q = !in_q;
        }
        if !in_q && c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            let prev_word = out
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_alphanumeric() || p == ')' || p == '\'');
            if prev_word && (c.is_ascii_alphanumeric() || c == '(' || c == '\'') {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// `(x)` → `x`, when the parentheses enclose the whole expression.
fn strip_parens(mut e: &str) -> &str {
    loop {
        let t = e.trim();
        if !(t.starts_with('(') && t.ends_with(')')) {
            return t;
        }
        let inner = &t[1..t.len() - 1];
        if depth_ok(inner) {
            e = inner;
        } else {
            return t;
        }
    }
}

/// True when the parentheses of `s` never close more than they opened.
fn depth_ok(s: &str) -> bool {
    let mut d = 0i32;
    let mut in_q = false;
    for c in s.chars() {
        match c {
            '\'' => in_q = !in_q,
            '(' if !in_q => d += 1,
            ')' if !in_q => {
                d -= 1;
                if d < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    d == 0
}

/// Splits `e` at the keyword `kw` (surrounded by spaces) outside parentheses and quotes.
fn split_top<'e>(e: &'e str, kw: &str) -> Vec<&'e str> {
    let pat = format!(" {kw} ");
    let mut parts = Vec::new();
    let mut d = 0i32;
    let mut in_q = false;
    let mut start = 0;
    let bytes = e.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_q = !in_q,
            b'(' if !in_q => d += 1,
            b')' if !in_q => d -= 1,
            _ if !in_q && d == 0 && bytes[i..].starts_with(pat.as_bytes()) => {
                parts.push(&e[start..i]);
                i += pat.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&e[start..]);
    parts
}

/// One comparison or test.
fn atom(a: &str) -> Result<Key, String> {
    let a = a.trim();
    if let Some(inner) = a.strip_prefix("not ").or_else(|| a.strip_prefix("not(")) {
        let inner = if a.starts_with("not(") {
            strip_parens(&a[3..])
        } else {
            strip_parens(inner)
        };
        return match atom(inner)? {
            Key::Ipxe(b) => Ok(Key::Ipxe(!b)),
            Key::Known(b) => Ok(Key::Known(!b)),
            _ => Err("negates a test Leasehold cannot negate".into()),
        };
    }
    match a {
        "member('KNOWN')" => return Ok(Key::Known(true)),
        "member('UNKNOWN')" => return Ok(Key::Known(false)),
        _ => {}
    }
    if let Some(name) = a
        .strip_prefix("member('")
        .and_then(|r| r.strip_suffix("')"))
        .filter(|n| !n.contains('\''))
    {
        return Ok(Key::Member(name.to_string()));
    }
    if let Some(opt) = a
        .strip_prefix("option[")
        .and_then(|r| r.strip_suffix("].exists"))
    {
        return match opt {
            "175" => Ok(Key::Ipxe(true)),
            _ => Err(format!("tests option {opt} for presence")),
        };
    }
    let Some((lhs, rhs)) = a.split_once("==") else {
        return Err("is not a comparison Leasehold knows".into());
    };
    let value = literal(rhs)?;
    if let Some(sub) = lhs
        .strip_prefix("substring(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let parts: Vec<&str> = sub.split(',').collect();
        let [what, start, len] = parts[..] else {
            return Err("has a substring Leasehold cannot read".into());
        };
        if start != "0" || len.parse::<usize>().ok() != Some(value.len()) {
            return Err("compares a substring other than a prefix of the same length".into());
        }
        return match what {
            "option[60].hex"
            | "option[60].text"
            | "option[vendor-class-identifier].hex"
            | "option[vendor-class-identifier].text" => Ok(Key::Vendor(as_text(&value)?)),
            "pkt4.mac" => Ok(Key::Hw(hex_colon(&value))),
            _ => Err(format!("compares a prefix of {what}")),
        };
    }
    match lhs {
        "option[77].hex"
        | "option[77].text"
        | "option[user-class].hex"
        | "option[user-class].text" => Ok(Key::User(match std::str::from_utf8(&value) {
            Ok(s) if !s.starts_with("0x") && s.chars().all(|c| !c.is_control()) => s.to_string(),
            _ => format!("0x{}", leasehold_wire::hex::encode(&value, None)),
        })),
        "option[93].hex" | "option[client-system].hex" | "option[pxe-client-architecture].hex" => {
            match value[..] {
                [a, b] => Ok(Key::Arch(u16::from_be_bytes([a, b]))),
                _ => Err("compares option 93 with something that is not one 2-byte number".into()),
            }
        }
        "pkt4.mac" => Ok(Key::Hw(hex_colon(&value))),
        _ => Err(format!("compares {lhs}")),
    }
}

/// `'text'` or `0xHEX` as bytes.
fn literal(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if let Some(t) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        if t.is_empty() {
            return Err("compares with an empty string".into());
        }
        return Ok(t.as_bytes().to_vec());
    }
    if s.starts_with("0x") || s.starts_with("0X") {
        return options::hex(s).map_err(|_| format!("has a bad hex literal {s}"));
    }
    Err(format!("compares with {s}, not a string or hex literal"))
}

fn as_text(v: &[u8]) -> Result<String, String> {
    std::str::from_utf8(v)
        .ok()
        .filter(|s| !s.chars().any(char::is_control))
        .map(str::to_string)
        .ok_or_else(|| "compares option 60 with bytes that are not text".into())
}

fn hex_colon(v: &[u8]) -> String {
    leasehold_wire::hex::encode(v, Some(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(e: &str) -> Result<ClassPlan, String> {
        let mut c = ClassPlan::default();
        let voip = ClassPlan {
            vendor_class: Some("Aastra".into()),
            ..ClassPlan::default()
        };
        let lookup = move |n: &str| (n == "VoIP").then(|| voip.clone());
        parse_test(e, &mut c, &lookup).map(|()| c)
    }

    #[test]
    fn expressible_tests() {
        let c = parse("substring(option[60].hex,0,9) == 'PXEClient'").expect("pxe");
        assert_eq!(c.vendor_class.as_deref(), Some("PXEClient"));
        let c = parse("option[77].hex == 'iPXE'").expect("ipxe");
        assert_eq!(c.user_class.as_deref(), Some("iPXE"));
        let c = parse("option[93].hex == 0x0007 or option[93].hex == 0x0009").expect("arch");
        assert_eq!(c.arch, vec![7, 9]);
        let c = parse("substring(pkt4.mac, 0, 3) == 0x525400").expect("mac");
        assert_eq!(c.hw_address_prefix.as_deref(), Some("52:54:00"));
        let c = parse("(option[175].exists) and not member('KNOWN')").expect("and");
        assert_eq!((c.ipxe, c.known), (Some(true), Some(false)));
        let c = parse("not option[175].exists and member('UNKNOWN')").expect("not");
        assert_eq!((c.ipxe, c.known), (Some(false), Some(false)));
        let c = parse("substring(option[60].hex,0,9) == 'PXEClient' and option[93].hex == 0x0000")
            .expect("pxe bios");
        assert_eq!(c.arch, vec![0]);
        let c = parse("option[77].hex == '\u{e9}t\u{e9}' and member('KNOWN')").expect("utf-8");
        assert_eq!(c.user_class.as_deref(), Some("\u{e9}t\u{e9}"));
        let c = parse("member('VoIP') and member('KNOWN')").expect("member");
        assert_eq!(
            (c.vendor_class.as_deref(), c.known),
            (Some("Aastra"), Some(true))
        );
    }

    #[test]
    fn other_tests_are_refused() {
        for e in [
            "option[60].text == 'MSFT 5.0'",
            "substring(option[60].hex,0,3) == 'PXEClient'",
            "option[123].hex == 0x01",
            "pkt4.giaddr == 198.18.0.1",
            "option[93].hex == 0x0007 or option[77].hex == 'iPXE'",
            "",
            "member('foo')",
            "member('VoIP') and substring(option[60].hex,0,3) == 'abc'",
            "not member('VoIP')",
        ] {
            assert!(parse(e).is_err(), "{e}");
        }
    }

    #[test]
    fn builtin_classes_resolve_once() {
        let mut m = ClassMap::default();
        assert_eq!(m.resolve("KNOWN").as_deref(), Some("KNOWN"));
        assert_eq!(m.resolve("KNOWN").as_deref(), Some("KNOWN"));
        assert_eq!(
            m.resolve("VENDOR_CLASS_docsis3.0").as_deref(),
            Some("VENDOR_CLASS_docsis3_0")
        );
        assert_eq!(m.resolve("nope"), None);
        assert_eq!(m.classes.len(), 2);
    }
}
