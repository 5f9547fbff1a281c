//! Counters of the updater.

/// A snapshot of the updater's counters. Every message sent ends in exactly one of `succeeded`,
/// `prerequisite_not_met`, a `failed_*`, `timeouts`, or is still `in_flight`
/// ([`DdnsStats::is_consistent`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DdnsStats {
    /// Update messages sent.
    pub sent: u64,
    /// Answers with NOERROR.
    pub succeeded: u64,
    /// Answers YXDOMAIN, YXRRSET or NXRRSET to a message whose prerequisites are a step of the
    /// RFC 4703 sequence (not failures: the sequence goes on from them).
    pub prerequisite_not_met: u64,
    /// Answers REFUSED.
    pub failed_refused: u64,
    /// Answers NOTAUTH (BIND's answer to a wrong or missing TSIG key).
    pub failed_notauth: u64,
    /// Answers NOTZONE.
    pub failed_notzone: u64,
    /// Answers FORMERR.
    pub failed_formerr: u64,
    /// Answers SERVFAIL.
    pub failed_servfail: u64,
    /// Other failure answers (NOTIMP, NXDOMAIN, an rcode unexpected at that step, ...).
    pub failed_other: u64,
    /// Messages that got no answer within the timeout.
    pub timeouts: u64,
    /// Names held by another client's DHCID (RFC 4703 §5.3.1), left alone.
    pub conflicts: u64,
    /// Submits dropped because `queue_limit` addresses already had work owed.
    pub dropped: u64,
    /// Datagrams ignored: not an answer to a message in flight (wrong id or source), malformed,
    /// or not an UPDATE response.
    pub ignored: u64,
    /// Answers to a message in flight whose TSIG did not verify (a NOERROR/YX/NX answer is only
    /// believed when signed by the zone's key); the message stays in flight.
    pub bad_tsig: u64,
    /// Halves (forward or reverse) skipped because no configured zone contains the name.
    pub skipped_no_zone: u64,
    /// Wishes whose name is not a valid DNS name (nothing done for them).
    pub bad_names: u64,
    /// Messages that could not be built or signed (retried with back-off).
    pub encode_errors: u64,
    /// Addresses with work owed now (gauge).
    pub pending: u64,
    /// Messages in flight now (gauge).
    pub in_flight: u64,
}

impl DdnsStats {
    /// All failure answers.
    pub fn failed(&self) -> u64 {
        self.failed_refused
            + self.failed_notauth
            + self.failed_notzone
            + self.failed_formerr
            + self.failed_servfail
            + self.failed_other
    }

    /// Whether every sent message is accounted for exactly once.
    pub fn is_consistent(&self) -> bool {
        self.sent
            == self.succeeded
                + self.prerequisite_not_met
                + self.failed()
                + self.timeouts
                + self.in_flight
    }
}
