//! `dhcp-host` lines: reservations, classes for tagged hosts without an address, denying
//! classes for `ignore`; and `dhcp-ignore`.

use super::*;

impl Builder {
    pub(super) fn hosts(&mut self, hosts: &[Host], report: &mut Report) {
        for h in hosts {
            let o = &h.origin;
            let mut notes = Vec::new();
            if let Err(why) = self.host(h, &mut notes) {
                notes.push(why);
            }
            for n in notes {
                report.not_carried(&o.file, o.line, n);
            }
        }
    }

    pub(super) fn host(&mut self, h: &Host, notes: &mut Vec<String>) -> Result<(), String> {
        if !h.v6.is_empty() {
            notes.push("IPv6 addresses not carried over: Leasehold serves DHCPv4 only".into());
        }
        if !h.filter.is_empty() {
            return Err("a host used only under `tag:` conditions has no Leasehold form".into());
        }
        let ether: Vec<Vec<u8>> = h
            .macs
            .iter()
            .filter(|m| m.is_ethernet())
            .filter_map(|m| m.exact())
            .collect();
        if h.ignore {
            return self.ignore_host(h);
        }
        if h.macs.len() != ether.len() {
            return Err(
                "hardware address with wildcards or a type other than Ethernet: a reservation \
                 needs one exact address"
                    .into(),
            );
        }
        let Some(addr) = h.addr else {
            return self.host_without_address(h, &ether, notes);
        };
        let s = self
            .plan
            .subnets
            .iter()
            .position(|s| s.net.contains(&addr))
            .ok_or_else(|| {
                format!("no dhcp-range covers {addr}: a reservation lives in its subnet")
            })?;
        if self.plan.subnets[s].proxy {
            return Err(format!(
                "{addr} is in a proxy subnet, where Leasehold assigns nothing"
            ));
        }
        let mut r = ReservationPlan {
            address: Some(addr),
            hostname: h.hostname.clone(),
            origin: h.origin.clone(),
            ..ReservationPlan::default()
        };
        match (ether.first(), &h.client_id) {
            (Some(mac), id) => {
                r.hw_address = Some(super::super::hex::colon(mac));
                if ether.len() > 1 {
                    notes.push(
                        "more hardware addresses for one IP address: Leasehold reserves an \
                         address for one client; the first is kept"
                            .into(),
                    );
                }
                if id.is_some() {
                    notes.push(
                        "the client id is not kept: a Leasehold reservation has one key, here \
                         the hardware address"
                            .into(),
                    );
                }
            }
            (None, Some(id)) if !id.is_empty() => r.client_id = Some(super::super::hex::colon(id)),
            _ => {
                return Err(
                    "a host named by the name it sends (no hardware address or client id): \
                     Leasehold reserves by client id, hardware address or relay ids"
                        .into(),
                )
            }
        }
        // `id:*` (match on the hardware address only) is what a hw_address reservation does;
        // Leasehold also renews leases recorded under the hardware address for a client that
        // sends a client id (crates/engine/src/engine/context.rs, `is_me`).
        if let Some(l) = h.lease {
            notes.push(format!(
                "per-host lease time {l} s not carried over: Leasehold's lease times are per \
                 subnet"
            ));
        }
        let subnet = &mut self.plan.subnets[s];
        if subnet.reservations.iter().any(|o| o.address == r.address) {
            return Err(format!("{addr} is reserved twice"));
        }
        if subnet.reservations.iter().any(|o| {
            (o.hw_address.is_some() && o.hw_address == r.hw_address)
                || (o.client_id.is_some() && o.client_id == r.client_id)
        }) {
            return Err(format!(
                "the client already has a reservation in {}",
                subnet.net
            ));
        }
        subnet.reservations.push(r);
        let at = Target::Reservation(s, subnet.reservations.len() - 1);
        for t in &h.set {
            self.tags.add_host(t, at);
        }
        Ok(())
    }

    /// `dhcp-host=MAC,set:TAG` without an address: a class on that hardware address.
    pub(super) fn host_without_address(
        &mut self,
        h: &Host,
        ether: &[Vec<u8>],
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        if h.set.is_empty() || ether.is_empty() || ether.iter().any(|m| m.len() > 6) {
            return Err(
                "a host without an IPv4 address: Leasehold keeps per-host settings in \
                 reservations, which fix an address"
                    .into(),
            );
        }
        for t in &h.set {
            for mac in ether {
                self.tags.add_matcher(
                    t,
                    Key::HwPrefix(super::super::hex::colon(mac)),
                    h.origin.clone(),
                    &mut self.plan.classes,
                );
            }
        }
        if h.hostname.is_some() || h.lease.is_some() || h.client_id.is_some() {
            notes.push(
                "only the tag is carried over (a class on the hardware address); the name, \
                 lease time and client id need a reservation with an address"
                    .into(),
            );
        }
        Ok(())
    }

    /// `dhcp-host=...,ignore`: a class denying those hardware addresses.
    pub(super) fn ignore_host(&mut self, h: &Host) -> Result<(), String> {
        if h.macs.is_empty() {
            return Err(
                "`ignore` by client id or name: Leasehold classes deny by hardware address \
                 prefix, vendor/user class or architecture"
                    .into(),
            );
        }
        let mut prefixes = Vec::new();
        for m in &h.macs {
            let p = m
                .exact()
                .or_else(|| m.prefix())
                .filter(|p| m.is_ethernet() && p.len() <= 6)
                .ok_or_else(|| {
                    "this hardware address pattern has no Leasehold class key".to_string()
                })?;
            prefixes.push(super::super::hex::colon(&p));
        }
        for p in prefixes {
            let c = ClassPlan {
                name: unique_name("ignore", &self.plan.classes),
                hw_address_prefix: Some(p),
                deny: true,
                origin: h.origin.clone(),
                ..ClassPlan::default()
            };
            self.plan.classes.push(c);
        }
        Ok(())
    }

    /// `dhcp-ignore=tag:..` → the classes deny.
    pub(super) fn ignores(&mut self, ignores: &[(Origin, Vec<TagRef>)], report: &mut Report) {
        for (o, tags) in ignores {
            let r = self
                .tags
                .resolve(tags, o, &mut self.plan.classes)
                .and_then(|ts| {
                    ts.into_iter()
                        .map(|t| match t {
                            Target::Class(c) => Ok(c),
                            _ => Err("the tags are not client classes".to_string()),
                        })
                        .collect::<Result<Vec<_>, _>>()
                });
            match r {
                Ok(cs) => {
                    for c in cs {
                        self.plan.classes[c].deny = true;
                    }
                }
                Err(why) => report.not_carried(&o.file, o.line, format!("`dhcp-ignore`: {why}")),
            }
        }
    }
}
