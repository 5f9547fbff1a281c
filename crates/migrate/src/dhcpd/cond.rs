//! dhcpd boolean expressions (`match if ...;`, `if ... {`) as Leasehold class match keys.
//!
//! What maps: a conjunction (`and`) of
//! - `option vendor-class-identifier = "X"` or `substring(option vendor-class-identifier, 0, N)
//!   = "X"` → `vendor_class = "X"` (Leasehold matches a prefix: an equality on the whole option
//!   becomes a prefix match of the same text);
//! - `option user-class = "X"` → `user_class`;
//! - option 93 by any name (`pxe-system-type`, `arch` from an `option arch code 93 = ...`
//!   definition) `= 00:07` or `= 7` → `arch` (several joined by `or` make a list);
//! - `exists` of an option of the `ipxe` space or of option 175 → `ipxe = true` (`not exists`:
//!   `false`);
//! - `substring(hardware, 1, N) = aa:bb:cc` and `hardware = 1:aa:...` → `hw_address_prefix`;
//! - `option agent.circuit-id = "X"` / `option agent.remote-id = "X"` → `circuit_id` /
//!   `remote_id`;
//! - `known` / `not known` → `known`;
//! - `exists` of an option whose value the same conjunction also compares (implied).
//!
//! Anything else (regular expressions, `or` of different keys, other functions, inequality)
//! is refused with the reason, and the caller reports the statement.

use super::lexer::{Tok, Token};
use super::options::{colon_hex, Defs};

/// The match keys an expression gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    /// `vendor_class`.
    pub vendor_class: Option<String>,
    /// `user_class`.
    pub user_class: Option<String>,
    /// `arch`.
    pub arch: Vec<u16>,
    /// `ipxe`.
    pub ipxe: Option<bool>,
    /// `hw_address_prefix`.
    pub hw_prefix: Option<String>,
    /// `circuit_id`.
    pub circuit_id: Option<String>,
    /// `remote_id`.
    pub remote_id: Option<String>,
    /// `known`.
    pub known: Option<bool>,
}

impl Keys {
    /// True when no key is set (a class with no key matches nobody in Leasehold).
    pub fn is_empty(&self) -> bool {
        *self == Keys::default()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Eq(Operand, Operand),
    Exists(String),
    Known,
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Option(String),
    Substring(Box<Operand>, i64, i64),
    Hardware,
    Str(Vec<u8>),
    Word(String),
    Other(String),
}

/// The keys of the expression `toks`.
pub fn keys(toks: &[Token], defs: &Defs) -> Result<Keys, String> {
    let mut p = Parser { t: toks, i: 0 };
    let e = p.or()?;
    if let Some(t) = p.t.get(p.i) {
        return Err(format!("unexpected `{}` in the condition", t.text()));
    }
    let mut k = Keys::default();
    let mut exists = Vec::new();
    apply(&e, defs, &mut k, &mut exists)?;
    for name in exists {
        let code = defs.lookup(&name).map(|d| d.code);
        let implied = match code {
            Some(60) => k.vendor_class.is_some(),
            Some(77) => k.user_class.is_some(),
            Some(93) => !k.arch.is_empty(),
            _ => false,
        };
        if !implied {
            return Err(format!("`exists {name}` has no Leasehold match key"));
        }
    }
    if k.is_empty() {
        return Err("the condition gives no Leasehold match key".into());
    }
    Ok(k)
}

/// The keys of both `a` and `b` (a branch nested in another): every key of either; two
/// different values of one key, or architectures in common with none, cannot both hold.
pub fn join(a: &Keys, b: &Keys) -> Result<Keys, String> {
    let mut k = a.clone();
    let one = |slot: &mut Option<String>, v: &Option<String>, what: &str| match v {
        Some(v) => set(slot, v.clone(), what),
        None => Ok(()),
    };
    one(&mut k.vendor_class, &b.vendor_class, "vendor class")?;
    one(&mut k.user_class, &b.user_class, "user class")?;
    one(&mut k.hw_prefix, &b.hw_prefix, "hardware prefix")?;
    one(&mut k.circuit_id, &b.circuit_id, "circuit id")?;
    one(&mut k.remote_id, &b.remote_id, "remote id")?;
    if let Some(v) = b.ipxe {
        set(&mut k.ipxe, v, "ipxe")?;
    }
    if let Some(v) = b.known {
        set(&mut k.known, v, "known")?;
    }
    if !b.arch.is_empty() {
        if k.arch.is_empty() {
            k.arch = b.arch.clone();
        } else {
            k.arch.retain(|a| b.arch.contains(a));
            if k.arch.is_empty() {
                return Err("and the enclosing condition name different architectures".into());
            }
        }
    }
    Ok(k)
}

fn set<T: PartialEq + Clone>(slot: &mut Option<T>, v: T, what: &str) -> Result<(), String> {
    match slot {
        Some(old) if *old != v => Err(format!("two different {what} values in one condition")),
        _ => {
            *slot = Some(v);
            Ok(())
        }
    }
}

fn apply(e: &Expr, defs: &Defs, k: &mut Keys, exists: &mut Vec<String>) -> Result<(), String> {
    match e {
        Expr::And(items) => {
            for i in items {
                apply(i, defs, k, exists)?;
            }
            Ok(())
        }
        Expr::Or(items) => {
            // Only alternatives of architectures (a list in Leasehold).
            for i in items {
                let mut sub = Keys::default();
                apply(i, defs, &mut sub, &mut Vec::new())?;
                let arch = std::mem::take(&mut sub.arch);
                if !sub.is_empty() || arch.is_empty() {
                    return Err("`or` is carried only between architectures (option 93)".into());
                }
                k.arch.extend(arch);
            }
            Ok(())
        }
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Known => set(&mut k.known, false, "known"),
            Expr::Exists(n) if is_ipxe(n, defs) => set(&mut k.ipxe, false, "ipxe"),
            _ => Err("`not` is carried only before `known` and `exists` of an iPXE option".into()),
        },
        Expr::Known => set(&mut k.known, true, "known"),
        Expr::Exists(n) if is_ipxe(n, defs) => set(&mut k.ipxe, true, "ipxe"),
        Expr::Exists(n) => {
            exists.push(n.clone());
            Ok(())
        }
        Expr::Eq(a, b) => {
            let (lhs, value) = match (a, b) {
                (Operand::Str(_) | Operand::Word(_), other) => (other, a),
                _ => (a, b),
            };
            eq(lhs, value, defs, k)
        }
        Expr::Other(why) => Err(why.clone()),
    }
}

fn is_ipxe(name: &str, defs: &Defs) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("ipxe.")
        || defs
            .lookup(&lower)
            .is_some_and(|d| d.code == 175 && d.space == "dhcp")
}

/// The bytes of a literal: a string, colon hex, or a number (as given).
fn literal(v: &Operand) -> Option<Vec<u8>> {
    match v {
        Operand::Str(s) => Some(s.clone()),
        Operand::Word(w) => colon_hex(w),
        _ => None,
    }
}

fn text_or_hex(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control()) && !s.starts_with("0x") => {
            s.to_string()
        }
        _ => format!("0x{}", leasehold_wire::hex::encode(b, None)),
    }
}

fn eq(lhs: &Operand, value: &Operand, defs: &Defs, k: &mut Keys) -> Result<(), String> {
    let bytes = literal(value).ok_or("a comparison is carried only with a literal value")?;
    if bytes.is_empty() || bytes.len() > 255 {
        return Err("Leasehold matches values of 1 to 255 bytes".into());
    }
    match lhs {
        Operand::Option(name) => {
            let def = defs
                .lookup(name)
                .ok_or_else(|| format!("option {name} is not known"))?;
            match (def.space.as_str(), def.code) {
                ("dhcp", 60) => {
                    let s = String::from_utf8(bytes)
                        .map_err(|_| "vendor class is not text".to_string())?;
                    set(&mut k.vendor_class, s, "vendor class")
                }
                ("dhcp", 77) => set(&mut k.user_class, text_or_hex(&bytes), "user class"),
                ("dhcp", 93) => {
                    let code = match (value, bytes.as_slice()) {
                        (Operand::Word(w), _) if !w.contains(':') => w
                            .parse::<u16>()
                            .map_err(|_| format!("{w:?} is not an architecture"))?,
                        (_, [hi, lo]) => u16::from_be_bytes([*hi, *lo]),
                        _ => return Err("an architecture is two bytes (00:07)".into()),
                    };
                    k.arch.push(code);
                    Ok(())
                }
                ("agent", 1) => set(&mut k.circuit_id, text_or_hex(&bytes), "circuit id"),
                ("agent", 2) => set(&mut k.remote_id, text_or_hex(&bytes), "remote id"),
                _ => Err(format!(
                    "Leasehold classes do not match option {}",
                    def.name
                )),
            }
        }
        Operand::Substring(inner, start, len) => match inner.as_ref() {
            Operand::Option(name)
                if *start == 0
                    && defs
                        .lookup(name)
                        .is_some_and(|d| d.space == "dhcp" && d.code == 60) =>
            {
                let cut = bytes
                    .get(..usize::try_from(*len).unwrap_or(0).min(bytes.len()))
                    .unwrap_or_default();
                let s = String::from_utf8(cut.to_vec())
                    .map_err(|_| "vendor class is not text".to_string())?;
                if s.is_empty() {
                    return Err("an empty vendor class prefix".into());
                }
                set(&mut k.vendor_class, s, "vendor class")
            }
            Operand::Hardware
                if *start >= 1 && bytes.len() as i64 == *len && *start + *len <= 7 =>
            {
                if *start != 1 {
                    return Err("a hardware prefix must start at byte 1 (after the type)".into());
                }
                set(
                    &mut k.hw_prefix,
                    leasehold_wire::hex::encode(&bytes, Some(':')),
                    "hardware prefix",
                )
            }
            Operand::Hardware
                if *start == 0
                    && bytes.first() == Some(&1)
                    && bytes.len() as i64 == *len
                    && bytes.len() > 1
                    && bytes.len() <= 7 =>
            {
                set(
                    &mut k.hw_prefix,
                    leasehold_wire::hex::encode(&bytes[1..], Some(':')),
                    "hardware prefix",
                )
            }
            _ => Err("this substring has no Leasehold match key".into()),
        },
        Operand::Hardware => match bytes.split_first() {
            Some((1, mac)) if !mac.is_empty() && mac.len() <= 6 => set(
                &mut k.hw_prefix,
                leasehold_wire::hex::encode(mac, Some(':')),
                "hardware prefix",
            ),
            _ => Err("only Ethernet hardware addresses (1:...) are carried".into()),
        },
        _ => Err("this comparison has no Leasehold match key".into()),
    }
}

struct Parser<'a> {
    t: &'a [Token],
    i: usize,
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<&str> {
        self.t.get(self.i).and_then(Token::word)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.i += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.unary()?];
        while self.peek_word() == Some("and") {
            self.i += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek_word() {
            Some("not") => {
                self.i += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some("exists") => {
                self.i += 1;
                let n = self
                    .peek_word()
                    .ok_or("`exists` needs an option name")?
                    .to_string();
                self.i += 1;
                Ok(Expr::Exists(n))
            }
            Some("known") => {
                self.i += 1;
                Ok(Expr::Known)
            }
            _ if self.t.get(self.i).is_some_and(|t| t.is('(')) => {
                self.i += 1;
                let e = self.or()?;
                self.expect(')')?;
                Ok(e)
            }
            _ => {
                let a = self.operand()?;
                match self.t.get(self.i) {
                    Some(t) if t.is('=') => {
                        self.i += 1;
                        let b = self.operand()?;
                        Ok(Expr::Eq(a, b))
                    }
                    Some(t) if matches!(t.word(), Some("!=" | "~=" | "~~")) => {
                        let op = t.text();
                        self.i += 1;
                        self.operand()?;
                        Ok(Expr::Other(format!(
                            "`{op}` comparisons have no Leasehold match key"
                        )))
                    }
                    _ => Ok(Expr::Other(
                        "a bare value is not a condition Leasehold can match".into(),
                    )),
                }
            }
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.t.get(self.i).is_some_and(|t| t.is(c)) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{c}` in the condition"))
        }
    }

    fn number(&mut self) -> Result<i64, String> {
        let n = self
            .peek_word()
            .and_then(|w| w.parse().ok())
            .ok_or("expected a number in the condition")?;
        self.i += 1;
        Ok(n)
    }

    fn operand(&mut self) -> Result<Operand, String> {
        let t = self.t.get(self.i).ok_or("the condition ends early")?;
        self.i += 1;
        match &t.tok {
            Tok::Str(s) => Ok(Operand::Str(s.clone())),
            Tok::Punct(c) => Err(format!("unexpected `{c}` in the condition")),
            Tok::Word(w) => match w.as_str() {
                "option" => {
                    let n = self.peek_word().ok_or("`option` needs a name")?.to_string();
                    self.i += 1;
                    Ok(Operand::Option(n))
                }
                "hardware" => Ok(Operand::Hardware),
                "substring" => {
                    self.expect('(')?;
                    let inner = self.operand()?;
                    self.expect(',')?;
                    let start = self.number()?;
                    self.expect(',')?;
                    let len = self.number()?;
                    self.expect(')')?;
                    Ok(Operand::Substring(Box::new(inner), start, len))
                }
                other if self.t.get(self.i).is_some_and(|t| t.is('(')) => {
                    let mut depth = 0usize;
                    while let Some(t) = self.t.get(self.i) {
                        self.i += 1;
                        if t.is('(') {
                            depth += 1;
                        } else if t.is(')') {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                    Ok(Operand::Other(other.to_string()))
                }
                _ => Ok(Operand::Word(w.clone())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;
    use std::path::Path;

    fn k(defs: &Defs, s: &str) -> Result<Keys, String> {
        keys(&lex(s, Path::new("t")).expect("lexes").0, defs)
    }

    #[test]
    fn network_boot_conditions_map_to_keys() {
        let mut d = Defs::default();
        d.define(
            &lex("arch code 93 = unsigned integer 16", Path::new("t"))
                .expect("lexes")
                .0,
        )
        .expect("defined");
        let got = k(
            &d,
            "substring(option vendor-class-identifier, 0, 9) = \"PXEClient\"",
        )
        .expect("maps");
        assert_eq!(got.vendor_class.as_deref(), Some("PXEClient"));
        let got = k(&d, "exists user-class and option user-class = \"iPXE\"").expect("maps");
        assert_eq!(got.user_class.as_deref(), Some("iPXE"));
        assert_eq!(
            k(&d, "option pxe-system-type = 00:07").expect("maps").arch,
            vec![7]
        );
        assert_eq!(
            k(&d, "option arch = 00:09 or option arch = 7")
                .expect("maps")
                .arch,
            vec![9, 7]
        );
        assert_eq!(k(&d, "exists ipxe.bus-id").expect("maps").ipxe, Some(true));
        assert_eq!(
            k(&d, "not exists ipxe.bus-id").expect("maps").ipxe,
            Some(false)
        );
        assert_eq!(
            k(&d, "substring(hardware, 1, 3) = 52:54:00")
                .expect("maps")
                .hw_prefix
                .as_deref(),
            Some("52:54:00")
        );
        assert_eq!(k(&d, "not known").expect("maps").known, Some(false));
        assert_eq!(
            k(&d, "option agent.circuit-id = \"port7\"")
                .expect("maps")
                .circuit_id
                .as_deref(),
            Some("port7")
        );
    }

    #[test]
    fn other_conditions_are_refused_with_a_reason() {
        let d = Defs::default();
        for bad in [
            "option vendor-class-identifier ~~ \"^PXE\"",
            "exists user-class",
            "option host-name = \"a\"",
            "binary-to-ascii(16, 8, \":\", hardware) = \"1:2\"",
            "option user-class = \"a\" or option vendor-class-identifier = \"b\"",
            "not option user-class = \"a\"",
            "substring(option vendor-class-identifier, 0, 9",
        ] {
            assert!(k(&d, bad).is_err(), "{bad}");
        }
    }
}
