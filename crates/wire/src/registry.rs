//! Known options: code, name and value format.
//!
//! One table serves three uses: typed decoding of received options, encoding option values written
//! as text in configuration files ([`encode_text`]), and showing option values to people
//! ([`decode_text`]). It covers every RFC 2132 option plus 61, 77, 81, 82, 93, 94, 97, 108, 118,
//! 119, 121 and 150.
//!
//! Sub-modules: `table` (the static table), `text` (text ↔ bytes per format), `dns` (RFC 1035
//! names for option 119, RFC 3397) and `routes` (RFC 3442 classless routes).

mod dns;
mod routes;
mod table;
mod text;

pub use text::{decode_text, encode_text};

/// How an option's value is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionFormat {
    /// One IPv4 address.
    Ip,
    /// One or more IPv4 addresses.
    IpList,
    /// Pairs of IPv4 addresses (e.g. option 21 policy filter, 33 static routes).
    IpPairs,
    /// An unsigned byte.
    U8,
    /// An unsigned 16-bit integer.
    U16,
    /// A list of unsigned 16-bit integers (e.g. option 25 path MTU plateau table).
    U16List,
    /// An unsigned 32-bit integer (times in seconds).
    U32,
    /// A signed 32-bit integer (option 2 time offset).
    I32,
    /// A boolean byte (0 or 1).
    Bool,
    /// Text (NVT ASCII / UTF-8).
    Text,
    /// Opaque bytes, written as hex (`01:02:0a` or `01020a`) in configuration.
    Bytes,
    /// RFC 1035 domain names, compressed per RFC 3397 (option 119).
    DomainList,
    /// RFC 3442 classless static routes (option 121): `"198.18.5.0/24 198.18.0.1"` items.
    ClasslessRoutes,
    /// Option 82 style sub-options; not configurable as text.
    SubOptions,
}

/// One known option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionDef {
    /// Option code.
    pub code: u8,
    /// Canonical kebab-case name, e.g. `domain-name-servers`.
    pub name: &'static str,
    /// Value layout.
    pub format: OptionFormat,
}

/// Every known option, sorted by code.
pub fn all() -> &'static [OptionDef] {
    table::OPTIONS
}

/// The definition of option `code`, if known.
pub fn by_code(code: u8) -> Option<&'static OptionDef> {
    table::OPTIONS.iter().find(|d| d.code == code)
}

/// The definition named `name`: case-insensitive, `_` and `-` are the same. Besides the canonical
/// names, a few common alternatives are accepted (`routers`, `dhcp-lease-time`, `ntp-server`, …);
/// see [`aliases`].
pub fn by_name(name: &str) -> Option<&'static OptionDef> {
    let wanted: String = name
        .trim()
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if let Some(d) = table::OPTIONS.iter().find(|d| d.name == wanted) {
        return Some(d);
    }
    let code = table::ALIASES.iter().find(|(a, _)| *a == wanted)?.1;
    by_code(code)
}

/// Alternative names accepted by [`by_name`], as (alias, code).
pub fn aliases() -> &'static [(&'static str, u8)] {
    table::ALIASES
}
