//! Why a request got no reply, or a DHCPNAK: typed reasons with stable snake_case labels.
//!
//! The labels are what logs, `/metrics` (`reason="..."`) and the guard's drop counters show; they
//! never change once released, so dashboards and alerts keyed on them keep working.

use std::fmt;

/// Why a request was answered with silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The datagram is not a BOOTP/DHCP message (the parser refused it).
    ParseError,
    /// A BOOTREPLY arrived on the server port.
    Bootreply,
    /// A DHCPOFFER, DHCPACK or DHCPNAK arrived on the server port.
    ServerMessage,
    /// One of this server's own rogue-server probes.
    OwnProbe,
    /// `hops` above `[security] max_hops`.
    HopsExceeded,
    /// The client is over `[security] client_rate`.
    RateClient,
    /// The relay circuit is over `[security] circuit_rate`.
    RateCircuit,
    /// The relay is over `[security] relay_rate`.
    RateRelay,
    /// The relay circuit holds `max_leases_per_circuit` addresses.
    LeaseCapCircuit,
    /// The relay holds `max_leases_per_relay` addresses.
    LeaseCapRelay,
    /// The hardware-address prefix (OUI) holds `max_leases_per_oui` addresses.
    LeaseCapOui,
    /// The relay is not in `[server] allowed_relays`.
    RelayNotAllowed,
    /// Neither chaddr nor a client identifier: every such client would share one lease.
    NoClientIdentity,
    /// Option 53 present but unreadable.
    MalformedMessageType,
    /// A message type this server does not handle.
    UnsupportedMessageType,
    /// No configured subnet matches where the request came from.
    NoSubnet,
    /// The request names another server (option 54).
    OtherServer,
    /// A DECLINE without the address it declines.
    MalformedDecline,
    /// A DECLINE of an address the client does not hold.
    DeclineNotOwned,
    /// A RELEASE without ciaddr.
    MalformedRelease,
    /// A RELEASE of an address the client does not hold.
    ReleaseNotOwned,
    /// A REQUEST that fits none of RFC 2131's client states.
    MalformedRequest,
    /// Under pressure, a new client's first DISCOVER: answered only when retransmitted.
    PressureUnseen,
    /// Past `pool_reserve_threshold`, an offer to a new client came sooner than the rationing
    /// allows.
    PressureRationed,
    /// No free address in the client's pools.
    PoolExhausted,
    /// A BOOTP client without a reservation where `dynamic_bootp` is off.
    BootpNoReservation,
    /// The lease writer's queue is full (the disk is stalled): no new durable work is decided.
    StoreBacklog,
    /// The client belongs to a `[[class]]` with `deny = true`.
    ClassDenied,
    /// On a `proxy = true` subnet, a client that is not a PXE client (option 60 does not start
    /// with `PXEClient`): the other DHCP server serves it.
    ProxyNotPxe,
    /// On a `proxy = true` subnet, a PXE client's message that is for the DHCP server assigning
    /// addresses (a REQUEST to the server port, RELEASE, DECLINE, INFORM).
    ProxyIgnored,
    /// On a `proxy = true` subnet, a PXE client for which no boot file is configured.
    ProxyNoBootFile,
    /// A NAK that a non-authoritative server keeps to itself (RFC 2131 §4.3.2).
    NotAuthoritative(NakReason),
}

impl DropReason {
    /// The stable label.
    pub const fn as_str(self) -> &'static str {
        match self {
            DropReason::ParseError => "parse_error",
            DropReason::Bootreply => "bootreply",
            DropReason::ServerMessage => "server_message",
            DropReason::OwnProbe => "own_probe",
            DropReason::HopsExceeded => "hops_exceeded",
            DropReason::RateClient => "rate_client",
            DropReason::RateCircuit => "rate_circuit",
            DropReason::RateRelay => "rate_relay",
            DropReason::LeaseCapCircuit => "lease_cap_circuit",
            DropReason::LeaseCapRelay => "lease_cap_relay",
            DropReason::LeaseCapOui => "lease_cap_oui",
            DropReason::RelayNotAllowed => "relay_not_allowed",
            DropReason::NoClientIdentity => "no_client_identity",
            DropReason::MalformedMessageType => "malformed_message_type",
            DropReason::UnsupportedMessageType => "unsupported_message_type",
            DropReason::NoSubnet => "no_subnet",
            DropReason::OtherServer => "other_server",
            DropReason::MalformedDecline => "malformed_decline",
            DropReason::DeclineNotOwned => "decline_not_owned",
            DropReason::MalformedRelease => "malformed_release",
            DropReason::ReleaseNotOwned => "release_not_owned",
            DropReason::MalformedRequest => "malformed_request",
            DropReason::PressureUnseen => "pressure_unseen",
            DropReason::PressureRationed => "pressure_rationed",
            DropReason::PoolExhausted => "pool_exhausted",
            DropReason::BootpNoReservation => "bootp_no_reservation",
            DropReason::StoreBacklog => "store_backlog",
            DropReason::ClassDenied => "class_denied",
            DropReason::ProxyNotPxe => "proxy_not_pxe",
            DropReason::ProxyIgnored => "proxy_ignored",
            DropReason::ProxyNoBootFile => "proxy_no_boot_file",
            DropReason::NotAuthoritative(nak) => nak.as_str(),
        }
    }
}

/// Why a request was answered with a DHCPNAK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NakReason {
    /// A SELECTING REQUEST without option 50.
    NoRequestedAddress,
    /// A new client asks for an address it was not offered while its link is under pressure or
    /// past `pool_reserve_threshold`.
    PressureUnoffered,
    /// The requested address cannot be given to this client.
    AddressUnavailable,
    /// The client asks for another address than the one it holds.
    WrongAddress,
    /// INIT-REBOOT from a client this server has no record of.
    UnknownClient,
    /// RENEWING/REBINDING for a lease this server has no record of.
    UnknownLease,
    /// The address is not on the client's network.
    WrongNetwork,
    /// The address belongs to another client.
    AddressTaken,
}

impl NakReason {
    /// The stable label.
    pub const fn as_str(self) -> &'static str {
        match self {
            NakReason::NoRequestedAddress => "no_requested_address",
            NakReason::PressureUnoffered => "pressure_unoffered",
            NakReason::AddressUnavailable => "address_unavailable",
            NakReason::WrongAddress => "wrong_address",
            NakReason::UnknownClient => "unknown_client",
            NakReason::UnknownLease => "unknown_lease",
            NakReason::WrongNetwork => "wrong_network",
            NakReason::AddressTaken => "address_taken",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for NakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
