//! dnsmasq's tags, turned into the places Leasehold keeps per-client settings.
//!
//! A tag is set by a `dhcp-range` (`set:`: the range's network), a `dhcp-host` (`set:`: that
//! host), a matcher line (`dhcp-vendorclass`, `dhcp-userclass`, `dhcp-match`, `dhcp-mac`,
//! `dhcp-circuitid`, `dhcp-remoteid`: one `[[class]]` per line), or by dnsmasq itself (`known`:
//! the client has a `dhcp-host`). A condition `tag:A,tag:B` (all must be set) is resolved to
//! [`Target`]s: the server, subnets, pools, reservations or classes. Several matcher lines
//! setting one tag become several classes (dnsmasq sets the tag when any matches; a class
//! matches when all its keys do). A condition of several tags becomes one class holding all
//! their keys, when each stands for exactly one class (and `!known`, `!T` for an option 175
//! match); anything else is reported, not guessed.

use super::parse::{Key, TagRef, Why};
use crate::{ClassPlan, Origin};
use std::collections::HashMap;

/// Where a tagged setting goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `[server]` (no condition).
    Server,
    /// `[[subnet]]` number.
    Subnet(usize),
    /// `[[subnet.pool]]` (subnet, pool).
    Pool(usize, usize),
    /// `[[subnet.reservation]]` (subnet, reservation).
    Reservation(usize, usize),
    /// `[[class]]` number.
    Class(usize),
}

/// Who sets which tag.
#[derive(Debug, Default)]
pub struct Tags {
    /// Tag → classes made from its matcher lines.
    classes: HashMap<String, Vec<usize>>,
    /// Tag → the targets a `dhcp-range` `set:` stands for.
    ranges: HashMap<String, Vec<Target>>,
    /// Tag → reservations of the `dhcp-host`s that set it.
    hosts: HashMap<String, Vec<Target>>,
    /// Class keys of each class (by class number), for combining.
    keys: HashMap<usize, Vec<Key>>,
    /// Classes made for combined conditions, by their keys.
    combined: HashMap<Vec<KeyId>, usize>,
}

/// A hashable, ordered form of a key (for finding an existing combined class).
type KeyId = String;

fn key_id(k: &Key) -> KeyId {
    format!("{k:?}")
}

impl Tags {
    /// Adds the class for matcher `key` setting `tag`; returns its number.
    pub fn add_matcher(
        &mut self,
        tag: &str,
        key: Key,
        origin: Origin,
        classes: &mut Vec<ClassPlan>,
    ) -> usize {
        let mut c = ClassPlan {
            name: unique_name(tag, classes),
            origin,
            ..ClassPlan::default()
        };
        // A single key never conflicts with an empty class.
        let _ = apply_key(&mut c, &key);
        classes.push(c);
        let i = classes.len() - 1;
        self.classes.entry(tag.to_string()).or_default().push(i);
        self.keys.insert(i, vec![key]);
        i
    }

    /// Records that `tag` is set by a range standing for `target`.
    pub fn add_range(&mut self, tag: &str, target: Target) {
        let v = self.ranges.entry(tag.to_string()).or_default();
        if !v.contains(&target) {
            v.push(target);
        }
    }

    /// Records that `tag` is set by the host reserved at `target`.
    pub fn add_host(&mut self, tag: &str, target: Target) {
        self.hosts.entry(tag.to_string()).or_default().push(target);
    }

    /// Whether anything carried over sets `tag`.
    pub fn known_tag(&self, tag: &str) -> bool {
        tag == "known"
            || self.classes.contains_key(tag)
            || self.ranges.contains_key(tag)
            || self.hosts.contains_key(tag)
    }

    /// The targets of a condition.
    pub fn resolve(
        &mut self,
        cond: &[TagRef],
        origin: &Origin,
        classes: &mut Vec<ClassPlan>,
    ) -> Result<Vec<Target>, Why> {
        match cond {
            [] => Ok(vec![Target::Server]),
            [t] if !t.negated && t.name != "known" => {
                let mut out = Vec::new();
                out.extend(self.ranges.get(&t.name).into_iter().flatten().copied());
                out.extend(self.hosts.get(&t.name).into_iter().flatten().copied());
                out.extend(
                    self.classes
                        .get(&t.name)
                        .into_iter()
                        .flatten()
                        .map(|c| Target::Class(*c)),
                );
                if out.is_empty() {
                    return Err(unset(&t.name));
                }
                Ok(out)
            }
            _ => self
                .combine(cond, &[], None, origin, classes)
                .map(|c| vec![Target::Class(c)]),
        }
    }

    /// Whether `!NAME` must be carried by class order rather than by a key: the tag stands for
    /// classes whose negation no class key expresses (only `known` and an option 175 match have
    /// one).
    pub fn negation_by_order(&self, t: &TagRef) -> bool {
        if !t.negated || t.name == "known" {
            return false;
        }
        match self.classes.get(&t.name).map(Vec::as_slice) {
            Some([c]) => !matches!(self.keys.get(c).map(Vec::as_slice), Some([Key::Ipxe(_)])),
            Some(_) => true,
            None => false,
        }
    }

    /// Every class whose keys include one of the keys tag `name` stands for.
    pub fn classes_covering(&self, name: &str) -> Vec<usize> {
        let wanted: Vec<&Key> = self
            .classes
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|c| self.keys.get(c).and_then(|k| k.first()))
            .collect();
        let mut out: Vec<usize> = self
            .keys
            .iter()
            .filter(|(_, ks)| ks.iter().any(|k| wanted.contains(&k)))
            .map(|(c, _)| *c)
            .collect();
        out.sort_unstable();
        out
    }

    /// One class holding the keys of every tag of `cond` and `extra`, named after `hint` (else
    /// the tags).
    pub fn combine(
        &mut self,
        cond: &[TagRef],
        extra: &[Key],
        hint: Option<&str>,
        origin: &Origin,
        classes: &mut Vec<ClassPlan>,
    ) -> Result<usize, Why> {
        let mut keys: Vec<Key> = extra.to_vec();
        for t in cond {
            let key = match (t.name.as_str(), t.negated) {
                ("known", n) => Key::Known(!n),
                (name, negated) => {
                    let Some(cs) = self.classes.get(name) else {
                        return Err(if self.known_tag(name) {
                            format!(
                                "{t} is set by a range or a host: combined with other tags it \
                                 has no Leasehold form"
                            )
                        } else {
                            unset(name)
                        });
                    };
                    let [c] = cs.as_slice() else {
                        return Err(format!(
                            "{t} is set by {} lines: combined with other tags it has no \
                             Leasehold form",
                            cs.len()
                        ));
                    };
                    let k = self
                        .keys
                        .get(c)
                        .and_then(|k| k.first())
                        .cloned()
                        .ok_or_else(|| unset(name))?;
                    match (k, negated) {
                        (k, false) => k,
                        (Key::Ipxe(b), true) => Key::Ipxe(!b),
                        (_, true) => {
                            return Err(format!(
                                "{t}: a negated tag has a Leasehold form only for `known` and \
                                 option 175 (iPXE) matches"
                            ))
                        }
                    }
                }
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut ids: Vec<KeyId> = keys.iter().map(key_id).collect();
        ids.sort();
        if let Some(c) = self.combined.get(&ids) {
            return Ok(*c);
        }
        let mut base: Vec<String> = hint.map(str::to_string).into_iter().collect();
        base.extend(
            cond.iter()
                .map(|t| format!("{}{}", if t.negated { "not-" } else { "" }, t.name)),
        );
        let mut c = ClassPlan {
            name: unique_name(&base.join("-"), classes),
            origin: origin.clone(),
            ..ClassPlan::default()
        };
        for k in &keys {
            apply_key(&mut c, k)?;
        }
        classes.push(c);
        let i = classes.len() - 1;
        self.combined.insert(ids, i);
        self.keys.insert(i, keys);
        Ok(i)
    }
}

fn unset(tag: &str) -> Why {
    format!(
        "tag {tag:?} is set by nothing the importer carried over (an interface name, \
         `tag-if`, or a line reported above)"
    )
}

/// Sets the class field of `key`; an error when the class already has another value there.
fn apply_key(c: &mut ClassPlan, key: &Key) -> Result<(), Why> {
    fn set<T: PartialEq + Clone>(f: &mut Option<T>, v: &T, what: &str) -> Result<(), Why> {
        match f {
            Some(old) if old != v => Err(format!(
                "two different {what} conditions must both hold: no Leasehold class matches that"
            )),
            _ => {
                *f = Some(v.clone());
                Ok(())
            }
        }
    }
    match key {
        Key::Vendor(v) => set(&mut c.vendor_class, v, "vendor class"),
        Key::User(v) => set(&mut c.user_class, v, "user class"),
        Key::Arch(a) => {
            if c.arch.iter().any(|x| x != a) {
                return Err(
                    "two architectures must both be in option 93: a Leasehold class matches any one"
                        .into(),
                );
            }
            if c.arch.is_empty() {
                c.arch.push(*a);
            }
            Ok(())
        }
        Key::Ipxe(b) => set(&mut c.ipxe, b, "iPXE"),
        Key::HwPrefix(p) => set(&mut c.hw_address_prefix, p, "hardware address"),
        Key::Circuit(v) => set(&mut c.circuit_id, v, "circuit id"),
        Key::Remote(v) => set(&mut c.remote_id, v, "remote id"),
        Key::Known(k) => set(&mut c.known, k, "known"),
    }
}

/// A class name from a tag: `[A-Za-z0-9_-]+`, unique among `classes`.
pub fn unique_name(tag: &str, classes: &[ClassPlan]) -> String {
    let want = if tag.is_empty() { "tag" } else { tag };
    crate::plan::unique_class_name(classes, want, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, negated: bool) -> TagRef {
        TagRef {
            name: name.into(),
            negated,
        }
    }

    #[test]
    fn single_tags_and_combinations() {
        let mut classes = Vec::new();
        let mut tags = Tags::default();
        let o = Origin::new("d.conf", 1);
        let bios = tags.add_matcher("bios", Key::Arch(0), o.clone(), &mut classes);
        let ipxe = tags.add_matcher("ipxe", Key::Ipxe(true), o.clone(), &mut classes);
        tags.add_range("lan", Target::Subnet(0));
        assert_eq!(
            tags.resolve(&[tag("bios", false)], &o, &mut classes),
            Ok(vec![Target::Class(bios)])
        );
        assert_eq!(
            tags.resolve(&[tag("lan", false)], &o, &mut classes),
            Ok(vec![Target::Subnet(0)])
        );
        let both = tags
            .resolve(&[tag("bios", false), tag("ipxe", true)], &o, &mut classes)
            .expect("combined");
        let Target::Class(c) = both[0] else {
            panic!("not a class: {both:?}")
        };
        assert_eq!(classes[c].arch, vec![0]);
        assert_eq!(classes[c].ipxe, Some(false));
        assert_eq!(classes[c].name, "bios-not-ipxe");
        assert_ne!(c, ipxe);
        let again = tags
            .resolve(&[tag("ipxe", true), tag("bios", false)], &o, &mut classes)
            .expect("same class");
        assert_eq!(again, both);
        let unknown = tags
            .resolve(&[tag("known", true)], &o, &mut classes)
            .expect("unknown");
        let Target::Class(u) = unknown[0] else {
            panic!("not a class")
        };
        assert_eq!(classes[u].known, Some(false));
        assert!(tags
            .resolve(&[tag("eth0", false)], &o, &mut classes)
            .is_err());
        assert!(tags
            .resolve(&[tag("lan", false), tag("bios", false)], &o, &mut classes)
            .is_err());
    }

    #[test]
    fn names_are_valid_and_unique() {
        let classes = vec![ClassPlan {
            name: "pxe".into(),
            ..ClassPlan::default()
        }];
        assert_eq!(unique_name("pxe", &classes), "pxe-2");
        assert_eq!(unique_name("a b.c", &classes), "a-b-c");
        assert_eq!(unique_name("", &classes), "tag");
    }
}
