//! Choosing and placing the options of a reply: order, RFC 3396 splitting, option overload into
//! `file`/`sname`, and dropping optional options when the reply is too large.

use crate::error::EncodeError;
use crate::options::{code, Options};
use crate::parse::offset;
use crate::{HEADER_LEN, MAGIC_COOKIE};

/// Options never dropped to make a reply fit: message type, server identifier, lease, renewal
/// and rebinding times, client identifier (RFC 6842 echo) and relay agent information.
pub const MANDATORY: [u8; 7] = [
    code::MESSAGE_TYPE,
    code::SERVER_ID,
    code::LEASE_TIME,
    code::RENEWAL_TIME,
    code::REBINDING_TIME,
    code::CLIENT_ID,
    code::RELAY_AGENT_INFO,
];

/// One option to write: code and full value.
type Item<'a> = (u8, &'a [u8]);

/// Largest value one option instance carries.
const MAX_INSTANCE: usize = 255;

/// The space available for options.
pub(super) struct Areas {
    /// The whole message limit (`EncodeParams::max_len`), for error reports.
    pub limit: usize,
    /// Bytes for the options field after the magic cookie, End included.
    pub main: usize,
    /// `file` is empty and may carry options.
    pub file: bool,
    /// `sname` is empty and may carry options.
    pub sname: bool,
}

/// Where the options ended up.
pub(super) struct Laid {
    /// The options field after the magic cookie, End included.
    pub main: Vec<u8>,
    /// The `file` field, when overloaded.
    pub file: Option<[u8; offset::FILE_LEN]>,
    /// The `sname` field, when overloaded.
    pub sname: Option<[u8; offset::SNAME_LEN]>,
}

/// The options to write, in write order: 53, 54, the request list, the rest in stored order, 82.
/// Option 52 (framing) is left out.
pub(super) fn plan<'a>(options: &'a Options, order: &[u8]) -> Vec<(u8, &'a [u8])> {
    let mut out: Vec<(u8, &[u8])> = Vec::with_capacity(options.len());
    let special = [
        code::OVERLOAD,
        code::MESSAGE_TYPE,
        code::SERVER_ID,
        code::RELAY_AGENT_INFO,
    ];
    let push = |out: &mut Vec<(u8, &'a [u8])>, c: u8| {
        if let Some(v) = options.get(c) {
            if !out.iter().any(|(seen, _)| *seen == c) {
                out.push((c, v));
            }
        }
    };
    push(&mut out, code::MESSAGE_TYPE);
    push(&mut out, code::SERVER_ID);
    for &c in order.iter().filter(|c| !special.contains(c)) {
        push(&mut out, c);
    }
    for (c, _) in options.iter().filter(|(c, _)| !special.contains(c)) {
        push(&mut out, c);
    }
    push(&mut out, code::RELAY_AGENT_INFO);
    out
}

/// Places `plan` in the available areas, dropping optional options from the end of the plan
/// until it fits.
pub(super) fn fit(mut plan: Vec<(u8, &[u8])>, areas: &Areas) -> Result<Laid, EncodeError> {
    loop {
        if let Some(laid) = place(&plan, areas) {
            return Ok(laid);
        }
        match plan.iter().rposition(|(c, _)| !MANDATORY.contains(c)) {
            Some(i) => {
                plan.remove(i);
            }
            None => {
                let needed = HEADER_LEN + MAGIC_COOKIE.len() + stream_len(&plan) + 1;
                return Err(EncodeError::TooLarge {
                    needed,
                    limit: areas.limit,
                });
            }
        }
    }
}

/// Bytes `plan` takes as option instances (no End).
fn stream_len(plan: &[(u8, &[u8])]) -> usize {
    plan.iter()
        .map(|(_, v)| instances(v).map(|i| 2 + i.len()).sum::<usize>())
        .sum()
}

/// The value split into RFC 3396 instances of at most 255 bytes (one empty instance for an empty
/// value).
fn instances(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let empty: &[u8] = &[];
    let first = value.is_empty().then_some(empty);
    first.into_iter().chain(value.chunks(MAX_INSTANCE))
}

/// Appends one option (all its instances) to `out`.
fn write_option(out: &mut Vec<u8>, c: u8, value: &[u8]) {
    for part in instances(value) {
        out.push(c);
        out.push(part.len() as u8);
        out.extend_from_slice(part);
    }
}

/// Places the whole plan, or `None` when it does not fit even with overload.
fn place(plan: &[(u8, &[u8])], areas: &Areas) -> Option<Laid> {
    // Everything in the options field.
    if stream_len(plan) < areas.main {
        let mut main = Vec::with_capacity(areas.main);
        for (c, v) in plan {
            write_option(&mut main, *c, v);
        }
        main.push(code::END);
        return Some(Laid {
            main,
            file: None,
            sname: None,
        });
    }
    if !areas.file && !areas.sname {
        return None;
    }
    // Overload: 82 stays last in the options field (relay agents look for it there), the rest
    // flows through the options field, then `file`, then `sname` (the RFC 3396 concatenation
    // order). Each area keeps one byte for End; the options field also holds option 52.
    let (relay, rest): (Vec<Item>, Vec<Item>) =
        plan.iter().partition(|(c, _)| *c == code::RELAY_AGENT_INFO);
    let relay_len = stream_len(&relay);
    let main_cap = areas.main.checked_sub(relay_len + 3 + 1)?;
    let mut bins: Vec<(usize, Vec<u8>)> = vec![(main_cap, Vec::new())];
    if areas.file {
        bins.push((offset::FILE_LEN - 1, Vec::new()));
    }
    if areas.sname {
        bins.push((offset::SNAME_LEN - 1, Vec::new()));
    }
    let mut bin = 0;
    for (c, v) in rest {
        for part in instances(v) {
            let size = 2 + part.len();
            while bins.get(bin)?.1.len() + size > bins.get(bin)?.0 {
                bin += 1;
            }
            let area = &mut bins.get_mut(bin)?.1;
            area.push(c);
            area.push(part.len() as u8);
            area.extend_from_slice(part);
        }
    }
    let mut bins = bins.into_iter().map(|(_, b)| b);
    let mut main = bins.next()?;
    let mut file = None;
    let mut sname = None;
    let mut overload = 0u8;
    if areas.file {
        let used = bins.next()?;
        if !used.is_empty() {
            overload |= 1;
            file = Some(close_area::<{ offset::FILE_LEN }>(used));
        }
    }
    if areas.sname {
        let used = bins.next()?;
        if !used.is_empty() {
            overload |= 2;
            sname = Some(close_area::<{ offset::SNAME_LEN }>(used));
        }
    }
    if overload != 0 {
        main.extend_from_slice(&[code::OVERLOAD, 1, overload]);
    }
    for (c, v) in relay {
        write_option(&mut main, c, v);
    }
    main.push(code::END);
    Some(Laid { main, file, sname })
}

/// An overloaded field: its options, End, then zero (Pad) bytes.
fn close_area<const N: usize>(mut used: Vec<u8>) -> [u8; N] {
    used.push(code::END);
    let mut field = [0u8; N];
    for (dst, src) in field.iter_mut().zip(&used) {
        *dst = *src;
    }
    field
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_value_is_one_empty_instance() {
        assert_eq!(instances(&[]).count(), 1);
        assert_eq!(instances(&[0; 255]).count(), 1);
        assert_eq!(instances(&[0; 256]).count(), 2);
        assert_eq!(stream_len(&[(1, &[0; 256])]), 260);
    }

    #[test]
    fn plan_orders_53_54_prl_rest_82() {
        let mut o = Options::new();
        for c in [82, 6, 3, 54, 1, 53, 52, 15] {
            o.insert(c, vec![c]);
        }
        let codes: Vec<u8> = plan(&o, &[15, 1, 53, 99, 1])
            .iter()
            .map(|(c, _)| *c)
            .collect();
        assert_eq!(codes, vec![53, 54, 15, 1, 6, 3, 82]);
    }
}
