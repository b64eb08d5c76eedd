//! [`TailPipe`]: the guest's stderr, kept in memory up to a byte budget. Writes never
//! fail (a failing stderr would turn a chatty plugin's `eprintln!` into a panic); when
//! the budget is exceeded the *oldest* bytes are dropped, so the end of the output —
//! where a Rust panic message is — survives.
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Largest single write the guest is offered (it may write more in several calls).
const WRITE_BUDGET: usize = 64 << 10;

/// A bounded, shared tail buffer; clones share the bytes.
#[derive(Debug, Clone)]
pub struct TailPipe {
    capacity: usize,
    buffer: Arc<Mutex<VecDeque<u8>>>,
}

impl TailPipe {
    pub fn new(capacity: usize) -> Self {
        TailPipe {
            capacity,
            buffer: Arc::new(Mutex::new(VecDeque::new())),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let keep = bytes.len().min(self.capacity);
        buffer.extend(&bytes[bytes.len() - keep..]);
        let excess = buffer.len().saturating_sub(self.capacity);
        buffer.drain(..excess);
    }

    /// Everything kept so far, lossily decoded.
    pub fn contents(&self) -> String {
        let buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let (a, b) = buffer.as_slices();
        String::from_utf8_lossy(&[a, b].concat()).into_owned()
    }

    /// Forgets what was written (at the start of each call).
    pub fn clear(&self) {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl IsTerminal for TailPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for TailPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TailPipe {
    async fn ready(&mut self) {}
}

impl OutputStream for TailPipe {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

impl tokio::io::AsyncWrite for TailPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail_and_never_fails() {
        let mut pipe = TailPipe::new(8);
        pipe.write(Bytes::from_static(b"0123456789")).unwrap();
        assert_eq!(pipe.contents(), "23456789");
        pipe.write(Bytes::from_static(b"ab")).unwrap();
        assert_eq!(pipe.contents(), "456789ab");
        assert_eq!(pipe.check_write().unwrap(), WRITE_BUDGET);
        pipe.clear();
        assert_eq!(pipe.contents(), "");
    }
}
