//! Netascii conversion (RFC 1350 mode "netascii", RFC 764): on the wire a line ends with CR LF
//! and a bare CR is CR NUL; on disk (Unix) a line ends with LF.
//!
//! [`Encoder`] turns a file into wire bytes for a read request; [`Decoder`] turns wire bytes back
//! for a write request.

use std::io::{self, BufRead, Read, Write};

/// Reads a Unix text file as netascii: LF becomes CR LF, CR becomes CR NUL.
#[derive(Debug)]
pub struct Encoder<R> {
    inner: R,
    /// Second byte of an expansion that did not fit in the caller's buffer.
    pending: Option<u8>,
}

impl<R: BufRead> Encoder<R> {
    /// Wraps a buffered reader of the file.
    pub fn new(inner: R) -> Self {
        Encoder {
            inner,
            pending: None,
        }
    }
}

impl<R: BufRead> Read for Encoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if let Some(b) = self.pending.take() {
                if let Some(slot) = buf.get_mut(n) {
                    *slot = b;
                }
                n += 1;
                continue;
            }
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let mut used = 0;
            for &b in chunk {
                if n >= buf.len() {
                    break;
                }
                let (first, second) = match b {
                    b'\n' => (b'\r', Some(b'\n')),
                    b'\r' => (b'\r', Some(0)),
                    other => (other, None),
                };
                if let Some(slot) = buf.get_mut(n) {
                    *slot = first;
                }
                n += 1;
                used += 1;
                if let Some(second) = second {
                    match buf.get_mut(n) {
                        Some(slot) => {
                            *slot = second;
                            n += 1;
                        }
                        None => {
                            self.pending = Some(second);
                            break;
                        }
                    }
                }
            }
            self.inner.consume(used);
            if self.pending.is_some() {
                break;
            }
        }
        Ok(n)
    }
}

/// Writes netascii wire bytes as a Unix text file: CR LF becomes LF, CR NUL becomes CR.
///
/// A CR at the end of one block may be completed by the next one; [`Write::flush`] at the end of
/// the transfer writes a CR still waiting for its partner.
#[derive(Debug)]
pub struct Decoder<W> {
    inner: W,
    after_cr: bool,
}

impl<W: Write> Decoder<W> {
    /// Wraps the file being written.
    pub fn new(inner: W) -> Self {
        Decoder {
            inner,
            after_cr: false,
        }
    }

    /// The wrapped writer (call [`Write::flush`] first to write a dangling CR).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Decoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + 1);
        for &b in buf {
            if self.after_cr {
                self.after_cr = false;
                match b {
                    b'\n' => out.push(b'\n'),
                    0 => out.push(b'\r'),
                    b'\r' => {
                        out.push(b'\r');
                        self.after_cr = true;
                    }
                    other => out.extend_from_slice(&[b'\r', other]),
                }
            } else if b == b'\r' {
                self.after_cr = true;
            } else {
                out.push(b);
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.after_cr) {
            self.inner.write_all(b"\r")?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(input: &[u8], chunk: usize) -> Vec<u8> {
        let mut enc = Encoder::new(io::BufReader::with_capacity(3, input));
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            let n = enc.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn encodes_line_ends_and_bare_cr_across_buffer_edges() {
        let input = b"a\nb\rc\n\n";
        let want = b"a\r\nb\r\0c\r\n\r\n";
        for chunk in 1..8 {
            assert_eq!(encode(input, chunk), want, "chunk {chunk}");
        }
    }

    #[test]
    fn decodes_across_block_edges() {
        let wire = b"a\r\nb\r\0c\r\n\r";
        for split in 0..wire.len() {
            let mut dec = Decoder::new(Vec::new());
            dec.write_all(&wire[..split]).unwrap();
            dec.write_all(&wire[split..]).unwrap();
            dec.flush().unwrap();
            assert_eq!(dec.inner, b"a\nb\rc\n\r", "split {split}");
        }
    }
}
