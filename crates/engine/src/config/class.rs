//! `[[class]]`: client classes. A class names what to match in a request (options 60, 77, 93,
//! 175, the hardware address, option 82, the selected subnet) and what its members get (boot
//! fields, options, or no answer at all).
//!
//! The match itself runs in the engine (`engine::classify`); this module holds the model, the
//! raw table and its validation.

use super::error::SpanError;
use super::model::OptionSet;
use super::validate::{ip, options, relay_id_bytes as id_bytes, text_field};
use ipnet::Ipv4Net;
use serde::Deserialize;
use std::net::Ipv4Addr;
use toml::Spanned;

/// Processor architecture names accepted in `arch` (IANA "Processor Architecture Types", the
/// DHCPv4 option 93 / DHCPv6 option 61 registry, with RFC 4578 erratum 4624: x64 UEFI is 7).
pub const ARCH_NAMES: &[(&str, u16)] = &[
    ("bios", 0),
    ("pc98", 1),
    ("itanium", 2),
    ("efi-ia32", 6),
    ("efi-x64", 7),
    ("efi-bc", 9),
    ("efi-arm32", 10),
    ("efi-arm64", 11),
    ("efi-x86-http", 15),
    ("efi-x64-http", 16),
    ("efi-bc-http", 17),
    ("efi-arm32-http", 18),
    ("efi-arm64-http", 19),
    ("bios-http", 20),
    ("efi-riscv32", 25),
    ("efi-riscv32-http", 26),
    ("efi-riscv64", 27),
    ("efi-riscv64-http", 28),
    ("efi-loongarch64", 39),
    ("efi-loongarch64-http", 40),
];

/// The architecture number of `name` (case-insensitive, `_` accepted for `-`).
pub fn arch_by_name(name: &str) -> Option<u16> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    ARCH_NAMES
        .iter()
        .find(|(n, _)| *n == wanted)
        .map(|(_, c)| *c)
}

/// One `[[class]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientClass {
    /// Key `name`: unique, `[A-Za-z0-9_-]+`; pools name classes by it.
    pub name: String,
    /// What a request must carry to be a member (every key given must match).
    pub matcher: ClassMatch,
    /// `file` of members' replies (key `boot_file`), above pool and subnet, below a
    /// reservation.
    pub boot_file: Option<String>,
    /// `siaddr` of members' replies (key `next_server`).
    pub next_server: Option<Ipv4Addr>,
    /// `sname` of members' replies (key `server_name`).
    pub server_name: Option<String>,
    /// Members get no answer at all (key `deny`, default false; drop reason `class_denied`).
    pub deny: bool,
    /// `[class.options]`: sent to members whether or not they asked for them.
    pub options: OptionSet,
}

/// The match keys of a class; every one given must match. At least one is given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassMatch {
    /// Key `user_class`: option 77 equals these bytes (iPXE's bare `"iPXE"`), or is an RFC 3004
    /// list with an entry equal to them.
    pub user_class: Option<Vec<u8>>,
    /// Key `ipxe`: option 175 (iPXE encapsulated options) present (`true`) or absent (`false`).
    pub ipxe: Option<bool>,
    /// Key `vendor_class`: option 60 starts with these bytes.
    pub vendor_class: Option<Vec<u8>>,
    /// Key `arch`: one of these numbers is in the client's option 93 list. Empty: not a key.
    pub arch: Vec<u16>,
    /// Key `hw_address_prefix`: chaddr starts with these bytes.
    pub hw_address_prefix: Option<Vec<u8>>,
    /// Key `circuit_id`: option 82 sub-option 1 equals these bytes.
    pub circuit_id: Option<Vec<u8>>,
    /// Key `remote_id`: option 82 sub-option 2 equals these bytes.
    pub remote_id: Option<Vec<u8>>,
    /// Key `subnet`: the selected subnet lies inside this network.
    pub subnet: Option<Ipv4Net>,
    /// Key `known`: the client has a reservation (`true`, by client id, hardware address or
    /// relay ids, in any subnet) or has none (`false`): ISC dhcpd's known/unknown clients.
    pub known: Option<bool>,
}

impl ClassMatch {
    /// True when no key is given (such a class would match nobody; validation refuses it).
    pub fn is_empty(&self) -> bool {
        *self == ClassMatch::default()
    }
}

/// `[[class]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClass {
    pub name: Spanned<String>,
    pub user_class: Option<Spanned<String>>,
    pub ipxe: Option<bool>,
    pub vendor_class: Option<Spanned<String>>,
    pub arch: Option<Spanned<Vec<Spanned<RawArch>>>>,
    pub hw_address_prefix: Option<Spanned<String>>,
    pub circuit_id: Option<Spanned<String>>,
    pub remote_id: Option<Spanned<String>>,
    pub subnet: Option<Spanned<String>>,
    pub known: Option<bool>,
    pub boot_file: Option<Spanned<String>>,
    pub next_server: Option<Spanned<String>>,
    pub server_name: Option<Spanned<String>>,
    pub deny: Option<bool>,
    #[serde(default)]
    pub options: super::raw::RawOptions,
}

/// An architecture as written: a number or a name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawArch {
    Code(i64),
    Name(String),
}

/// Validates every `[[class]]`, in file order.
pub(crate) fn build(raw: &[RawClass]) -> Result<Vec<ClientClass>, SpanError> {
    let mut out: Vec<ClientClass> = Vec::with_capacity(raw.len());
    for rc in raw {
        let c = class(rc)?;
        if out.iter().any(|o| o.name == c.name) {
            return Err(SpanError::new(
                rc.name.span().start,
                format!("class {:?} is defined twice", c.name),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

fn class(rc: &RawClass) -> Result<ClientClass, SpanError> {
    let name = rc.name.get_ref().trim();
    let name_at = rc.name.span().start;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(SpanError::new(
            name_at,
            format!("class name {name:?} must be letters, digits, '_' or '-'"),
        ));
    }
    let vendor_class = match &rc.vendor_class {
        Some(v) if v.get_ref().is_empty() => {
            return Err(SpanError::new(
                v.span().start,
                "vendor_class must not be empty",
            ))
        }
        Some(v) => Some(v.get_ref().as_bytes().to_vec()),
        None => None,
    };
    let arch = match &rc.arch {
        None => Vec::new(),
        Some(list) if list.get_ref().is_empty() => {
            return Err(SpanError::new(
                list.span().start,
                "arch must list at least one architecture",
            ))
        }
        Some(list) => list
            .get_ref()
            .iter()
            .map(arch_entry)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let hw_address_prefix = rc
        .hw_address_prefix
        .as_ref()
        .map(|p| {
            leasehold_wire::hex::decode(p.get_ref())
                .filter(|b| (1..=6).contains(&b.len()))
                .ok_or_else(|| {
                    SpanError::new(
                        p.span().start,
                        format!(
                            "hw_address_prefix {:?} must be 1 to 6 hex bytes like \"52:54:00\"",
                            p.get_ref()
                        ),
                    )
                })
        })
        .transpose()?;
    let subnet = rc.subnet.as_ref().map(network).transpose()?;
    let matcher = ClassMatch {
        user_class: rc
            .user_class
            .as_ref()
            .map(|u| id_bytes(u, "user_class"))
            .transpose()?,
        ipxe: rc.ipxe,
        vendor_class,
        arch,
        hw_address_prefix,
        circuit_id: rc
            .circuit_id
            .as_ref()
            .map(|c| id_bytes(c, "circuit_id"))
            .transpose()?,
        remote_id: rc
            .remote_id
            .as_ref()
            .map(|r| id_bytes(r, "remote_id"))
            .transpose()?,
        subnet,
        known: rc.known,
    };
    if matcher.is_empty() {
        return Err(SpanError::new(
            name_at,
            format!(
                "class {name:?} has no match key (user_class, ipxe, vendor_class, arch, \
                 hw_address_prefix, circuit_id, remote_id, subnet or known), so it would match nobody"
            ),
        ));
    }
    Ok(ClientClass {
        name: name.to_string(),
        matcher,
        boot_file: text_field(rc.boot_file.as_ref(), "boot_file", 127)?,
        next_server: rc
            .next_server
            .as_ref()
            .map(|s| ip(s, "next_server"))
            .transpose()?,
        server_name: text_field(rc.server_name.as_ref(), "server_name", 63)?,
        deny: rc.deny.unwrap_or(false),
        options: options(&rc.options)?,
    })
}

fn arch_entry(a: &Spanned<RawArch>) -> Result<u16, SpanError> {
    let at = a.span().start;
    match a.get_ref() {
        RawArch::Code(c) => u16::try_from(*c)
            .map_err(|_| SpanError::new(at, format!("arch {c} is not a number in 0..=65535"))),
        RawArch::Name(n) => arch_by_name(n).ok_or_else(|| {
            let known: Vec<&str> = ARCH_NAMES.iter().map(|(n, _)| *n).collect();
            SpanError::new(
                at,
                format!(
                    "unknown architecture {n:?}: use a number or one of {}",
                    known.join(", ")
                ),
            )
        }),
    }
}

fn network(s: &Spanned<String>) -> Result<Ipv4Net, SpanError> {
    let at = s.span().start;
    let text = s.get_ref().trim();
    let net: Ipv4Net = text.parse().map_err(|_| {
        SpanError::new(
            at,
            format!("subnet {text:?} is not an IPv4 network like 198.18.0.0/24"),
        )
    })?;
    if net.trunc() != net {
        return Err(SpanError::new(
            at,
            format!(
                "subnet {net} has host bits set; did you mean {}?",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

/// Resolves a pool's `classes = [...]` to class indices.
pub(crate) fn pool_classes(
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
    classes: &[ClientClass],
) -> Result<Option<Vec<usize>>, SpanError> {
    let Some(list) = raw else { return Ok(None) };
    if list.get_ref().is_empty() {
        return Err(SpanError::new(
            list.span().start,
            "classes must name at least one class (leave it out to admit everyone)",
        ));
    }
    let mut out = Vec::with_capacity(list.get_ref().len());
    for n in list.get_ref() {
        let i = classes
            .iter()
            .position(|c| c.name == n.get_ref().trim())
            .ok_or_else(|| {
                SpanError::new(
                    n.span().start,
                    format!("classes: no [[class]] is named {:?}", n.get_ref()),
                )
            })?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(Some(out))
}
