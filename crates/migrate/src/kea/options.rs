//! Kea `option-data` entries (`name` or `code`, `data`, `csv-format`) and `option-def`
//! definitions, as Leasehold options.
//!
//! Every value is checked with Leasehold's own option encoder, so what is written is what
//! `check-config` accepts: an option whose value does not fit Leasehold's format for its code
//! is a finding, never a broken configuration.

use super::json::Node;
use crate::{OptionPlan, OptionValue, Origin, Report};
use leasehold_wire::registry::{self, OptionDef, OptionFormat};
use std::path::Path;

/// Value layouts of Kea's option definitions (the ones a text value can be written for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeaType {
    /// `ipv4-address`.
    Ip,
    /// `string`.
    Str,
    /// `uint8`.
    U8,
    /// `uint16`.
    U16,
    /// `uint32`.
    U32,
    /// `int32`.
    I32,
    /// `boolean`.
    Bool,
    /// `binary`.
    Bin,
    /// `fqdn`.
    Fqdn,
    /// Option 121's `prefix - router` list.
    Routes,
    /// `record`, `empty`, `tuple`, encapsulated spaces: only hex data (`csv-format: false`).
    Other,
}

impl KeaType {
    /// The type named in an `option-def`.
    fn parse(s: &str) -> KeaType {
        match s {
            "ipv4-address" => KeaType::Ip,
            "string" => KeaType::Str,
            "uint8" => KeaType::U8,
            "uint16" => KeaType::U16,
            "uint32" => KeaType::U32,
            "int32" => KeaType::I32,
            "boolean" => KeaType::Bool,
            "binary" => KeaType::Bin,
            "fqdn" => KeaType::Fqdn,
            _ => KeaType::Other,
        }
    }
}

use KeaType::*;

/// Kea's standard DHCPv4 option names (src/lib/dhcp/std_option_defs.h): name, code, type,
/// array.
const STANDARD: &[(&str, u8, KeaType, bool)] = &[
    ("subnet-mask", 1, Ip, false),
    ("time-offset", 2, I32, false),
    ("routers", 3, Ip, true),
    ("time-servers", 4, Ip, true),
    ("name-servers", 5, Ip, true),
    ("domain-name-servers", 6, Ip, true),
    ("log-servers", 7, Ip, true),
    ("cookie-servers", 8, Ip, true),
    ("lpr-servers", 9, Ip, true),
    ("impress-servers", 10, Ip, true),
    ("resource-location-servers", 11, Ip, true),
    ("host-name", 12, Str, false),
    ("boot-size", 13, U16, false),
    ("merit-dump", 14, Str, false),
    ("domain-name", 15, Str, false),
    ("swap-server", 16, Ip, false),
    ("root-path", 17, Str, false),
    ("extensions-path", 18, Str, false),
    ("ip-forwarding", 19, Bool, false),
    ("non-local-source-routing", 20, Bool, false),
    ("policy-filter", 21, Ip, true),
    ("max-dgram-reassembly", 22, U16, false),
    ("default-ip-ttl", 23, U8, false),
    ("path-mtu-aging-timeout", 24, U32, false),
    ("path-mtu-plateau-table", 25, U16, true),
    ("interface-mtu", 26, U16, false),
    ("all-subnets-local", 27, Bool, false),
    ("broadcast-address", 28, Ip, false),
    ("perform-mask-discovery", 29, Bool, false),
    ("mask-supplier", 30, Bool, false),
    ("router-discovery", 31, Bool, false),
    ("router-solicitation-address", 32, Ip, false),
    ("static-routes", 33, Ip, true),
    ("trailer-encapsulation", 34, Bool, false),
    ("arp-cache-timeout", 35, U32, false),
    ("ieee802-3-encapsulation", 36, Bool, false),
    ("default-tcp-ttl", 37, U8, false),
    ("tcp-keepalive-interval", 38, U32, false),
    ("tcp-keepalive-garbage", 39, Bool, false),
    ("nis-domain", 40, Str, false),
    ("nis-servers", 41, Ip, true),
    ("ntp-servers", 42, Ip, true),
    ("vendor-encapsulated-options", 43, Other, false),
    ("netbios-name-servers", 44, Ip, true),
    ("netbios-dd-server", 45, Ip, true),
    ("netbios-node-type", 46, U8, false),
    ("netbios-scope", 47, Str, false),
    ("font-servers", 48, Ip, true),
    ("x-display-manager", 49, Ip, true),
    ("dhcp-requested-address", 50, Ip, false),
    ("dhcp-lease-time", 51, U32, false),
    ("dhcp-option-overload", 52, U8, false),
    ("dhcp-message-type", 53, U8, false),
    ("dhcp-server-identifier", 54, Ip, false),
    ("dhcp-parameter-request-list", 55, U8, true),
    ("dhcp-message", 56, Str, false),
    ("dhcp-max-message-size", 57, U16, false),
    ("dhcp-renewal-time", 58, U32, false),
    ("dhcp-rebinding-time", 59, U32, false),
    ("vendor-class-identifier", 60, Str, false),
    ("dhcp-client-identifier", 61, Bin, false),
    ("nwip-domain-name", 62, Str, false),
    ("nwip-suboptions", 63, Bin, false),
    ("nisplus-domain-name", 64, Str, false),
    ("nisplus-servers", 65, Ip, true),
    ("tftp-server-name", 66, Str, false),
    ("boot-file-name", 67, Str, false),
    ("mobile-ip-home-agent", 68, Ip, true),
    ("smtp-server", 69, Ip, true),
    ("pop-server", 70, Ip, true),
    ("nntp-server", 71, Ip, true),
    ("www-server", 72, Ip, true),
    ("finger-server", 73, Ip, true),
    ("irc-server", 74, Ip, true),
    ("streettalk-server", 75, Ip, true),
    ("streettalk-directory-assistance-server", 76, Ip, true),
    ("user-class", 77, Bin, false),
    ("slp-directory-agent", 78, Other, false),
    ("slp-service-scope", 79, Other, false),
    ("fqdn", 81, Other, false),
    ("dhcp-agent-options", 82, Other, false),
    ("nds-servers", 85, Ip, true),
    ("nds-tree-name", 86, Str, false),
    ("nds-context", 87, Str, false),
    ("bcms-controller-names", 88, Fqdn, true),
    ("bcms-controller-address", 89, Ip, true),
    ("authenticate", 90, Bin, false),
    ("client-last-transaction-time", 91, U32, false),
    ("associated-ip", 92, Ip, true),
    ("client-system", 93, U16, true),
    ("client-ndi", 94, Other, false),
    ("uuid-guid", 97, Other, false),
    ("uap-servers", 98, Str, false),
    ("geoconf-civic", 99, Bin, false),
    ("pcode", 100, Str, false),
    ("tcode", 101, Str, false),
    ("v6-only-preferred", 108, U32, false),
    ("netinfo-server-address", 112, Ip, true),
    ("netinfo-server-tag", 113, Str, false),
    ("v4-captive-portal", 114, Str, false),
    ("auto-config", 116, U8, false),
    ("name-service-search", 117, U16, true),
    ("subnet-selection", 118, Ip, false),
    ("domain-search", 119, Fqdn, true),
    ("classless-static-route", 121, Routes, false),
    ("cablelabs-client-conf", 122, Other, false),
    ("vivco-suboptions", 124, Other, false),
    ("vivso-suboptions", 125, Other, false),
    ("pana-agent", 136, Ip, true),
    ("v4-lost", 137, Fqdn, false),
    ("capwap-ac-v4", 138, Ip, true),
    ("sip-ua-cs-domains", 141, Fqdn, true),
    ("v4-sztp-redirect", 143, Other, true),
    ("rdnss-selection", 146, Other, true),
    ("status-code", 151, Other, false),
    ("base-time", 152, U32, false),
    ("start-time-of-state", 153, U32, false),
    ("query-start-time", 154, U32, false),
    ("query-end-time", 155, U32, false),
    ("dhcp-state", 156, U8, false),
];

/// Options Leasehold sets itself (the configuration parser refuses them), and what to use.
const MANAGED: &[(u8, &str)] = &[
    (50, "clients send it"),
    (51, "Leasehold sends lease_time (from valid-lifetime)"),
    (52, "Leasehold decides overload itself"),
    (53, "Leasehold sets the message type"),
    (54, "Leasehold sets it (server_id)"),
    (55, "clients send it"),
    (57, "clients send it"),
    (58, "Leasehold sends renewal_time (from renew-timer)"),
    (59, "Leasehold sends rebinding_time (from rebind-timer)"),
    (61, "Leasehold echoes the client's own"),
    (82, "Leasehold echoes the relay agent's own"),
];

/// One option definition: standard or from `option-def`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Def {
    name: String,
    code: u8,
    ty: KeaType,
    array: bool,
    /// The option space (`dhcp4`, or a vendor space such as
    /// `vendor-encapsulated-options-space`).
    space: String,
}

/// The option definitions in force: Kea's standard ones plus the configuration's `option-def`.
#[derive(Clone, Debug, Default)]
pub struct OptionDefs {
    custom: Vec<Def>,
    /// Names of the options marked `always-send` (Leasehold's `[server] always_send`).
    pub always_send: Vec<String>,
}

impl OptionDefs {
    /// Reads `option-def` (a list); definitions in other spaces, or of types no text value can
    /// be written for, are findings.
    pub fn read(&mut self, list: Node<'_>, report: &mut Report) {
        for item in list.items() {
            let (file, line) = item.at();
            let get = |k: &str| item.v.get(k);
            let name = get("name").and_then(|v| v.as_str());
            let code = get("code")
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u8::try_from(c).ok());
            let space = get("space").and_then(|v| v.as_str()).unwrap_or("dhcp4");
            let ty = get("type").and_then(|v| v.as_str()).map(KeaType::parse);
            let array = get("array")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let encapsulated = get("encapsulate")
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.is_empty());
            match (name, code, ty) {
                (Some(name), Some(code), Some(ty)) => {
                    let ty = if encapsulated { KeaType::Other } else { ty };
                    self.custom.push(Def {
                        name: name.to_string(),
                        code,
                        ty,
                        array,
                        space: space.to_string(),
                    });
                }
                _ => report.not_carried(
                    file,
                    line,
                    format!(
                        "`option-def` {} not carried over: a definition needs a name, a code \
                         (0-255) and a type",
                        name.unwrap_or("?")
                    ),
                ),
            }
        }
    }

    fn by_name(&self, space: &str, name: &str) -> Option<Def> {
        self.custom
            .iter()
            .find(|d| d.space == space && d.name == name)
            .cloned()
            .or_else(|| {
                STANDARD
                    .iter()
                    .filter(|_| space == "dhcp4")
                    .find(|(n, ..)| *n == name)
                    .map(|&(n, code, ty, array)| standard(n, code, ty, array))
            })
    }

    fn by_code(&self, space: &str, code: u8) -> Def {
        self.custom
            .iter()
            .find(|d| d.space == space && d.code == code)
            .cloned()
            .or_else(|| {
                STANDARD
                    .iter()
                    .filter(|_| space == "dhcp4")
                    .find(|(_, c, ..)| *c == code)
                    .map(|&(n, code, ty, array)| standard(n, code, ty, array))
            })
            .unwrap_or(Def {
                name: code.to_string(),
                code,
                ty: KeaType::Bin,
                array: false,
                space: space.to_string(),
            })
    }

    /// Reads one `option-data` list into Leasehold options, reporting every entry (or key) not
    /// carried over. A later entry for the same option replaces an earlier one.
    ///
    /// Options of another space (vendor sub-options) are carried inside option 43 when the list
    /// also has an option 43 without data, as Kea encapsulates them.
    pub fn read_list(&mut self, list: Node<'_>, report: &mut Report) -> Vec<OptionPlan> {
        let mut out: Vec<OptionPlan> = Vec::new();
        let mut subs: Vec<Sub> = Vec::new();
        let mut carrier: Option<Origin> = None;
        for item in list.items() {
            match self.read_one(item, report) {
                Read::Option(o) => merge(&mut out, vec![o]),
                Read::Sub(sub) => subs.push(sub),
                Read::Carrier(at) => carrier = Some(at),
                Read::Lost => {}
            }
        }
        let spaces: Vec<&str> = subs.iter().map(|s| s.space.as_str()).collect();
        // `vendor-<enterprise number>` spaces belong to options 124/125 (RFC 3925), not 43.
        let vivso = |sp: &str| {
            sp.strip_prefix("vendor-")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let one_space = spaces.windows(2).all(|w| w[0] == w[1]) && !spaces.iter().any(|s| vivso(s));
        match carrier {
            Some(at) if !subs.is_empty() && one_space => {
                let mut bytes = Vec::new();
                for sub in &subs {
                    bytes.push(sub.code);
                    bytes.push(u8::try_from(sub.data.len()).unwrap_or(u8::MAX));
                    bytes.extend_from_slice(&sub.data);
                }
                if bytes.len() <= 255 {
                    merge(
                        &mut out,
                        vec![OptionPlan {
                            name: "vendor-encapsulated-options".into(),
                            value: OptionValue::Text(leasehold_wire::hex::encode(
                                &bytes,
                                Some(':'),
                            )),
                            origin: at,
                        }],
                    );
                    return out;
                }
                report.not_carried(
                    &at.file,
                    at.line,
                    "option 43 not carried over: its sub-options exceed 255 bytes",
                );
            }
            Some(at) => report.not_carried(
                &at.file,
                at.line,
                "option 43 (vendor-encapsulated-options) without data not carried over: no \
                 sub-options of one space (other than a vendor-N space of option 125) beside it",
            ),
            None => {}
        }
        for sub in subs {
            report.not_carried(
                &sub.origin.file,
                sub.origin.line,
                format!(
                    "option {} in space {:?} not carried over: Leasehold sends vendor sub-options \
                     inside option 43, and this list has no option 43 (without data) for them",
                    sub.code, sub.space
                ),
            );
        }
        out
    }

    fn read_one(&mut self, item: Node<'_>, report: &mut Report) -> Read {
        let (file, line) = item.at();
        let mut name = None;
        let mut code = None;
        let mut data = None;
        let mut csv = true;
        let mut space = "dhcp4";
        let mut always = false;
        for (k, v) in item.entries() {
            let (kf, kl) = v.at();
            match k {
                "name" => name = v.str(),
                "code" => code = v.v.as_u64(),
                "data" => data = v.str(),
                "csv-format" => csv = v.v.as_bool().unwrap_or(true),
                "space" => space = v.str().unwrap_or("dhcp4"),
                "comment" | "user-context" => {}
                "always-send" => always = v.v.as_bool() == Some(true),
                "never-send" if v.v.as_bool() != Some(true) => {}
                other => report.not_carried(
                    kf,
                    kl,
                    format!(
                        "`{other}` of an option not carried over: Leasehold has no such setting"
                    ),
                ),
            }
        }
        let label = name
            .map(str::to_string)
            .or(code.map(|c| c.to_string()))
            .unwrap_or_else(|| "?".into());
        if space != "dhcp4" {
            return self.sub_option(space, name, code, data, csv, &label, file, line, report);
        }
        let def = match (name, code) {
            (_, Some(c)) => match u8::try_from(c).ok().filter(|c| (1..=254).contains(c)) {
                Some(c) => self.by_code("dhcp4", c),
                None => {
                    report.not_carried(file, line, format!("option code {c} is not in 1..=254"));
                    return Read::Lost;
                }
            },
            (Some(n), None) => match self.by_name("dhcp4", n) {
                Some(d) => d,
                None => {
                    report.not_carried(
                        file,
                        line,
                        format!("option {n:?} not carried over: no such Kea option (and no option-def for it)"),
                    );
                    return Read::Lost;
                }
            },
            (None, None) => {
                report.not_carried(file, line, "option without name or code not carried over");
                return Read::Lost;
            }
        };
        if let Some((_, why)) = MANAGED.iter().find(|(c, _)| *c == def.code) {
            report.not_carried(
                file,
                line,
                format!("option {} ({}) not carried over: {why}", def.code, def.name),
            );
            return Read::Lost;
        }
        let Some(data) = data.filter(|d| !d.trim().is_empty()) else {
            if def.code == 43 {
                // Kea fills it with the sub-options of its space (see read_list).
                return Read::Carrier(Origin::new(file, line));
            }
            report.not_carried(
                file,
                line,
                format!(
                    "option {} ({}) without data not carried over: Leasehold sends only options with a value",
                    def.code, def.name
                ),
            );
            return Read::Lost;
        };
        match value(&def, data, csv) {
            Ok((lname, value)) => {
                // Kea's always-send marks one option entry; Leasehold's always_send names the
                // option server-wide.
                if always && !self.always_send.contains(&lname) {
                    self.always_send.push(lname.clone());
                }
                Read::Option(OptionPlan {
                    name: lname,
                    value,
                    origin: Origin::new(file, line),
                })
            }
            Err(why) => {
                report.not_carried(
                    file,
                    line,
                    format!("option {} ({}) not carried over: {why}", def.code, def.name),
                );
                Read::Lost
            }
        }
    }
    /// An option of another space (a vendor sub-option): its code and bytes, for option 43.
    #[allow(clippy::too_many_arguments)]
    fn sub_option(
        &self,
        space: &str,
        name: Option<&str>,
        code: Option<u64>,
        data: Option<&str>,
        csv: bool,
        label: &str,
        file: &Path,
        line: u32,
        report: &mut Report,
    ) -> Read {
        let def = match (name, code.and_then(|c| u8::try_from(c).ok())) {
            (_, Some(c)) => Some(self.by_code(space, c)),
            (Some(n), None) => self.by_name(space, n),
            (None, None) => None,
        };
        let bytes = match (def, data) {
            (Some(def), Some(data)) => kea_bytes(&def, data, csv).map(|b| (def.code, b)),
            (Some(_), None) => Err("it has no data".to_string()),
            (None, _) => Err(format!("no option-def in space {space:?} defines it")),
        };
        match bytes {
            Ok((code, data)) if data.len() <= 255 => Read::Sub(Sub {
                space: space.to_string(),
                code,
                data,
                origin: Origin::new(file, line),
            }),
            Ok(_) => {
                report.not_carried(
                    file,
                    line,
                    format!(
                        "option {label} in space {space:?} not carried over: longer than 255 bytes"
                    ),
                );
                Read::Lost
            }
            Err(why) => {
                report.not_carried(
                    file,
                    line,
                    format!("option {label} in space {space:?} not carried over: {why}"),
                );
                Read::Lost
            }
        }
    }
}

/// What one `option-data` entry became.
enum Read {
    /// A Leasehold option.
    Option(OptionPlan),
    /// A sub-option of another space, to go inside option 43.
    Sub(Sub),
    /// Option 43 without data: Kea fills it with the sub-options beside it.
    Carrier(Origin),
    /// Not carried over (already reported).
    Lost,
}

/// A vendor sub-option.
struct Sub {
    space: String,
    code: u8,
    data: Vec<u8>,
    origin: Origin,
}

/// Kea's standard definition as a [`Def`].
fn standard(name: &str, code: u8, ty: KeaType, array: bool) -> Def {
    Def {
        name: name.to_string(),
        code,
        ty,
        array,
        space: "dhcp4".into(),
    }
}

/// Adds `new` to `into`, replacing options of the same name (an inner scope overrides an outer
/// one, a later entry an earlier one).
pub fn merge(into: &mut Vec<OptionPlan>, new: Vec<OptionPlan>) {
    for o in new {
        if let Some(old) = into.iter_mut().find(|x| x.name == o.name) {
            *old = o;
        } else {
            into.push(o);
        }
    }
}

/// The option as Leasehold writes it: its name (or code) and its value.
fn value(def: &Def, data: &str, csv: bool) -> Result<(String, OptionValue), String> {
    let leasehold = registry::by_code(def.code).copied();
    let is_hex = !csv || def.ty == KeaType::Bin && !looks_like_routes(data);
    // Kea type 121 data written as hex (before Kea knew its format).
    let is_hex = is_hex || def.ty == KeaType::Routes && !looks_like_routes(data);
    match leasehold {
        Some(ld) if ld.format != OptionFormat::Bytes => {
            let items = if is_hex {
                let bytes = hex(data)?;
                items_of_bytes(&ld, &bytes)?
            } else {
                csv_items(def, data)?
            };
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            registry::encode_text(&ld, &refs)
                .map_err(|e| format!("the value {data:?} does not fit: {e}"))?;
            Ok((ld.name.to_string(), to_value(ld.format, items)))
        }
        _ => {
            let bytes = kea_bytes(def, data, csv)?;
            if bytes.is_empty() || bytes.len() > 255 {
                return Err("its value must be 1–255 bytes".into());
            }
            let name = leasehold
                .map(|d| d.name.to_string())
                .unwrap_or_else(|| def.code.to_string());
            Ok((
                name,
                OptionValue::Text(leasehold_wire::hex::encode(&bytes, Some(':'))),
            ))
        }
    }
}

/// The option's bytes as Kea encodes `data` for its definition: hex (`csv-format: false`,
/// binary types, `'quoted text'` for binary) or comma-separated values of its type.
fn kea_bytes(def: &Def, data: &str, csv: bool) -> Result<Vec<u8>, String> {
    let is_hex =
        !csv || def.ty == KeaType::Bin || def.ty == KeaType::Routes && !looks_like_routes(data);
    if is_hex {
        return match data
            .trim()
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
        {
            Some(text) if def.ty == KeaType::Bin => Ok(text.as_bytes().to_vec()),
            _ => hex(data),
        };
    }
    let format = kea_format(def)?;
    let items = csv_items(def, data)?;
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    let tmp = OptionDef {
        code: def.code,
        name: "kea",
        format,
    };
    registry::encode_text(&tmp, &refs).map_err(|e| format!("the value {data:?} does not fit: {e}"))
}

fn looks_like_routes(data: &str) -> bool {
    data.contains('/')
}

/// Leasehold's encoder format for a Kea type (for options Leasehold writes as hex).
fn kea_format(def: &Def) -> Result<OptionFormat, String> {
    Ok(match (def.ty, def.array) {
        (Ip, false) => OptionFormat::Ip,
        (Ip, true) => OptionFormat::IpList,
        (Str, _) => OptionFormat::Text,
        (U8, false) => OptionFormat::U8,
        (U16, false) => OptionFormat::U16,
        (U16, true) => OptionFormat::U16List,
        (U32, false) => OptionFormat::U32,
        (I32, false) => OptionFormat::I32,
        (Bool, false) => OptionFormat::Bool,
        (Bin, _) => OptionFormat::Bytes,
        (Fqdn, _) => OptionFormat::DomainList,
        (Routes, _) => OptionFormat::ClasslessRoutes,
        _ => {
            return Err(
                "its Kea type has no text form in Leasehold; write it with csv-format false \
                 (hex bytes)"
                    .into(),
            )
        }
    })
}

/// The value as a list for list formats, a number, a boolean or text otherwise.
fn to_value(format: OptionFormat, items: Vec<String>) -> OptionValue {
    let list = matches!(
        format,
        OptionFormat::IpList
            | OptionFormat::IpPairs
            | OptionFormat::U16List
            | OptionFormat::DomainList
            | OptionFormat::ClasslessRoutes
    );
    if list {
        return OptionValue::List(items.into_iter().map(OptionValue::Text).collect());
    }
    let one = items.into_iter().next().unwrap_or_default();
    match format {
        OptionFormat::U8 | OptionFormat::U16 | OptionFormat::U32 | OptionFormat::I32 => one
            .trim()
            .parse::<i64>()
            .map(OptionValue::Number)
            .unwrap_or(OptionValue::Text(one)),
        OptionFormat::Bool => match one.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => OptionValue::Bool(true),
            "false" | "0" => OptionValue::Bool(false),
            _ => OptionValue::Text(one),
        },
        _ => OptionValue::Text(one),
    }
}

/// Kea's comma-separated value fields (`\,` is a literal comma); a single string keeps its
/// commas. Option 121's `prefix - router` items become Leasehold's `prefix router`; numbers in
/// hex (`0x..`) become decimal.
fn csv_items(def: &Def, data: &str) -> Result<Vec<String>, String> {
    if def.ty == KeaType::Str && !def.array {
        return Ok(vec![data.replace("\\,", ",")]);
    }
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = data.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    items.push(cur);
    let mut out = Vec::new();
    for it in items {
        let it = it.trim();
        if it.is_empty() {
            continue;
        }
        let it = match def.ty {
            KeaType::Routes => it
                .split_once(" - ")
                .map(|(p, r)| format!("{} {}", p.trim(), r.trim()))
                .ok_or_else(|| format!("route {it:?} is not `prefix - router`"))?,
            KeaType::U8 | KeaType::U16 | KeaType::U32 => {
                match it.strip_prefix("0x").or_else(|| it.strip_prefix("0X")) {
                    Some(h) => u64::from_str_radix(h, 16)
                        .map_err(|_| format!("{it:?} is not a number"))?
                        .to_string(),
                    None => it.to_string(),
                }
            }
            _ => it.to_string(),
        };
        out.push(it);
    }
    if out.is_empty() {
        return Err("its data is empty".into());
    }
    Ok(out)
}

/// Values of a known Leasehold format from the option's bytes (hex data).
fn items_of_bytes(ld: &OptionDef, bytes: &[u8]) -> Result<Vec<String>, String> {
    let items: Vec<String> = if ld.format == OptionFormat::Text {
        let s = std::str::from_utf8(bytes)
            .map_err(|_| "its hex data is not text".to_string())?
            .trim_end_matches('\0');
        vec![s.to_string()]
    } else {
        registry::decode_text(ld.code, bytes)
            .split(", ")
            .map(str::to_string)
            .collect()
    };
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    match registry::encode_text(ld, &refs) {
        Ok(b) if b == bytes => Ok(items),
        _ => Err(format!(
            "its hex data does not fit Leasehold's format for option {}",
            ld.code
        )),
    }
}

/// Kea's hex data: `0x` prefix, `:` or space separators allowed, an odd digit count gets a
/// leading zero.
pub fn hex(data: &str) -> Result<Vec<u8>, String> {
    let t = data.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{data:?} is not hex bytes"));
    }
    let digits = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// The lines of `report`'s findings in `file` (tests).
#[cfg(test)]
fn lines_of(report: &Report, file: &std::path::Path) -> Vec<u32> {
    report
        .findings
        .iter()
        .filter(|f| f.file == file)
        .map(|f| f.line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{json::Doc, jsonc::Joined};
    use super::*;
    use std::path::{Path, PathBuf};

    fn read(text: &str) -> (Vec<OptionPlan>, Report) {
        let joined = Joined {
            text: text.into(),
            origin: (1..=text.lines().count() as u32)
                .map(|i| (PathBuf::from("k.json"), i))
                .collect(),
        };
        let doc = Doc::parse(joined).expect("json");
        let mut report = Report::default();
        let opts = OptionDefs::default().read_list(doc.root(), &mut report);
        (opts, report)
    }

    #[test]
    fn vendor_sub_options_go_inside_option_43() {
        let text = r#"{"def": [
{"name": "PXEDiscoveryControl", "code": 6, "space": "vendor-encapsulated-options-space", "type": "uint8"},
{"name": "dls", "code": 3, "space": "339", "type": "string"}],
"data": [
{"name": "vendor-encapsulated-options"},
{"name": "PXEDiscoveryControl", "space": "vendor-encapsulated-options-space", "data": "8"}],
"alone": [
{"name": "dls", "space": "339", "data": "x"}]
}"#;
        let joined = Joined {
            text: text.into(),
            origin: (1..=text.lines().count() as u32)
                .map(|i| (PathBuf::from("k.json"), i))
                .collect(),
        };
        let doc = Doc::parse(joined).expect("json");
        let root = doc.root();
        let get = |k: &str| {
            root.entries()
                .into_iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v)
        };
        let mut report = Report::default();
        let mut defs = OptionDefs::default();
        defs.read(get("def").expect("def"), &mut report);
        let o = defs.read_list(get("data").expect("data"), &mut report);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].name, "vendor-encapsulated-options");
        assert_eq!(o[0].value, OptionValue::Text("06:01:08".into()));
        assert_eq!(o[0].origin.line, 5);
        assert!(report.findings.is_empty(), "{report:?}");
        // Sub-options without an option 43 beside them are reported.
        assert!(defs
            .read_list(get("alone").expect("alone"), &mut report)
            .is_empty());
        assert_eq!(lines_of(&report, Path::new("k.json")), vec![8]);
    }

    #[test]
    fn names_codes_csv_and_hex() {
        let (o, r) = read(
            r#"[
{"name": "routers", "data": "198.18.0.1"},
{"name": "domain-name-servers", "data": "198.18.0.53, 198.18.0.54"},
{"code": 15, "data": "example.org"},
{"name": "interface-mtu", "data": "1500"},
{"name": "ip-forwarding", "data": "false"},
{"name": "domain-name", "data": "6C6162", "csv-format": false},
{"name": "classless-static-route", "data": "198.18.5.0/24 - 198.18.0.1"},
{"code": 224, "data": "01:02"},
{"name": "nds-servers", "data": "198.18.0.9"},
{"name": "dhcp-lease-time", "data": "60"},
{"name": "no-such", "data": "1"},
{"name": "routers", "data": "198.18.0.254"}
]"#,
        );
        assert_eq!(lines_of(&r, Path::new("k.json")), vec![11, 12], "{r:?}");
        let get = |n: &str| o.iter().find(|p| p.name == n).map(|p| p.value.clone());
        let t = |s: &str| OptionValue::Text(s.into());
        assert_eq!(
            get("router"),
            Some(OptionValue::List(vec![t("198.18.0.254")]))
        );
        assert_eq!(
            get("domain-name-servers"),
            Some(OptionValue::List(vec![t("198.18.0.53"), t("198.18.0.54")]))
        );
        assert_eq!(get("domain-name"), Some(t("lab")));
        assert_eq!(get("interface-mtu"), Some(OptionValue::Number(1500)));
        assert_eq!(get("ip-forwarding"), Some(OptionValue::Bool(false)));
        assert_eq!(
            get("classless-static-route"),
            Some(OptionValue::List(vec![t("198.18.5.0/24 198.18.0.1")]))
        );
        assert_eq!(get("224"), Some(t("01:02")));
        assert_eq!(get("85"), Some(t("c6:12:00:09")));
        assert_eq!(o.len(), 8);
    }
}
