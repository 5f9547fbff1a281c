//! TFTP packets (RFC 1350 §5, RFC 2347 option lists): panic-free parsing of any byte string and
//! encoding of every packet the server sends or receives.
//!
//! Parsing borrows from the datagram. [`Packet::encode`] of a parsed packet parses back to an
//! equal packet (the mode is case-insensitive on input and written in lower case).

use std::fmt;

/// Longest request (RRQ/WRQ) accepted: RFC 2347 limits a request with options to 512 octets.
pub const MAX_REQUEST_LEN: usize = 512;
/// Most options accepted in one request or OACK; longer lists are rejected as malformed.
pub const MAX_OPTIONS: usize = 16;

/// RFC 1350 opcodes (plus OACK, RFC 2347).
mod opcode {
    pub const RRQ: u16 = 1;
    pub const WRQ: u16 = 2;
    pub const DATA: u16 = 3;
    pub const ACK: u16 = 4;
    pub const ERROR: u16 = 5;
    pub const OACK: u16 = 6;
}

/// Transfer mode of a request (RFC 1350 §5). The obsolete "mail" mode is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bytes as they are.
    Octet,
    /// Text: line ends are CR LF on the wire, a bare CR is CR NUL (RFC 764).
    Netascii,
}

impl Mode {
    /// The name as written in a request.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Octet => "octet",
            Mode::Netascii => "netascii",
        }
    }
}

/// TFTP error codes (RFC 1350 §5, RFC 2347 for 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub u16);

impl ErrorCode {
    /// 0: not defined, see the message.
    pub const NOT_DEFINED: ErrorCode = ErrorCode(0);
    /// 1: file not found.
    pub const FILE_NOT_FOUND: ErrorCode = ErrorCode(1);
    /// 2: access violation.
    pub const ACCESS_VIOLATION: ErrorCode = ErrorCode(2);
    /// 3: disk full or allocation exceeded.
    pub const DISK_FULL: ErrorCode = ErrorCode(3);
    /// 4: illegal TFTP operation.
    pub const ILLEGAL_OPERATION: ErrorCode = ErrorCode(4);
    /// 5: unknown transfer ID.
    pub const UNKNOWN_TID: ErrorCode = ErrorCode(5);
    /// 6: file already exists.
    pub const FILE_EXISTS: ErrorCode = ErrorCode(6);
    /// 8: option negotiation refused (RFC 2347).
    pub const OPTION_REFUSED: ErrorCode = ErrorCode(8);
}

/// A read or write request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The file name exactly as sent (not yet checked: see [`crate::root`]).
    pub filename: &'a [u8],
    /// Transfer mode.
    pub mode: Mode,
    /// RFC 2347 options in request order, names as sent.
    pub options: Vec<(&'a str, &'a str)>,
}

/// One TFTP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Read request.
    Rrq(Request<'a>),
    /// Write request.
    Wrq(Request<'a>),
    /// A data block.
    Data {
        /// Block number (wraps from 65535 to 0).
        block: u16,
        /// The payload (shorter than the block size in the last block).
        data: &'a [u8],
    },
    /// Acknowledgement of a block (0 acknowledges an OACK or a WRQ).
    Ack {
        /// The block acknowledged.
        block: u16,
    },
    /// An error; ends the transfer.
    Error {
        /// Error code.
        code: ErrorCode,
        /// Message bytes (without the terminating NUL; not necessarily UTF-8).
        message: &'a [u8],
    },
    /// Option acknowledgement (RFC 2347).
    Oack {
        /// The options the server accepted, with their values.
        options: Vec<(&'a str, &'a str)>,
    },
}

/// Why a datagram is not a TFTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Fewer bytes than the opcode and its fixed fields.
    #[error("packet too short")]
    TooShort,
    /// An opcode RFC 1350 and RFC 2347 do not define.
    #[error("unknown opcode {0}")]
    UnknownOpcode(u16),
    /// A request longer than [`MAX_REQUEST_LEN`].
    #[error("request longer than {MAX_REQUEST_LEN} bytes")]
    TooLong,
    /// A string field without its terminating NUL.
    #[error("unterminated string")]
    Unterminated,
    /// The mode is neither octet nor netascii.
    #[error("unsupported transfer mode")]
    BadMode,
    /// An option name without a value, an empty name, a duplicate or a non-UTF-8 option.
    #[error("malformed option list")]
    BadOption,
    /// More than [`MAX_OPTIONS`] options.
    #[error("more than {MAX_OPTIONS} options")]
    TooManyOptions,
}

fn be16(bytes: &[u8]) -> Option<u16> {
    match bytes {
        [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// Splits `bytes` into NUL-terminated strings; every string must be terminated.
fn nul_strings(bytes: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or(ParseError::Unterminated)?;
        let (field, tail) = rest.split_at(end);
        out.push(field);
        rest = tail.get(1..).unwrap_or(&[]);
        if out.len() > 2 + 2 * MAX_OPTIONS {
            return Err(ParseError::TooManyOptions);
        }
    }
    Ok(out)
}

fn parse_options<'a>(fields: &[&'a [u8]]) -> Result<Vec<(&'a str, &'a str)>, ParseError> {
    if !fields.len().is_multiple_of(2) {
        return Err(ParseError::BadOption);
    }
    if fields.len() / 2 > MAX_OPTIONS {
        return Err(ParseError::TooManyOptions);
    }
    let mut options: Vec<(&str, &str)> = Vec::with_capacity(fields.len() / 2);
    for pair in fields.chunks_exact(2) {
        let (Some(name), Some(value)) = (pair.first(), pair.get(1)) else {
            return Err(ParseError::BadOption);
        };
        let name = std::str::from_utf8(name).map_err(|_| ParseError::BadOption)?;
        let value = std::str::from_utf8(value).map_err(|_| ParseError::BadOption)?;
        if name.is_empty() || options.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(ParseError::BadOption);
        }
        options.push((name, value));
    }
    Ok(options)
}

fn parse_request(body: &[u8]) -> Result<Request<'_>, ParseError> {
    let fields = nul_strings(body)?;
    let (filename, mode, rest) = match fields.as_slice() {
        [filename, mode, rest @ ..] => (*filename, *mode, rest),
        _ => return Err(ParseError::Unterminated),
    };
    let mode = if mode.eq_ignore_ascii_case(b"octet") {
        Mode::Octet
    } else if mode.eq_ignore_ascii_case(b"netascii") {
        Mode::Netascii
    } else {
        return Err(ParseError::BadMode);
    };
    Ok(Request {
        filename,
        mode,
        options: parse_options(rest)?,
    })
}

impl<'a> Packet<'a> {
    /// Parses one datagram. Never panics; anything that is not a well-formed packet is an error.
    pub fn parse(bytes: &'a [u8]) -> Result<Packet<'a>, ParseError> {
        let op = be16(bytes).ok_or(ParseError::TooShort)?;
        let body = bytes.get(2..).unwrap_or(&[]);
        match op {
            opcode::RRQ | opcode::WRQ => {
                if bytes.len() > MAX_REQUEST_LEN {
                    return Err(ParseError::TooLong);
                }
                let req = parse_request(body)?;
                Ok(if op == opcode::RRQ {
                    Packet::Rrq(req)
                } else {
                    Packet::Wrq(req)
                })
            }
            opcode::DATA => Ok(Packet::Data {
                block: be16(body).ok_or(ParseError::TooShort)?,
                data: body.get(2..).unwrap_or(&[]),
            }),
            opcode::ACK => Ok(Packet::Ack {
                block: be16(body).ok_or(ParseError::TooShort)?,
            }),
            opcode::ERROR => {
                let code = ErrorCode(be16(body).ok_or(ParseError::TooShort)?);
                let text = body.get(2..).unwrap_or(&[]);
                let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
                Ok(Packet::Error {
                    code,
                    message: text.get(..end).unwrap_or(&[]),
                })
            }
            opcode::OACK => Ok(Packet::Oack {
                options: parse_options(&nul_strings(body)?)?,
            }),
            other => Err(ParseError::UnknownOpcode(other)),
        }
    }

    /// Writes the packet in wire format.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Packet::Rrq(req) | Packet::Wrq(req) => {
                let op = if matches!(self, Packet::Rrq(_)) {
                    opcode::RRQ
                } else {
                    opcode::WRQ
                };
                out.extend_from_slice(&op.to_be_bytes());
                out.extend_from_slice(req.filename);
                out.push(0);
                out.extend_from_slice(req.mode.as_str().as_bytes());
                out.push(0);
                push_options(&mut out, &req.options);
            }
            Packet::Data { block, data } => return encode_data(*block, data),
            Packet::Ack { block } => return encode_ack(*block),
            Packet::Error { code, message } => return encode_error(*code, message),
            Packet::Oack { options } => {
                out.extend_from_slice(&opcode::OACK.to_be_bytes());
                push_options(&mut out, options);
            }
        }
        out
    }
}

fn push_options(out: &mut Vec<u8>, options: &[(&str, &str)]) {
    for (name, value) in options {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
}

/// A DATA packet for `block` carrying `data`.
pub fn encode_data(block: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + data.len());
    out.extend_from_slice(&opcode::DATA.to_be_bytes());
    out.extend_from_slice(&block.to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// An ACK packet for `block`.
pub fn encode_ack(block: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    out.extend_from_slice(&opcode::ACK.to_be_bytes());
    out.extend_from_slice(&block.to_be_bytes());
    out
}

/// An ERROR packet; NUL bytes in `message` are dropped so the message stays one string.
pub fn encode_error(code: ErrorCode, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + message.len());
    out.extend_from_slice(&opcode::ERROR.to_be_bytes());
    out.extend_from_slice(&code.0.to_be_bytes());
    out.extend(message.iter().copied().filter(|b| *b != 0));
    out.push(0);
    out
}

/// An OACK packet with these options.
pub fn encode_oack(options: &[(String, String)]) -> Vec<u8> {
    let borrowed: Vec<(&str, &str)> = options
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    Packet::Oack { options: borrowed }.encode()
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rrq_with_options() {
        let bytes = b"\x00\x01pxelinux.0\x00OCTET\x00blksize\x001428\x00tsize\x000\x00";
        let p = Packet::parse(bytes).unwrap();
        let Packet::Rrq(req) = &p else {
            panic!("not an RRQ: {p:?}")
        };
        assert_eq!(req.filename, b"pxelinux.0");
        assert_eq!(req.mode, Mode::Octet);
        assert_eq!(req.options, vec![("blksize", "1428"), ("tsize", "0")]);
        let again = p.encode();
        assert_eq!(Packet::parse(&again).unwrap(), p);
    }

    #[test]
    fn parses_wrq_netascii_without_options() {
        let p = Packet::parse(b"\x00\x02notes.txt\x00netascii\x00").unwrap();
        assert_eq!(
            p,
            Packet::Wrq(Request {
                filename: b"notes.txt",
                mode: Mode::Netascii,
                options: vec![],
            })
        );
    }

    #[test]
    fn rejects_malformed_requests() {
        assert_eq!(Packet::parse(b""), Err(ParseError::TooShort));
        assert_eq!(Packet::parse(b"\x00"), Err(ParseError::TooShort));
        assert_eq!(
            Packet::parse(b"\x00\x01file\x00octet"),
            Err(ParseError::Unterminated)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01file\x00"),
            Err(ParseError::Unterminated)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01file\x00mail\x00"),
            Err(ParseError::BadMode)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01f\x00octet\x00blksize\x00"),
            Err(ParseError::BadOption)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01f\x00octet\x00\x00512\x00"),
            Err(ParseError::BadOption)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01f\x00octet\x00blksize\x00512\x00BLKSIZE\x001024\x00"),
            Err(ParseError::BadOption)
        );
        assert_eq!(
            Packet::parse(b"\x00\x01f\x00octet\x00bl\xffksize\x00512\x00"),
            Err(ParseError::BadOption)
        );
        assert_eq!(
            Packet::parse(b"\x00\x07abc"),
            Err(ParseError::UnknownOpcode(7))
        );
        assert_eq!(
            Packet::parse(b"\xff\xff"),
            Err(ParseError::UnknownOpcode(65535))
        );
    }

    #[test]
    fn rejects_oversized_option_lists() {
        let mut many = b"\x00\x01f\x00octet\x00".to_vec();
        for i in 0..(MAX_OPTIONS + 1) {
            many.extend_from_slice(format!("o{i}\x001\x00").as_bytes());
        }
        assert_eq!(Packet::parse(&many), Err(ParseError::TooManyOptions));
        let mut long = b"\x00\x01".to_vec();
        long.extend(std::iter::repeat_n(b'a', 600));
        long.extend_from_slice(b"\x00octet\x00");
        assert_eq!(Packet::parse(&long), Err(ParseError::TooLong));
    }

    #[test]
    fn data_ack_error_oack_round_trip() {
        let data = encode_data(65535, b"hello");
        assert_eq!(
            Packet::parse(&data).unwrap(),
            Packet::Data {
                block: 65535,
                data: b"hello"
            }
        );
        assert_eq!(encode_ack(7), b"\x00\x04\x00\x07");
        assert_eq!(
            Packet::parse(b"\x00\x04\x00\x07").unwrap(),
            Packet::Ack { block: 7 }
        );
        let err = encode_error(ErrorCode::FILE_NOT_FOUND, b"not\0 found");
        assert_eq!(err, b"\x00\x05\x00\x01not found\x00");
        assert_eq!(
            Packet::parse(&err).unwrap(),
            Packet::Error {
                code: ErrorCode::FILE_NOT_FOUND,
                message: b"not found"
            }
        );
        let oack = encode_oack(&[("blksize".into(), "1428".into())]);
        assert_eq!(oack, b"\x00\x06blksize\x001428\x00");
        assert_eq!(
            Packet::parse(&oack).unwrap(),
            Packet::Oack {
                options: vec![("blksize", "1428")]
            }
        );
        // An empty DATA block (the end of a file whose size is a multiple of the block size).
        assert_eq!(
            Packet::parse(b"\x00\x03\x00\x02").unwrap(),
            Packet::Data {
                block: 2,
                data: b""
            }
        );
        // An ERROR without its NUL still parses (some clients omit it).
        assert_eq!(
            Packet::parse(b"\x00\x05\x00\x00bye").unwrap(),
            Packet::Error {
                code: ErrorCode::NOT_DEFINED,
                message: b"bye"
            }
        );
    }
}
