//! The RFC 2131 / RFC 951 server logic.
//!
//! - `context`: per-request state and the shared checks (client identity, server id, who may
//!   have an address).
//! - `classify`: client classes (`[[class]]`): membership, deny, boot fields and options.
//! - `proxy`: proxy DHCP for PXE clients on `proxy = true` subnets.
//! - `select`: subnet selection (RFC 3527, RFC 3011, giaddr, ciaddr, arrival interface).
//! - `relay_policy`: the relay allow-list, trusted option 82 and circuit-id / remote-id
//!   reservations.
//! - `discover`, `request`, `release` (DECLINE and RELEASE), `inform`, `bootp`: one
//!   message type each.
//! - `reply`: reply header fields, options and encoding parameters.
//! - `destination`: where the reply goes (RFC 2131 §4.1).

mod bootp;
mod classify;
mod context;
mod destination;
mod discover;
mod inform;
mod proxy;
mod relay_policy;
mod release;
mod reply;
mod request;
mod select;

use crate::config::Config;
use crate::decision::{Arrival, Decision};
use crate::pressure::{Pressure, PressureNote};
use crate::reason::DropReason;
use crate::server::Clock;
use crate::table::LeaseTable;
use context::Ctx;
use leasehold_wire::{MessageType, Op, Packet};
use std::sync::Arc;

/// The protocol engine: a configuration and the decision function. Cheap to clone; holds no
/// lease state (that is the caller's [`LeaseTable`]).
#[derive(Clone, Debug)]
pub struct Engine {
    config: Arc<Config>,
}

impl Engine {
    /// An engine serving `config`.
    pub fn new(config: Arc<Config>) -> Self {
        Engine { config }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Decides what to do with request `req` that arrived as `arrival` at `clock`, given the
    /// lease state `leases` and the links' `pressure`. Pure: the caller applies
    /// [`Decision::changes`] to `leases` (and commits the durable ones) before sending the reply
    /// and before the next request, and feeds the note, if any, to [`Pressure::observe`].
    pub fn handle(
        &self,
        req: &Packet,
        arrival: &Arrival,
        clock: Clock,
        leases: &LeaseTable,
        pressure: &Pressure,
    ) -> (Decision, Option<PressureNote>) {
        let ctx = Ctx::new(
            &self.config,
            req,
            arrival,
            (clock.unix, clock.mono_ms),
            leases,
            pressure,
        );
        let decision = Self::decide_in(&ctx);
        (decision, ctx.note.into_inner())
    }

    fn decide_in(ctx: &Ctx<'_>) -> Decision {
        let req = ctx.req;
        if req.op == Op::BootReply {
            return Decision::drop(DropReason::Bootreply);
        }
        if let Some(reason) = relay_policy::refuse(ctx.cfg, req) {
            return Decision::drop(reason);
        }
        // A client is known by option 61 or by chaddr (RFC 2131 §4.2). With neither (hlen 0, as
        // on InfiniBand, RFC 4390, but without the client identifier that such links require),
        // every such client would share one key and so one lease. Only INFORM, which binds
        // nothing, is still answered.
        let anonymous = req.options.client_id().is_none_or(<[u8]>::is_empty)
            && req.chaddr.as_bytes().is_empty();
        if anonymous && req.message_type() != Some(MessageType::Inform) {
            return Decision::drop(DropReason::NoClientIdentity);
        }
        if classify::denied(ctx.cfg, &ctx.classes) {
            return Decision::drop(DropReason::ClassDenied);
        }
        if ctx
            .selected
            .and_then(|s| ctx.cfg.subnets.get(s))
            .is_some_and(|s| s.proxy)
        {
            return proxy::handle(ctx);
        }
        if ctx.arrival.local_port != 0 && ctx.arrival.local_port == ctx.cfg.server.pxe_port {
            // Port 4011 serves proxy DHCP only.
            return Decision::drop(DropReason::ProxyIgnored);
        }
        match req.message_type() {
            None if req
                .options
                .contains(leasehold_wire::options::code::MESSAGE_TYPE) =>
            {
                Decision::drop(DropReason::MalformedMessageType)
            }
            None => bootp::handle(ctx),
            Some(MessageType::Discover) => discover::handle(ctx),
            Some(MessageType::Request) => request::handle(ctx),
            Some(MessageType::Decline) => release::decline(ctx),
            Some(MessageType::Release) => release::release(ctx),
            Some(MessageType::Inform) => inform::handle(ctx),
            Some(MessageType::Offer | MessageType::Ack | MessageType::Nak) => {
                Decision::drop(DropReason::ServerMessage)
            }
            Some(MessageType::Other(_)) => Decision::drop(DropReason::UnsupportedMessageType),
        }
    }
}
