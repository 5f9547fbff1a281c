//! Raw file → validated [`Config`], with every semantic error located by span.

use super::error::SpanError;
use super::model::{
    CircuitOptions, Config, ConfigIndex, LeasePolicy, OptionSet, Pool, RelayId, Reservation,
    ReservationKey, ServerConfig, Subnet,
};
use super::raw::{
    RawCircuit, RawConfig, RawDuration, RawLeaseTimes, RawOptionKey, RawOptionValue, RawOptions,
    RawPool, RawReservation, RawServer, RawSubnet,
};
use crate::lease::ClientKey;
use ipnet::Ipv4Net;
use leasehold_wire::registry::{self, OptionDef, OptionFormat};
use leasehold_wire::HwAddr;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use toml::Spanned;

type Result<T> = std::result::Result<T, SpanError>;

/// Options the server computes itself; configuring them is an error.
const MANAGED: &[(u8, &str)] = &[
    (50, "it is sent by clients"),
    (51, "use lease_time"),
    (52, "the server decides overload"),
    (53, "the server sets the message type"),
    (54, "use server_id"),
    (55, "it is sent by clients"),
    (57, "it is sent by clients"),
    (58, "use renewal_time"),
    (59, "use rebinding_time"),
    (61, "the server echoes the client's own"),
    (82, "the server echoes the relay's own"),
];

/// Default `[server] pxe_port`: the PXE boot server port (PXE 2.1 specification).
pub(crate) const DEFAULT_PXE_PORT: u16 = 4011;

/// Validates `raw` into a [`Config`].
pub(crate) fn build(raw: RawConfig) -> Result<Config> {
    let server = server(&raw.server)?;
    let classes = super::class::build(&raw.class)?;
    let mut subnets = Vec::with_capacity(raw.subnet.len());
    let mut pool_id = 0usize;
    for (i, rs) in raw.subnet.iter().enumerate() {
        let s = subnet(rs, i, &server.lease, &classes, &mut pool_id)?;
        subnets.push(s);
    }
    let index = index(&raw.subnet, &subnets)?;
    let control = raw
        .control
        .as_ref()
        .map(super::observe::control)
        .transpose()?;
    let alerts = raw
        .alerts
        .as_ref()
        .map(super::observe::alerts)
        .transpose()?
        .unwrap_or_default();
    let security = raw
        .security
        .as_ref()
        .map(super::security::build)
        .transpose()?
        .unwrap_or_default();
    let store = raw
        .store
        .as_ref()
        .map(super::store::build)
        .transpose()?
        .unwrap_or_default();
    let tftp = raw
        .tftp
        .as_ref()
        .map(|t| super::boot::tftp(t.get_ref(), t.span().start))
        .transpose()?;
    let http_boot = raw
        .http_boot
        .as_ref()
        .map(|h| super::boot::http_boot(h.get_ref(), h.span().start, tftp.as_ref()))
        .transpose()?;
    let ddns = raw
        .ddns
        .as_ref()
        .map(|d| super::ddns::build(d.get_ref()))
        .transpose()?;
    let config = Config {
        server,
        subnets,
        classes,
        control,
        alerts,
        security,
        store,
        tftp,
        http_boot,
        ddns,
        index,
    };
    super::ddns::check(&config, raw.ddns.as_ref().map(|d| d.span().start), |i| {
        raw.subnet
            .get(i)
            .and_then(|s| s.ddns.as_ref())
            .map(|d| d.span().start)
    })?;
    Ok(config)
}

pub(super) fn ip(s: &Spanned<String>, what: &str) -> Result<Ipv4Addr> {
    s.get_ref().trim().parse().map_err(|_| {
        SpanError::new(
            s.span().start,
            format!("{what} {:?} is not an IPv4 address", s.get_ref()),
        )
    })
}

fn server(rs: &RawServer) -> Result<ServerConfig> {
    let server_id = rs
        .server_id
        .as_ref()
        .map(|s| ip(s, "server_id"))
        .transpose()?;
    let lease = policy(rs.times(), None)?;
    let bootp_lease_time = match &rs.bootp_lease_time {
        None => None,
        Some(d) => match d.get_ref() {
            RawDuration::Seconds(0) => {
                return Err(SpanError::new(
                    d.span().start,
                    "bootp_lease_time must be positive",
                ))
            }
            RawDuration::Seconds(s) => Some(*s),
            RawDuration::Word(w) if w.eq_ignore_ascii_case("infinite") => None,
            RawDuration::Word(w) => {
                return Err(SpanError::new(
                    d.span().start,
                    format!("bootp_lease_time {w:?} must be seconds or \"infinite\""),
                ))
            }
        },
    };
    if let Some(h) = &rs.offer_hold {
        if *h.get_ref() == 0 {
            return Err(SpanError::new(
                h.span().start,
                "offer_hold must be positive",
            ));
        }
    }
    at_most(
        rs.commit_delay_us.as_ref(),
        super::model::MAX_COMMIT_DELAY_US,
        "commit_delay_us",
        "100 ms",
    )?;
    at_most(
        rs.coalesce_us.as_ref(),
        super::model::MAX_COALESCE_US,
        "coalesce_us",
        "10 ms",
    )?;
    let mut always_send = Vec::new();
    for k in &rs.always_send {
        let def = option_key(k.get_ref(), k.span().start)?;
        always_send.push(def.code);
    }
    Ok(ServerConfig {
        interfaces: rs.interfaces.clone(),
        listen_address: rs
            .listen_address
            .as_ref()
            .map(|s| ip(s, "listen_address"))
            .transpose()?,
        server_port: rs.server_port.unwrap_or(leasehold_wire::SERVER_PORT),
        client_port: rs.client_port.unwrap_or(leasehold_wire::CLIENT_PORT),
        pxe_port: match &rs.pxe_port {
            None => DEFAULT_PXE_PORT,
            Some(p)
                if *p.get_ref() == 0
                    || Some(*p.get_ref())
                        == Some(rs.server_port.unwrap_or(leasehold_wire::SERVER_PORT)) =>
            {
                return Err(SpanError::new(
                    p.span().start,
                    "pxe_port must be a port other than 0 and the server_port",
                ))
            }
            Some(p) => *p.get_ref(),
        },
        server_id,
        lease,
        offer_hold: rs.offer_hold.as_ref().map(|h| *h.get_ref()).unwrap_or(30),
        probation_time: rs.probation_time.unwrap_or(3600),
        authoritative: rs.authoritative.unwrap_or(true),
        bootp_lease_time,
        dynamic_bootp: rs.dynamic_bootp.unwrap_or(false),
        always_send,
        allowed_relays: rs
            .allowed_relays
            .as_ref()
            .map(|l| l.iter().map(relay_net).collect::<Result<Vec<_>>>())
            .transpose()?,
        trust_option82_without_giaddr: rs.trust_option82_without_giaddr.unwrap_or(false),
        user: rs.user.clone(),
        commit_delay_us: rs
            .commit_delay_us
            .as_ref()
            .map(|d| *d.get_ref())
            .unwrap_or(super::model::DEFAULT_COMMIT_DELAY_US),
        coalesce_us: rs
            .coalesce_us
            .as_ref()
            .map(|d| *d.get_ref())
            .unwrap_or(super::model::DEFAULT_COALESCE_US),
        history_retention: rs
            .history_retention
            .unwrap_or(super::model::DEFAULT_HISTORY_RETENTION),
        options: options(&rs.options)?,
    })
}

/// One `allowed_relays` entry: an address (a /32) or a prefix without host bits.
/// Refuses `value`, when set, above `max`, naming `key` and `max` in human units (`human`).
fn at_most(value: Option<&Spanned<u32>>, max: u32, key: &str, human: &str) -> Result<()> {
    match value {
        Some(v) if *v.get_ref() > max => Err(SpanError::new(
            v.span().start,
            format!("{key} must be at most {max} ({human})"),
        )),
        _ => Ok(()),
    }
}

fn relay_net(s: &Spanned<String>) -> Result<Ipv4Net> {
    let text = s.get_ref().trim();
    let at = s.span().start;
    let net = match text.parse::<Ipv4Addr>() {
        Ok(a) => Ipv4Net::from(a),
        Err(_) => text.parse::<Ipv4Net>().map_err(|_| {
            SpanError::new(
                at,
                format!(
                    "allowed_relays: {text:?} is not an IPv4 address or prefix like 198.18.2.0/24"
                ),
            )
        })?,
    };
    if net.trunc() != net {
        return Err(SpanError::new(
            at,
            format!(
                "allowed_relays: {net} has host bits set; did you mean {}?",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

/// `circuit_id` / `remote_id` keys; `None` when neither is given.
fn relay_id(
    circuit_id: Option<&Spanned<String>>,
    remote_id: Option<&Spanned<String>>,
) -> Result<Option<RelayId>> {
    if circuit_id.is_none() && remote_id.is_none() {
        return Ok(None);
    }
    Ok(Some(RelayId {
        circuit_id: circuit_id
            .map(|x| relay_id_bytes(x, "circuit_id"))
            .transpose()?,
        remote_id: remote_id
            .map(|x| relay_id_bytes(x, "remote_id"))
            .transpose()?,
    }))
}

/// `[[subnet.circuit]]` tables.
fn circuits(raw: &[RawCircuit]) -> Result<Vec<CircuitOptions>> {
    let mut out: Vec<CircuitOptions> = Vec::with_capacity(raw.len());
    for rc in raw {
        let at = rc
            .circuit_id
            .as_ref()
            .or(rc.remote_id.as_ref())
            .map(|x| x.span().start)
            .unwrap_or(0);
        let id = relay_id(rc.circuit_id.as_ref(), rc.remote_id.as_ref())?.ok_or_else(|| {
            SpanError::new(at, "a [[subnet.circuit]] needs circuit_id or remote_id")
        })?;
        if out.iter().any(|c| c.id == id) {
            return Err(SpanError::new(
                at,
                format!("{id} is given twice in this subnet"),
            ));
        }
        out.push(CircuitOptions {
            id,
            options: options(&rc.options)?,
        });
    }
    Ok(out)
}

/// An option 82 identifier: `0x` followed by hex digits is bytes, anything else its UTF-8 text.
pub(super) fn relay_id_bytes(s: &Spanned<String>, what: &str) -> Result<Vec<u8>> {
    let text = s.get_ref();
    let bytes = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => hex_bytes(hex).ok_or_else(|| {
            SpanError::new(
                s.span().start,
                format!("{what} {text:?}: after 0x give an even number of hex digits"),
            )
        })?,
        None => text.as_bytes().to_vec(),
    };
    if bytes.is_empty() || bytes.len() > 255 {
        return Err(SpanError::new(
            s.span().start,
            format!("{what} must be 1–255 bytes"),
        ));
    }
    Ok(bytes)
}

/// Resolves lease times: keys of `t` over `parent` (server defaults when `None`).
fn policy(t: RawLeaseTimes<'_>, parent: Option<&LeasePolicy>) -> Result<LeasePolicy> {
    let get = |v: Option<&Spanned<u32>>| v.map(|s| *s.get_ref());
    let lease_time = get(t.lease_time)
        .or(parent.map(|p| p.lease_time))
        .unwrap_or(3600);
    let min = get(t.min_lease_time)
        .or(parent.map(|p| p.min_lease_time))
        .unwrap_or(0);
    let max = get(t.max_lease_time)
        .or(parent.map(|p| p.max_lease_time))
        .unwrap_or(u32::MAX);
    // Absolute T1/T2 are inherited only with the lease time they were checked against.
    let inherit = if t.lease_time.is_some() { None } else { parent };
    let t1 = get(t.renewal_time).or(inherit.and_then(|p| p.renewal_time));
    let t2 = get(t.rebinding_time).or(inherit.and_then(|p| p.rebinding_time));
    // Where to point at: the first key of this table that takes part, else the table start.
    let at = |v: Option<&Spanned<u32>>| {
        v.or(t.lease_time)
            .or(t.renewal_time)
            .or(t.rebinding_time)
            .or(t.min_lease_time)
            .or(t.max_lease_time)
            .map(|s| s.span().start)
            .unwrap_or(0)
    };
    if lease_time == 0 {
        return Err(SpanError::new(
            at(t.lease_time),
            "lease_time must be positive",
        ));
    }
    if min > max {
        return Err(SpanError::new(
            at(t.min_lease_time),
            format!("min_lease_time {min} is greater than max_lease_time {max}"),
        ));
    }
    if lease_time < min || lease_time > max {
        return Err(SpanError::new(
            at(t.lease_time),
            format!(
                "lease_time {lease_time} is outside [min_lease_time {min}, max_lease_time {max}]"
            ),
        ));
    }
    if let Some(t1) = t1 {
        if t1 >= lease_time {
            return Err(SpanError::new(
                at(t.renewal_time),
                format!("renewal_time (T1) {t1} must be less than lease_time {lease_time}"),
            ));
        }
    }
    if let Some(t2) = t2 {
        if t2 >= lease_time {
            return Err(SpanError::new(
                at(t.rebinding_time),
                format!("rebinding_time (T2) {t2} must be less than lease_time {lease_time}"),
            ));
        }
        let t1v = t1.unwrap_or(lease_time / 2);
        if t1v >= t2 {
            return Err(SpanError::new(
                at(t.renewal_time.or(t.rebinding_time)),
                format!("renewal_time (T1) {t1v} must be less than rebinding_time (T2) {t2}"),
            ));
        }
    }
    Ok(LeasePolicy {
        lease_time,
        renewal_time: t1,
        rebinding_time: t2,
        min_lease_time: min,
        max_lease_time: max,
    })
}

fn option_key(k: &RawOptionKey, at: usize) -> Result<OptionDef> {
    let def = match k {
        RawOptionKey::Code(c) => {
            let code = u8::try_from(*c)
                .ok()
                .filter(|c| (1..=254).contains(c))
                .ok_or_else(|| SpanError::new(at, format!("option code {c} is not in 1..=254")))?;
            registry::by_code(code).copied().unwrap_or(OptionDef {
                code,
                name: "unknown",
                format: OptionFormat::Bytes,
            })
        }
        RawOptionKey::Name(n) => match n.trim().parse::<i64>() {
            Ok(c) => return option_key(&RawOptionKey::Code(c), at),
            Err(_) => *registry::by_name(n)
                .ok_or_else(|| SpanError::new(at, format!("unknown option name {n:?}")))?,
        },
    };
    if let Some((_, why)) = MANAGED.iter().find(|(c, _)| *c == def.code) {
        return Err(SpanError::new(
            at,
            format!(
                "option {} ({}) cannot be configured: {why}",
                def.code, def.name
            ),
        ));
    }
    Ok(def)
}

pub(super) fn options(raw: &RawOptions) -> Result<OptionSet> {
    let mut out = OptionSet::new();
    for (key, value) in raw {
        let at = value.span().start;
        let def = option_key(&RawOptionKey::Name(key.clone()), at)?;
        let texts: Vec<String> = match value.get_ref() {
            RawOptionValue::One(s) => vec![s.to_text()],
            RawOptionValue::Many(v) => v.iter().map(|s| s.to_text()).collect(),
        };
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let bytes = registry::encode_text(&def, &refs).map_err(|e| {
            SpanError::new(
                at,
                format!("bad value for option {} ({}): {e}", def.code, def.name),
            )
        })?;
        if out.insert(def.code, bytes).is_some() {
            return Err(SpanError::new(
                at,
                format!("option {} ({}) is given twice", def.code, def.name),
            ));
        }
    }
    Ok(out)
}

fn subnet(
    rs: &RawSubnet,
    i: usize,
    defaults: &LeasePolicy,
    classes: &[super::class::ClientClass],
    pool_id: &mut usize,
) -> Result<Subnet> {
    let at = rs.subnet.span().start;
    let text = rs.subnet.get_ref().trim();
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
    let next_server = rs
        .next_server
        .as_ref()
        .map(|s| ip(s, "next_server"))
        .transpose()?;
    let boot_file = text_field(rs.boot_file.as_ref(), "boot_file", 127)?;
    let server_name = text_field(rs.server_name.as_ref(), "server_name", 63)?;
    let lease = policy(rs.times(), Some(defaults))?;
    let proxy = match &rs.proxy {
        Some(p) if *p.get_ref() => {
            let what = if !rs.pool.is_empty() {
                Some("pools")
            } else if !rs.reservation.is_empty() {
                Some("reservations")
            } else if rs.shared_network.is_some() {
                Some("a shared_network")
            } else {
                None
            };
            if let Some(what) = what {
                return Err(SpanError::new(
                    p.span().start,
                    format!(
                        "a proxy = true subnet assigns no addresses, so it cannot have {what} \
                         (another DHCP server assigns them)"
                    ),
                ));
            }
            true
        }
        _ => false,
    };
    let mut pools = Vec::with_capacity(rs.pool.len());
    for rp in &rs.pool {
        pools.push(pool(rp, &net, classes, *pool_id)?);
        *pool_id += 1;
    }
    let mut reservations: Vec<Reservation> = Vec::with_capacity(rs.reservation.len());
    for rr in &rs.reservation {
        let r = reservation(rr, &net)?;
        let at = rr.address.span().start;
        if reservations.iter().any(|o| o.address == r.address) {
            return Err(SpanError::new(
                at,
                format!("address {} is reserved twice", r.address),
            ));
        }
        if reservations.iter().any(|o| o.key == r.key) {
            return Err(SpanError::new(
                at,
                format!("{} has two reservations in {net}", r.key),
            ));
        }
        reservations.push(r);
    }
    Ok(Subnet {
        id: rs.id.as_ref().map(|s| *s.get_ref()).unwrap_or(i as u32 + 1),
        net,
        shared_network: rs.shared_network.clone(),
        interface: rs.interface.clone(),
        proxy,
        next_server,
        boot_file,
        server_name,
        lease,
        options: options(&rs.options)?,
        pools,
        reservations,
        circuits: circuits(&rs.circuit)?,
        ddns: rs
            .ddns
            .as_ref()
            .map(|d| super::ddns::subnet(d.get_ref()))
            .transpose()?,
    })
}

pub(super) fn text_field(
    s: Option<&Spanned<String>>,
    what: &str,
    max: usize,
) -> Result<Option<String>> {
    match s {
        None => Ok(None),
        Some(s) if s.get_ref().len() > max => Err(SpanError::new(
            s.span().start,
            format!("{what} is longer than {max} bytes"),
        )),
        Some(s) => Ok(Some(s.get_ref().clone())),
    }
}

fn pool(
    rp: &RawPool,
    net: &Ipv4Net,
    classes: &[super::class::ClientClass],
    id: usize,
) -> Result<Pool> {
    let (start, end, at) = match (&rp.range, &rp.start, &rp.end) {
        (Some(r), None, None) => {
            let at = r.span().start;
            let (a, b) = r.get_ref().split_once('-').ok_or_else(|| {
                SpanError::new(
                    at,
                    format!("range {:?} must look like \"first-last\"", r.get_ref()),
                )
            })?;
            let parse = |x: &str| {
                x.trim().parse::<Ipv4Addr>().map_err(|_| {
                    SpanError::new(
                        at,
                        format!("range {:?}: {x:?} is not an IPv4 address", r.get_ref()),
                    )
                })
            };
            (parse(a)?, parse(b)?, at)
        }
        (None, Some(s), Some(e)) => (ip(s, "start")?, ip(e, "end")?, s.span().start),
        (None, Some(s), None) => {
            return Err(SpanError::new(s.span().start, "pool has start but no end"))
        }
        (None, None, Some(e)) => {
            return Err(SpanError::new(e.span().start, "pool has end but no start"))
        }
        (Some(r), _, _) => {
            return Err(SpanError::new(
                r.span().start,
                "pool has both range and start/end",
            ))
        }
        (None, None, None) => return Err(SpanError::new(0, "a pool needs range = \"first-last\"")),
    };
    if start > end {
        return Err(SpanError::new(
            at,
            format!("pool start {start} is after its end {end}"),
        ));
    }
    if !net.contains(&start) || !net.contains(&end) {
        return Err(SpanError::new(
            at,
            format!("pool {start}-{end} is outside its subnet {net}"),
        ));
    }
    if net.prefix_len() < 31 && (start == net.network() || end == net.broadcast()) {
        return Err(SpanError::new(
            at,
            format!("pool {start}-{end} includes the network or broadcast address of {net}"),
        ));
    }
    let mut exclude = Vec::with_capacity(rp.exclude.len());
    for x in &rp.exclude {
        let a = ip(x, "exclude")?;
        if a < start || a > end {
            return Err(SpanError::new(
                x.span().start,
                format!("exclude {a} is outside its pool {start}-{end}"),
            ));
        }
        exclude.push(a);
    }
    exclude.sort_unstable();
    exclude.dedup();
    Ok(Pool {
        id,
        start,
        end,
        exclude,
        classes: super::class::pool_classes(rp.classes.as_ref(), classes)?,
        options: options(&rp.options)?,
    })
}

/// Non-empty hex bytes (`01:02:0a`, `01-02-0a`, `01020a`).
fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    leasehold_wire::hex::decode(s).filter(|b| !b.is_empty())
}

fn reservation(rr: &RawReservation, net: &Ipv4Net) -> Result<Reservation> {
    let address = ip(&rr.address, "address")?;
    if !net.contains(&address) {
        return Err(SpanError::new(
            rr.address.span().start,
            format!("reserved address {address} is outside its subnet {net}"),
        ));
    }
    let relay_key = relay_id(rr.circuit_id.as_ref(), rr.remote_id.as_ref())?.map(|id| {
        let at = rr.circuit_id.as_ref().or(rr.remote_id.as_ref());
        (at.map(|x| x.span().start).unwrap_or(0), id)
    });
    let client = match (&rr.hw_address, &rr.client_id) {
        _ if relay_key.is_some() && (rr.hw_address.is_some() || rr.client_id.is_some()) => {
            let at = relay_key.as_ref().map(|(at, _)| *at).unwrap_or(0);
            return Err(SpanError::new(
                at,
                "a reservation is keyed on hw_address, client_id, or circuit_id/remote_id, not a mix",
            ));
        }
        (None, None) if relay_key.is_some() => None,
        (Some(h), None) => {
            let hw: HwAddr = h.get_ref().trim().parse().map_err(|_| {
                SpanError::new(
                    h.span().start,
                    format!("hw_address {:?} is not like 52:54:00:00:00:01", h.get_ref()),
                )
            })?;
            Some(ClientKey::HwAddr(hw))
        }
        (None, Some(c)) => Some(ClientKey::ClientId(hex_bytes(c.get_ref()).ok_or_else(
            || {
                SpanError::new(
                    c.span().start,
                    format!(
                        "client_id {:?} is not hex bytes like 01:52:54:00:00:00:01",
                        c.get_ref()
                    ),
                )
            },
        )?)),
        (Some(h), Some(_)) => {
            return Err(SpanError::new(
                h.span().start,
                "a reservation has hw_address or client_id, not both",
            ))
        }
        (None, None) => {
            return Err(SpanError::new(
                rr.address.span().start,
                "a reservation needs hw_address, client_id, circuit_id or remote_id",
            ))
        }
    };
    let key = match (client, relay_key) {
        (Some(c), _) => ReservationKey::Client(c),
        (None, Some((_, id))) => ReservationKey::Relay(id),
        (None, None) => {
            return Err(SpanError::new(
                rr.address.span().start,
                "a reservation needs hw_address, client_id, circuit_id or remote_id",
            ))
        }
    };
    let mut options = options(&rr.options)?;
    if let Some(h) = &rr.hostname {
        options
            .entry(leasehold_wire::options::code::HOSTNAME)
            .or_insert_with(|| h.clone().into_bytes());
    }
    Ok(Reservation {
        key,
        address,
        hostname: rr.hostname.clone(),
        next_server: rr
            .next_server
            .as_ref()
            .map(|s| ip(s, "next_server"))
            .transpose()?,
        boot_file: text_field(rr.boot_file.as_ref(), "boot_file", 127)?,
        options,
    })
}

/// Cross-subnet checks (overlaps, duplicate ids) and the lookup index.
fn index(raw: &[RawSubnet], subnets: &[Subnet]) -> Result<ConfigIndex> {
    let mut ix = ConfigIndex::default();
    // Subnet id -> the net of the first subnet that took it.
    let mut ids: HashMap<u32, Ipv4Net> = HashMap::new();
    for (i, s) in subnets.iter().enumerate() {
        let at = raw
            .get(i)
            .map(|r| {
                r.id.as_ref()
                    .map(|x| x.span().start)
                    .unwrap_or(r.subnet.span().start)
            })
            .unwrap_or(0);
        if let Some(first) = ids.insert(s.id, s.net) {
            return Err(SpanError::new(
                at,
                format!("subnet id {} is already used by subnet {} (subnets without id get their position)", s.id, first),
            ));
        }
        ix.subnets_by_addr
            .push((u32::from(s.net.network()), u32::from(s.net.broadcast()), i));
    }
    ix.subnets_by_addr.sort_unstable();
    for w in ix.subnets_by_addr.windows(2) {
        if let [(_, last, a), (first, _, b)] = w {
            if first <= last {
                let (a, b) = ((*a).min(*b), (*a).max(*b));
                let at = raw.get(b).map(|r| r.subnet.span().start).unwrap_or(0);
                // `a` and `b` index `subnets` (the index was built from it just above).
                let net = |k: usize| {
                    subnets
                        .get(k)
                        .map(|s| s.net.to_string())
                        .unwrap_or_default()
                };
                return Err(SpanError::new(
                    at,
                    format!("subnet {} overlaps subnet {}", net(b), net(a)),
                ));
            }
        }
    }
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in subnets.iter().enumerate() {
        if let Some(n) = &s.shared_network {
            by_name.entry(n.as_str()).or_default().push(i);
        }
    }
    for (i, s) in subnets.iter().enumerate() {
        let link = match &s.shared_network {
            Some(n) => by_name.get(n.as_str()).cloned().unwrap_or_else(|| vec![i]),
            None => vec![i],
        };
        ix.links.push(link);
        for (pi, p) in s.pools.iter().enumerate() {
            debug_assert_eq!(p.id, ix.pools.len());
            ix.pools.push((i, pi));
        }
        for (ri, r) in s.reservations.iter().enumerate() {
            ix.res_by_addr.insert(r.address, (i, ri));
            match &r.key {
                ReservationKey::Client(c) => {
                    ix.res_by_client.entry(c.clone()).or_default().push((i, ri));
                }
                ReservationKey::Relay(id) => match (&id.circuit_id, &id.remote_id) {
                    (Some(c), _) => ix
                        .res_by_circuit
                        .entry(c.clone())
                        .or_default()
                        .push((i, ri)),
                    (None, Some(r)) => ix.res_by_remote.entry(r.clone()).or_default().push((i, ri)),
                    (None, None) => {}
                },
            }
        }
    }
    // Pools never overlap (within a subnet: subnets themselves are disjoint).
    for (i, s) in subnets.iter().enumerate() {
        let mut ranges: Vec<(Ipv4Addr, Ipv4Addr, usize)> = s
            .pools
            .iter()
            .enumerate()
            .map(|(k, p)| (p.start, p.end, k))
            .collect();
        ranges.sort_unstable();
        for w in ranges.windows(2) {
            if let [(s1, e1, _), (s2, e2, k)] = w {
                if s2 <= e1 {
                    let at = raw
                        .get(i)
                        .and_then(|r| r.pool.get(*k))
                        .and_then(|p| p.range.as_ref().or(p.start.as_ref()))
                        .map(|x| x.span().start)
                        .unwrap_or(0);
                    return Err(SpanError::new(
                        at,
                        format!("pool {s2}-{e2} overlaps pool {s1}-{e1}"),
                    ));
                }
            }
        }
    }
    Ok(ix)
}
