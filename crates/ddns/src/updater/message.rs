//! The RFC 2136 update messages of the RFC 4703 sequences.

use crate::dhcid::DHCID_TYPE;
use hickory_proto::op::{Message, MessageType, OpCode, Query, UpdateMessage};
use hickory_proto::rr::rdata::{A, NULL, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use std::net::Ipv4Addr;

/// One step of a sequence: what a single update message does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// RFC 4703 §5.3.1: name not in use → add A and DHCID.
    AddFwdFirst,
    /// RFC 4703 §5.3.2: our DHCID is there → replace the A RRset.
    AddFwdOurs,
    /// No-check mode: replace A and DHCID unconditionally.
    AddFwdNoCheck,
    /// RFC 4703 §5.4: replace the PTR RRset.
    AddPtr,
    /// RFC 4703 §5.5 first update: our DHCID is there → delete our A RR.
    RemFwdA,
    /// RFC 4703 §5.5 second update: our DHCID and no address RRs → delete the DHCID RRset.
    RemFwdDhcid,
    /// No-check mode: delete our A RR and the DHCID RRset.
    RemFwdNoCheck,
    /// Delete the PTR RRset.
    RemPtr,
}

impl OpKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            OpKind::AddFwdFirst => "add forward (name not in use)",
            OpKind::AddFwdOurs => "add forward (DHCID matches)",
            OpKind::AddFwdNoCheck => "add forward (no check)",
            OpKind::AddPtr => "add PTR",
            OpKind::RemFwdA => "remove A (DHCID matches)",
            OpKind::RemFwdDhcid => "remove DHCID (no addresses left)",
            OpKind::RemFwdNoCheck => "remove forward (no check)",
            OpKind::RemPtr => "remove PTR",
        }
    }
}

/// One planned update message, ready to be (re)built with a fresh id.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    /// Index into the updater's zones.
    pub(crate) zone: usize,
    /// The owner name: the FQDN for forward steps, the reverse name for PTR steps.
    pub(crate) name: Name,
    /// The FQDN a PTR points to (PTR steps); the FQDN again for forward steps.
    pub(crate) fqdn: Name,
    /// DHCID RDATA (forward steps).
    pub(crate) dhcid: Vec<u8>,
    /// TTL of added records.
    pub(crate) ttl: u32,
}

fn dhcid_type() -> RecordType {
    RecordType::Unknown(DHCID_TYPE)
}

fn dhcid_rdata(bytes: &[u8]) -> RData {
    RData::Unknown {
        code: dhcid_type(),
        rdata: NULL::with(bytes.to_vec()),
    }
}

fn with_class(mut r: Record, class: DNSClass) -> Record {
    r.dns_class = class;
    r
}

/// RFC 2136 §2.4.5 "name is not in use": NONE, ANY, empty.
fn name_not_in_use(name: &Name) -> Record {
    with_class(
        Record::update0(name.clone(), 0, RecordType::ANY),
        DNSClass::NONE,
    )
}

/// RFC 2136 §2.4.3 "RRset does not exist": NONE, type, empty.
fn rrset_absent(name: &Name, t: RecordType) -> Record {
    with_class(Record::update0(name.clone(), 0, t), DNSClass::NONE)
}

/// RFC 2136 §2.4.2 "RRset exists (value dependent)": zone class, TTL 0, the RDATA.
fn rr_exists(name: &Name, rdata: RData) -> Record {
    Record::from_rdata(name.clone(), 0, rdata)
}

/// RFC 2136 §2.5.2 "delete an RRset": ANY, type, empty.
fn delete_rrset(name: &Name, t: RecordType) -> Record {
    with_class(Record::update0(name.clone(), 0, t), DNSClass::ANY)
}

/// RFC 2136 §2.5.4 "delete an RR from an RRset": NONE, the RDATA.
fn delete_rr(name: &Name, rdata: RData) -> Record {
    with_class(Record::from_rdata(name.clone(), 0, rdata), DNSClass::NONE)
}

/// RFC 2136 §2.5.1 "add to an RRset".
fn add(name: &Name, ttl: u32, rdata: RData) -> Record {
    Record::from_rdata(name.clone(), ttl, rdata)
}

/// Builds the (unsigned) update message of `op` for `addr`.
pub(crate) fn build(op: &Op, zone: &Name, addr: Ipv4Addr, id: u16) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Update);
    let mut q = Query::new();
    q.set_name(zone.clone())
        .set_query_class(DNSClass::IN)
        .set_query_type(RecordType::SOA);
    m.add_zone(q);
    let a = || RData::A(A(addr));
    let dhcid = || dhcid_rdata(&op.dhcid);
    let n = &op.name;
    match op.kind {
        OpKind::AddFwdFirst => {
            m.add_pre_requisite(name_not_in_use(n));
            m.add_update(add(n, op.ttl, a()));
            m.add_update(add(n, op.ttl, dhcid()));
        }
        OpKind::AddFwdOurs => {
            m.add_pre_requisite(rr_exists(n, dhcid()));
            m.add_update(delete_rrset(n, RecordType::A));
            m.add_update(add(n, op.ttl, a()));
        }
        OpKind::AddFwdNoCheck => {
            m.add_update(delete_rrset(n, RecordType::A));
            m.add_update(delete_rrset(n, dhcid_type()));
            m.add_update(add(n, op.ttl, a()));
            m.add_update(add(n, op.ttl, dhcid()));
        }
        OpKind::AddPtr => {
            m.add_update(delete_rrset(n, RecordType::PTR));
            m.add_update(add(n, op.ttl, RData::PTR(PTR(op.fqdn.clone()))));
        }
        OpKind::RemFwdA => {
            m.add_pre_requisite(rr_exists(n, dhcid()));
            m.add_update(delete_rr(n, a()));
        }
        OpKind::RemFwdDhcid => {
            m.add_pre_requisite(rr_exists(n, dhcid()));
            m.add_pre_requisite(rrset_absent(n, RecordType::A));
            m.add_pre_requisite(rrset_absent(n, RecordType::AAAA));
            m.add_update(delete_rrset(n, dhcid_type()));
        }
        OpKind::RemFwdNoCheck => {
            m.add_update(delete_rr(n, a()));
            m.add_update(delete_rrset(n, dhcid_type()));
        }
        OpKind::RemPtr => {
            m.add_update(delete_rrset(n, RecordType::PTR));
        }
    }
    m
}

/// The reverse name of an address: `d.c.b.a.in-addr.arpa.`.
pub(crate) fn reverse_name(addr: Ipv4Addr) -> Option<Name> {
    let [a, b, c, d] = addr.octets();
    Name::from_ascii(format!("{d}.{c}.{b}.{a}.in-addr.arpa.")).ok()
}
