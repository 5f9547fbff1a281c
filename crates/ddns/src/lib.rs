//! Dynamic DNS updates (RFC 2136 with TSIG; RFC 4701 DHCID; RFC 4703 conflict resolution).
//! Work in progress: see issue 17.
#![forbid(unsafe_code)]
