//! Boot information: `dhcp-boot` and `pxe-service`, and `tag:!T` conditions carried by class
//! order.

use super::*;

impl Builder {
    pub(super) fn boots(&mut self, boots: &[(usize, Boot)], report: &mut Report) {
        // Untagged first: a tagged dhcp-boot wins over untagged ones in dnsmasq.
        let order = boots
            .iter()
            .filter(|(_, b)| b.tags.is_empty())
            .chain(boots.iter().filter(|(_, b)| !b.tags.is_empty()));
        for (rank, b) in order {
            let mut notes = Vec::new();
            if let Err(why) = self.boot(*rank, b, &mut notes) {
                notes.push(why);
            }
            for n in notes {
                report.not_carried(&b.origin.file, b.origin.line, n);
            }
        }
    }

    /// Splits `tag:!T` conditions that only class order can carry from the others.
    pub(super) fn split_negations(&self, tags: &[TagRef]) -> (Vec<TagRef>, Vec<String>) {
        let (dropped, kept): (Vec<&TagRef>, Vec<&TagRef>) =
            tags.iter().partition(|t| self.tags.negation_by_order(t));
        (
            kept.into_iter().cloned().collect(),
            dropped.into_iter().map(|t| t.name.clone()).collect(),
        )
    }

    /// `tag:!T` by order: a boot file for clients without tag T is right when every class
    /// standing for T (or holding its key) sets a boot file of its own and comes first —
    /// classes beat the subnet, and an earlier class beats a later one.
    pub(super) fn settle_by_order(&mut self, report: &mut Report) {
        for (o, tag, class) in std::mem::take(&mut self.by_order) {
            let covering: Vec<usize> = self
                .tags
                .classes_covering(&tag)
                .into_iter()
                .filter(|c| Some(*c) != class && self.plan.classes[*c].boot_file.is_some())
                .collect();
            if covering.is_empty() {
                report.not_carried(
                    &o.file,
                    o.line,
                    format!(
                        "tag:!{tag}: no class for tag {tag} sets a boot file of its own, so \
                         \"not {tag}\" has no Leasehold form here"
                    ),
                );
                continue;
            }
            if let Some(c) = class {
                self.after.push((c, covering));
            }
        }
    }

    pub(super) fn boot(
        &mut self,
        rank: usize,
        b: &Boot,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        if b.file.len() > 127 {
            return Err("boot file longer than 127 bytes (the `file` field)".into());
        }
        if b.sname.as_ref().is_some_and(|s| s.len() > 63) {
            return Err("server name longer than 63 bytes (the `sname` field)".into());
        }
        let (kept, dropped) = self.split_negations(&b.tags);
        let targets = self
            .tags
            .resolve(&kept, &b.origin, &mut self.plan.classes)?;
        for n in dropped {
            for t in &targets {
                let class = match t {
                    Target::Class(c) => Some(*c),
                    _ => None,
                };
                self.by_order.push((b.origin.clone(), n.clone(), class));
            }
        }
        let targets: Vec<Target> = if targets == [Target::Server] {
            (0..self.plan.subnets.len()).map(Target::Subnet).collect()
        } else {
            targets
        };
        let mut no_server = false;
        for t in targets {
            let server = b.server.or_else(|| self.own_for(t));
            match t {
                Target::Subnet(s) => {
                    let subnet = &mut self.plan.subnets[s];
                    subnet.boot_file = Some(b.file.clone());
                    subnet.server_name.clone_from(&b.sname);
                    subnet.next_server = server;
                    no_server |= server.is_none() && !subnet.proxy;
                }
                Target::Reservation(s, r) => {
                    let res = &mut self.plan.subnets[s].reservations[r];
                    res.boot_file = Some(b.file.clone());
                    res.next_server = server;
                    no_server |= server.is_none();
                    if b.sname.is_some() {
                        notes.push("the server name is not kept for a host (Leasehold reservations have no server_name)".into());
                    }
                }
                Target::Class(c) => {
                    let class = &mut self.plan.classes[c];
                    class.boot_file = Some(b.file.clone());
                    class.server_name.clone_from(&b.sname);
                    class.next_server = server;
                    self.class_rank.insert(c, rank);
                    no_server |= server.is_none() && self.plan.subnets.iter().any(|s| !s.proxy);
                }
                Target::Pool(..) | Target::Server => {
                    return Err(
                        "boot information for one range of a subnet has no Leasehold form \
                         (pools have no boot fields)"
                            .into(),
                    )
                }
            }
        }
        if no_server {
            notes.push(
                "no TFTP server address: dnsmasq sends its own, which the importer cannot see \
                 (Leasehold sends 0.0.0.0): set `next_server`, or give the address in dhcp-boot \
                 or a listen-address"
                    .into(),
            );
        }
        Ok(())
    }

    /// `pxe-service`: the first entry with a boot file per architecture (and condition)
    /// becomes a class matching PXE clients of that architecture.
    pub(super) fn pxe(&mut self, services: &[PxeService], report: &mut Report) {
        let mut seen: Vec<(Vec<TagRef>, u16)> = Vec::new();
        for p in services {
            let o = &p.origin;
            let mut cond = p.tags.clone();
            cond.sort();
            let why = if p.file.is_none() {
                Some("a PXE menu entry for local boot or a boot service type has no Leasehold form")
            } else if seen.contains(&(cond.clone(), p.arch)) {
                Some("PXE menus are not Leasehold's: only the first entry per architecture is carried over")
            } else {
                None
            };
            if let Some(why) = why {
                report.not_carried(&o.file, o.line, why);
                continue;
            }
            seen.push((cond, p.arch));
            let (kept, dropped) = self.split_negations(&p.tags);
            let extra = [Key::Vendor("PXEClient".into()), Key::Arch(p.arch)];
            let hint = format!("pxe-arch-{}", p.arch);
            let c = match self
                .tags
                .combine(&kept, &extra, Some(&hint), o, &mut self.plan.classes)
            {
                Ok(c) => c,
                Err(why) => {
                    report.not_carried(&o.file, o.line, format!("`pxe-service`: {why}"));
                    continue;
                }
            };
            for n in dropped {
                self.by_order.push((o.clone(), n, Some(c)));
            }
            let next_server = p.server.or_else(|| self.own_for(Target::Server));
            let class = &mut self.plan.classes[c];
            class.boot_file.clone_from(&p.file);
            class.next_server = next_server;
            if next_server.is_none() && self.plan.subnets.iter().any(|s| !s.proxy) {
                report.not_carried(
                    &o.file,
                    o.line,
                    "no boot server address: dnsmasq uses its own, which the importer cannot \
                     see: set `next_server` on the class",
                );
            }
        }
    }
}
