//! State-machine tests: no sockets, no sleeping; time is an `Instant` moved by hand.

use super::*;
use crate::tftp::netascii;
use crate::tftp::options::Negotiated;
use std::io::Cursor;

const T: Duration = Duration::from_secs(1);

fn params(blksize: u16, windowsize: u16, oack: bool) -> Negotiated {
    Negotiated {
        blksize,
        windowsize,
        timeout: T,
        announced_size: None,
        oack: if oack {
            vec![("blksize".into(), blksize.to_string())]
        } else {
            vec![]
        },
    }
}

fn sends(actions: &[Action]) -> Vec<Packet<'_>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(bytes) => Some(Packet::parse(bytes).unwrap()),
            _ => None,
        })
        .collect()
}

fn data_blocks(actions: &[Action]) -> Vec<(u16, usize)> {
    sends(actions)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Data { block, data } => Some((block, data.len())),
            _ => None,
        })
        .collect()
}

fn finished(actions: &[Action]) -> Option<&Outcome> {
    actions.iter().find_map(|a| match a {
        Action::Finished(o) => Some(o),
        _ => None,
    })
}

fn ack(block: u16) -> Vec<u8> {
    encode_ack(block)
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A well-behaved client: ACKs the last block of each window; returns the received bytes.
fn download(t: &mut ReadTransfer<Cursor<Vec<u8>>>, now: Instant) -> (Vec<u8>, Outcome) {
    let mut got = Vec::new();
    let mut actions = t.start(now);
    for _ in 0..1_000_000 {
        if let Some(o) = finished(&actions) {
            return (got, o.clone());
        }
        let mut last = None;
        for p in sends(&actions) {
            match p {
                Packet::Oack { .. } => last = Some(0),
                Packet::Data { block, data } => {
                    got.extend_from_slice(data);
                    last = Some(block);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(t.unacknowledged() <= t.windowsize());
        actions = t.on_packet(&ack(last.expect("something sent")), now);
    }
    panic!("transfer did not end")
}

#[test]
fn lockstep_transfer_of_various_sizes() {
    let now = Instant::now();
    for len in [0, 1, 511, 512, 513, 1024, 5000] {
        let content = file(len);
        let mut t = ReadTransfer::new(Cursor::new(content.clone()), &params(512, 1, false), 5);
        let (got, outcome) = download(&mut t, now);
        assert_eq!(outcome, Outcome::Completed, "len {len}");
        assert_eq!(got, content, "len {len}");
        // A file that is a multiple of the block size ends with an empty block.
        assert_eq!(t.progress().blocks, len as u64 / 512 + 1, "len {len}");
        assert!(t.is_finished());
    }
}

#[test]
fn first_packet_to_unverified_peer_is_one_data_block() {
    let mut t = ReadTransfer::new(Cursor::new(file(10_000)), &params(512, 1, false), 5);
    let actions = t.start(Instant::now());
    assert_eq!(data_blocks(&actions), vec![(1, 512)]);
}

#[test]
fn negotiated_transfer_starts_with_oack_only_then_windows() {
    let now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(100 * 1024)), &params(1024, 4, true), 5);
    let actions = t.start(now);
    assert!(matches!(sends(&actions).as_slice(), [Packet::Oack { .. }]));
    assert!(data_blocks(&actions).is_empty());
    // A stray ACK that is not 0 while waiting for the OACK's ACK changes nothing.
    assert!(t.on_packet(&ack(3), now).is_empty());
    let actions = t.on_packet(&ack(0), now);
    assert_eq!(
        data_blocks(&actions),
        vec![(1, 1024), (2, 1024), (3, 1024), (4, 1024)]
    );
    assert_eq!(t.unacknowledged(), 4);
    // A duplicate ACK 0 is ignored.
    assert!(t.on_packet(&ack(0), now).is_empty());
    // ACK 2, before the window end: the next window starts at block 3 (RFC 7440).
    let actions = t.on_packet(&ack(2), now);
    assert_eq!(
        data_blocks(&actions)
            .iter()
            .map(|d| d.0)
            .collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    assert_eq!(t.unacknowledged(), 4);
    let actions = t.on_packet(&ack(6), now);
    assert_eq!(
        data_blocks(&actions)
            .iter()
            .map(|d| d.0)
            .collect::<Vec<_>>(),
        vec![7, 8, 9, 10]
    );
}

#[test]
fn windowed_download_is_complete() {
    let now = Instant::now();
    let content = file(1468 * 37 + 5);
    let mut t = ReadTransfer::new(Cursor::new(content.clone()), &params(1468, 16, true), 5);
    let (got, outcome) = download(&mut t, now);
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(got, content);
}

#[test]
fn duplicate_ack_never_triggers_retransmission() {
    let now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(4096)), &params(512, 1, false), 5);
    t.start(now);
    assert_eq!(data_blocks(&t.on_packet(&ack(1), now)), vec![(2, 512)]);
    for _ in 0..10 {
        assert!(
            t.on_packet(&ack(1), now).is_empty(),
            "duplicate ACK answered"
        );
    }
    // A stale ACK far outside the window is ignored too.
    assert!(t.on_packet(&ack(40_000), now).is_empty());
    assert_eq!(data_blocks(&t.on_packet(&ack(2), now)), vec![(3, 512)]);
}

#[test]
fn retransmits_on_timeout_only_and_gives_up_after_retries() {
    let start = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(4096)), &params(512, 1, false), 3);
    let actions = t.start(start);
    assert!(actions.contains(&Action::ArmTimer(start + T)));
    // A timer that fires early only re-arms.
    assert_eq!(
        t.on_timeout(start + T / 2),
        vec![Action::ArmTimer(start + T)]
    );
    let mut now = start;
    for round in 1..=3 {
        now += T;
        let actions = t.on_timeout(now);
        assert_eq!(data_blocks(&actions), vec![(1, 512)], "round {round}");
        assert!(actions.contains(&Action::ArmTimer(now + T)));
    }
    now += T;
    let actions = t.on_timeout(now);
    assert_eq!(finished(&actions), Some(&Outcome::TimedOut));
    assert!(data_blocks(&actions).is_empty());
    assert!(t.is_finished());
    assert_eq!(t.unacknowledged(), 0, "window buffers freed");
    assert_eq!(t.progress().retransmissions, 3);
    // Nothing happens after the end.
    assert!(t.on_timeout(now + T).is_empty());
    assert!(t.on_packet(&ack(1), now).is_empty());
}

#[test]
fn progress_resets_the_retry_count() {
    let mut now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(2048)), &params(512, 1, false), 1);
    t.start(now);
    now += T;
    assert_eq!(data_blocks(&t.on_timeout(now)), vec![(1, 512)]);
    t.on_packet(&ack(1), now);
    now += T;
    assert_eq!(data_blocks(&t.on_timeout(now)), vec![(2, 512)]);
}

#[test]
fn timeout_resends_the_whole_window_and_oack() {
    let mut now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(10_000)), &params(512, 3, true), 5);
    t.start(now);
    now += T;
    assert!(matches!(
        sends(&t.on_timeout(now)).as_slice(),
        [Packet::Oack { .. }]
    ));
    t.on_packet(&ack(0), now);
    now += T;
    let blocks: Vec<u16> = data_blocks(&t.on_timeout(now))
        .iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(blocks, vec![1, 2, 3]);
}

#[test]
fn block_numbers_roll_over_from_65535_to_0() {
    let now = Instant::now();
    // 65536 + 2 full blocks of 8 bytes, then the empty final block.
    let blocks = 65_536 + 2;
    let content = file(8 * blocks);
    let mut t = ReadTransfer::new(Cursor::new(content.clone()), &params(8, 1, true), 5);
    let mut actions = t.start(now);
    actions.extend(t.on_packet(&ack(0), now));
    let mut got = Vec::new();
    let mut seen = Vec::new();
    loop {
        if let Some(o) = finished(&actions) {
            assert_eq!(o, &Outcome::Completed);
            break;
        }
        let d = sends(&actions)
            .into_iter()
            .find_map(|p| match p {
                Packet::Data { block, data } => Some((block, data.to_vec())),
                _ => None,
            })
            .expect("a DATA block");
        got.extend_from_slice(&d.1);
        seen.push(d.0);
        actions = t.on_packet(&ack(d.0), now);
    }
    assert_eq!(got, content);
    assert_eq!(seen.len(), blocks + 1);
    assert_eq!(&seen[65_533..65_538], &[65_534, 65_535, 0, 1, 2]);
}

#[test]
fn netascii_read_converts_line_ends() {
    let now = Instant::now();
    let text = b"line one\nline two\r\n".repeat(40);
    let enc = netascii::Encoder::new(std::io::BufReader::new(Cursor::new(text.clone())));
    let mut t = ReadTransfer::new(enc, &params(512, 1, false), 5);
    let mut got = Vec::new();
    let mut actions = t.start(now);
    while finished(&actions).is_none() {
        let (block, data) = sends(&actions)
            .into_iter()
            .find_map(|p| match p {
                Packet::Data { block, data } => Some((block, data.to_vec())),
                _ => None,
            })
            .unwrap();
        got.extend_from_slice(&data);
        actions = t.on_packet(&ack(block), now);
    }
    let want: Vec<u8> = b"line one\r\nline two\r\0\r\n".repeat(40);
    assert_eq!(got, want);
}

#[test]
fn peer_error_mid_transfer_ends_it() {
    let now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(10_000)), &params(512, 1, false), 5);
    t.start(now);
    t.on_packet(&ack(1), now);
    let actions = t.on_packet(&encode_error(ErrorCode::DISK_FULL, b"no space"), now);
    assert_eq!(
        finished(&actions),
        Some(&Outcome::PeerError {
            code: 3,
            message: "no space".into()
        })
    );
    assert!(sends(&actions).is_empty(), "no answer to an ERROR");
    assert!(t.is_finished());
}

#[test]
fn illegal_packet_mid_transfer_gets_error_4() {
    let now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(10_000)), &params(512, 1, false), 5);
    t.start(now);
    let actions = t.on_packet(&encode_data(1, b"x"), now);
    assert_eq!(finished(&actions), Some(&Outcome::ProtocolError));
    assert!(matches!(
        sends(&actions).as_slice(),
        [Packet::Error {
            code: ErrorCode::ILLEGAL_OPERATION,
            ..
        }]
    ));
    // Garbage is ignored, not fatal.
    let mut t = ReadTransfer::new(Cursor::new(file(10)), &params(512, 1, false), 5);
    t.start(now);
    assert!(t.on_packet(b"\x00", now).is_empty());
    assert!(!t.is_finished());
}

#[test]
fn abort_sends_error_and_ends() {
    let now = Instant::now();
    let mut t = ReadTransfer::new(Cursor::new(file(10_000)), &params(512, 1, false), 5);
    t.start(now);
    let actions = t.abort();
    assert_eq!(finished(&actions), Some(&Outcome::Aborted));
    assert_eq!(sends(&actions).len(), 1);
    assert!(t.abort().is_empty());
}

struct FailingReader;
impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk gone"))
    }
}

#[test]
fn read_error_ends_with_error_packet() {
    let mut t = ReadTransfer::new(FailingReader, &params(512, 1, false), 5);
    let actions = t.start(Instant::now());
    assert!(matches!(finished(&actions), Some(Outcome::Io(_))));
    assert!(matches!(
        sends(&actions).as_slice(),
        [Packet::Error {
            code: ErrorCode::NOT_DEFINED,
            ..
        }]
    ));
}

// ---- write transfers ----

fn acks(actions: &[Action]) -> Vec<u16> {
    sends(actions)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Ack { block } => Some(block),
            _ => None,
        })
        .collect()
}

#[test]
fn write_lockstep_with_final_short_block() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(512, 1, false), 5, 1 << 20);
    assert_eq!(acks(&t.start(now)), vec![0]);
    let content = file(1300);
    for (block, chunk) in (1u16..).zip(content.chunks(512)) {
        let actions = t.on_packet(&encode_data(block, chunk), now);
        assert_eq!(acks(&actions), vec![block]);
    }
    // Dallying: the repeated last block gets the final ACK again, nothing else is answered.
    assert!(!t.is_finished());
    assert_eq!(
        acks(&t.on_packet(&encode_data(3, &content[1024..]), now)),
        vec![3]
    );
    assert!(t
        .on_packet(&encode_data(2, &content[512..1024]), now)
        .is_empty());
    assert!(t.on_packet(&encode_ack(3), now).is_empty());
    let actions = t.on_timeout(now + T);
    assert_eq!(finished(&actions), Some(&Outcome::Completed));
    assert!(t.is_finished());
    assert_eq!(t.progress().bytes, 1300);
    assert_eq!(t.into_sink(), content);
}

#[test]
fn write_repeated_block_is_acknowledged_again_not_rewritten() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(512, 1, false), 5, 1 << 20);
    t.start(now);
    let block1 = file(512);
    assert_eq!(acks(&t.on_packet(&encode_data(1, &block1), now)), vec![1]);
    assert_eq!(acks(&t.on_packet(&encode_data(1, &block1), now)), vec![1]);
    assert_eq!(acks(&t.on_packet(&encode_data(2, b"end"), now)), vec![2]);
    let mut want = block1.clone();
    want.extend_from_slice(b"end");
    assert_eq!(t.into_sink(), want);
}

#[test]
fn write_window_acks_at_window_end_and_on_gap() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(8, 3, true), 5, 1 << 20);
    assert!(matches!(
        sends(&t.start(now)).as_slice(),
        [Packet::Oack { .. }]
    ));
    assert!(acks(&t.on_packet(&encode_data(1, &[1; 8]), now)).is_empty());
    assert!(acks(&t.on_packet(&encode_data(2, &[2; 8]), now)).is_empty());
    assert_eq!(acks(&t.on_packet(&encode_data(3, &[3; 8]), now)), vec![3]);
    // Block 5 before 4: ACK 3 (what we have), nothing written.
    assert_eq!(acks(&t.on_packet(&encode_data(5, &[5; 8]), now)), vec![3]);
    assert_eq!(t.progress().blocks, 3);
}

#[test]
fn write_beyond_cap_is_refused_with_error_3() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(512, 1, false), 5, 1000);
    t.start(now);
    t.on_packet(&encode_data(1, &file(512)), now);
    let actions = t.on_packet(&encode_data(2, &file(512)), now);
    assert_eq!(finished(&actions), Some(&Outcome::TooLarge));
    assert!(matches!(
        sends(&actions).as_slice(),
        [Packet::Error {
            code: ErrorCode::DISK_FULL,
            ..
        }]
    ));
}

#[test]
fn write_times_out_resending_last_ack() {
    let mut now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(512, 1, false), 5, 1 << 20);
    t.start(now);
    t.on_packet(&encode_data(1, &file(512)), now);
    for _ in 0..5 {
        now += T;
        assert_eq!(acks(&t.on_timeout(now)), vec![1]);
    }
    now += T;
    assert_eq!(finished(&t.on_timeout(now)), Some(&Outcome::TimedOut));
}

#[test]
fn netascii_write_is_decoded() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(
        netascii::Decoder::new(Vec::new()),
        &params(512, 1, false),
        5,
        1 << 20,
    );
    t.start(now);
    assert_eq!(
        acks(&t.on_packet(&encode_data(1, b"a\r\nb\r\0c\r"), now)),
        vec![1]
    );
    assert_eq!(finished(&t.abort()), Some(&Outcome::Completed));
    // The last block flushes the decoder, which writes the dangling CR.
    assert_eq!(t.into_sink().into_inner(), b"a\nb\rc\r");
}

#[test]
fn write_block_numbers_roll_over() {
    let now = Instant::now();
    let mut t = WriteTransfer::new(Vec::new(), &params(8, 1, false), 5, 1 << 30);
    t.start(now);
    let blocks = 65_536 + 3;
    for i in 1..=blocks {
        let block = (i % 65_536) as u16;
        let last = i == blocks;
        let data = if last {
            vec![7u8; 3]
        } else {
            vec![(i % 251) as u8; 8]
        };
        let actions = t.on_packet(&encode_data(block, &data), now);
        assert_eq!(acks(&actions), vec![block], "index {i}");
    }
    assert_eq!(finished(&t.on_timeout(now + T)), Some(&Outcome::Completed));
    assert_eq!(t.progress().blocks, blocks as u64);
    assert_eq!(t.into_sink().len(), (blocks - 1) * 8 + 3);
}
