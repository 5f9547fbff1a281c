//! A fake authoritative DNS server for the tests: applies RFC 2136 updates to an in-memory
//! zone, checks their prerequisites, and verifies and signs TSIG.
#![allow(dead_code)]

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode, UpdateMessage};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm as HAlg;
use hickory_proto::rr::{DNSClass, Name, RData, RecordType, TSigResponseContext, TSigner};
use hickory_proto::serialize::binary::BinEncodable;
use leasehold_ddns::{Identity, TsigAlgorithm, TsigKey};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub const DHCID: u16 = 49;
pub const UNIX: u64 = 1_700_000_000;

/// How the fake answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Apply updates.
    Normal,
    /// Answer REFUSED.
    Refuse,
    /// Answer nothing.
    Drop,
}

pub struct FakeDns {
    pub zones: Vec<Name>,
    /// (owner lowercased, type) → set of RDATA (wire bytes).
    pub rrs: BTreeMap<(String, u16), Vec<Vec<u8>>>,
    pub key: Option<TSigner>,
    /// Sign answers with this signer instead of `key` (a wrong key: answers fail to verify).
    pub answer_key: Option<TSigner>,
    pub mode: Mode,
    pub requests: usize,
    pub signed_ok: usize,
    pub unsigned_or_bad: usize,
}

pub fn key(name: &str, secret: &[u8]) -> TsigKey {
    TsigKey {
        name: name.into(),
        algorithm: TsigAlgorithm::HmacSha256,
        secret: secret.to_vec(),
    }
}

pub fn signer(k: &TsigKey) -> TSigner {
    TSigner::new(
        k.secret.clone(),
        HAlg::HmacSha256,
        Name::from_ascii(&k.name).expect("key name"),
        300,
    )
    .expect("signer")
}

fn owner(n: &Name) -> String {
    n.to_lowercase().to_ascii()
}

impl FakeDns {
    pub fn new(zones: &[&str], key: Option<&TsigKey>) -> FakeDns {
        FakeDns {
            zones: zones
                .iter()
                .map(|z| Name::from_ascii(z).expect("zone"))
                .collect(),
            rrs: BTreeMap::new(),
            key: key.map(signer),
            answer_key: None,
            mode: Mode::Normal,
            requests: 0,
            signed_ok: 0,
            unsigned_or_bad: 0,
        }
    }

    fn set(&self, name: &str, t: u16) -> Vec<Vec<u8>> {
        let n = Name::from_ascii(name).expect("name");
        self.rrs.get(&(owner(&n), t)).cloned().unwrap_or_default()
    }

    pub fn a(&self, name: &str) -> Vec<Ipv4Addr> {
        self.set(name, 1)
            .into_iter()
            .filter_map(|b| <[u8; 4]>::try_from(b.as_slice()).ok().map(Ipv4Addr::from))
            .collect()
    }

    pub fn dhcid(&self, name: &str) -> Vec<Vec<u8>> {
        self.set(name, DHCID)
    }

    pub fn ptr(&self, addr: Ipv4Addr) -> Vec<String> {
        let [a, b, c, d] = addr.octets();
        self.set(&format!("{d}.{c}.{b}.{a}.in-addr.arpa."), 12)
            .into_iter()
            .map(|b| {
                let mut dec = hickory_proto::serialize::binary::BinDecoder::new(&b);
                use hickory_proto::serialize::binary::BinDecodable;
                Name::read(&mut dec).expect("ptr").to_ascii()
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rrs.values().all(|v| v.is_empty())
    }

    /// Puts records in as if another client had registered `name` at `addr`.
    pub fn preload(&mut self, name: &str, addr: Ipv4Addr, who: &Identity) {
        let n = Name::from_ascii(name).expect("name");
        self.rrs
            .entry((owner(&n), 1))
            .or_default()
            .push(addr.octets().to_vec());
        self.rrs
            .entry((owner(&n), DHCID))
            .or_default()
            .push(who.dhcid(name).expect("dhcid"));
    }

    /// Like [`FakeDns::handle`], with the request signed at the real time (for the runtime).
    pub fn handle_realtime(&mut self, req: &[u8]) -> Option<Vec<u8>> {
        self.handle_at(req, None)
    }

    /// Handles one request signed at [`UNIX`]; `None` when it does not answer.
    pub fn handle(&mut self, req: &[u8]) -> Option<Vec<u8>> {
        self.handle_at(req, Some(UNIX))
    }

    fn handle_at(&mut self, req: &[u8], expect_time: Option<u64>) -> Option<Vec<u8>> {
        self.requests += 1;
        let msg = Message::from_vec(req).expect("the updater sends valid messages");
        assert_eq!(msg.metadata.op_code, OpCode::Update);
        let mut request_mac = None;
        let mut answer_time = UNIX;
        let mut tsig_ok = self.key.is_none();
        if let Some(k) = &self.key {
            match k.verify_message_byte(req, None, true) {
                Ok((mac, time, range)) => {
                    if let Some(t) = expect_time {
                        assert_eq!(time, t, "signed with the injected time");
                    }
                    answer_time = time;
                    assert!(range.contains(&time));
                    request_mac = Some(mac);
                    tsig_ok = true;
                    self.signed_ok += 1;
                }
                Err(_) => self.unsigned_or_bad += 1,
            }
        }
        if self.mode == Mode::Drop {
            return None;
        }
        let rcode = if !tsig_ok {
            ResponseCode::NotAuth
        } else if self.mode == Mode::Refuse {
            ResponseCode::Refused
        } else {
            self.apply(&msg)
        };
        let mut resp = Message::new(msg.metadata.id, MessageType::Response, OpCode::Update);
        resp.metadata.response_code = rcode;
        resp.add_queries(msg.queries.clone());
        let bytes = resp.to_vec().expect("encode");
        let signer = self.answer_key.as_ref().or(self.key.as_ref());
        match (signer, request_mac) {
            (Some(s), Some(mac)) => {
                let ctx =
                    TSigResponseContext::new(msg.metadata.id, answer_time, s.clone(), mac, None);
                let sig = ctx.sign(&bytes).expect("sign");
                resp.set_signature(sig);
                Some(resp.to_vec().expect("encode"))
            }
            _ => Some(bytes),
        }
    }

    fn apply(&mut self, msg: &Message) -> ResponseCode {
        let Some(zq) = msg.zones().first() else {
            return ResponseCode::FormErr;
        };
        if zq.query_type() != RecordType::SOA || !self.zones.contains(zq.name()) {
            return ResponseCode::NotAuth;
        }
        let zone = zq.name().clone();
        // Prerequisites (RFC 2136 §3.2).
        let mut value_sets: BTreeMap<(String, u16), Vec<Vec<u8>>> = BTreeMap::new();
        for r in msg.prerequisites() {
            if !zone.zone_of(&r.name) {
                return ResponseCode::NotZone;
            }
            let o = owner(&r.name);
            let t = u16::from(r.record_type());
            let name_in_use = self.rrs.iter().any(|((n, _), v)| *n == o && !v.is_empty());
            let rrset = self.rrs.get(&(o.clone(), t)).filter(|v| !v.is_empty());
            match (r.dns_class, &r.data) {
                (DNSClass::ANY, RData::Update0(RecordType::ANY)) if !name_in_use => {
                    return ResponseCode::NXDomain
                }
                (DNSClass::ANY, RData::Update0(_)) if rrset.is_none() => {
                    return ResponseCode::NXRRSet
                }
                (DNSClass::NONE, RData::Update0(RecordType::ANY)) if name_in_use => {
                    return ResponseCode::YXDomain
                }
                (DNSClass::NONE, RData::Update0(RecordType::ANY)) => {}
                (DNSClass::NONE, RData::Update0(_)) if rrset.is_some() => {
                    return ResponseCode::YXRRSet
                }
                (DNSClass::ANY | DNSClass::NONE, RData::Update0(_)) => {}
                (DNSClass::IN, data) => {
                    value_sets
                        .entry((o, t))
                        .or_default()
                        .push(data.to_bytes().expect("rdata"));
                }
                _ => return ResponseCode::FormErr,
            }
        }
        for (k, mut want) in value_sets {
            let mut have = self.rrs.get(&k).cloned().unwrap_or_default();
            want.sort();
            want.dedup();
            have.sort();
            if want != have {
                return ResponseCode::NXRRSet;
            }
        }
        // Updates (RFC 2136 §3.4).
        for r in msg.updates() {
            if !zone.zone_of(&r.name) {
                return ResponseCode::NotZone;
            }
        }
        for r in msg.updates() {
            let o = owner(&r.name);
            let t = u16::from(r.record_type());
            match (r.dns_class, &r.data) {
                (DNSClass::ANY, RData::Update0(RecordType::ANY)) => {
                    self.rrs.retain(|(n, _), _| *n != o);
                }
                (DNSClass::ANY, RData::Update0(_)) => {
                    self.rrs.remove(&(o, t));
                }
                (DNSClass::NONE, data) => {
                    let b = data.to_bytes().expect("rdata");
                    if let Some(v) = self.rrs.get_mut(&(o, t)) {
                        v.retain(|x| *x != b);
                    }
                }
                (DNSClass::IN, data) => {
                    let b = data.to_bytes().expect("rdata");
                    let v = self.rrs.entry((o, t)).or_default();
                    if !v.contains(&b) {
                        v.push(b);
                    }
                }
                _ => return ResponseCode::FormErr,
            }
        }
        self.rrs.retain(|_, v| !v.is_empty());
        ResponseCode::NoError
    }
}
