//! A minimal binary codec for cache payloads: little-endian integers and
//! length-prefixed arrays, read back with bounds checks (a bad payload is an `Err`, never
//! a panic).

/// Appends values to a payload.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    pub fn with_capacity(bytes: usize) -> Encoder {
        Encoder {
            buf: Vec::with_capacity(bytes),
        }
    }

    pub fn u64(&mut self, value: u64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self, value: &[u8]) {
        self.u64(value.len() as u64);
        self.buf.extend_from_slice(value);
    }

    pub fn u32s(&mut self, values: &[u32]) {
        self.u64(values.len() as u64);
        self.buf.reserve(values.len() * 4);
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn u64s(&mut self, values: &[u64]) {
        self.u64(values.len() as u64);
        self.buf.reserve(values.len() * 8);
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads values back in the order they were written.
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [u8]) -> Decoder<'a> {
        Decoder { data, pos: 0 }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| format!("payload ends early (need {len} bytes at {})", self.pos))?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub fn u64(&mut self) -> Result<u64, String> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| "bad u64")?))
    }

    fn len(&mut self, width: usize) -> Result<usize, String> {
        let len = usize::try_from(self.u64()?).map_err(|_| "length overflow")?;
        len.checked_mul(width)
            .ok_or_else(|| "length overflow".into())
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.len(1)?;
        self.take(len)
    }

    pub fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let len = self.len(4)?;
        Ok(self
            .take(len)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub fn u64s(&mut self) -> Result<Vec<u64>, String> {
        let len = self.len(8)?;
        Ok(self
            .take(len)?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    /// Fails unless every byte was read.
    pub fn finish(self) -> Result<(), String> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(format!("{} trailing bytes", self.data.len() - self.pos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_short_payloads_fail() {
        let mut enc = Encoder::default();
        enc.u64(7);
        enc.bytes(b"abc");
        enc.u32s(&[1, u32::MAX]);
        enc.u64s(&[u64::MAX]);
        let payload = enc.finish();
        let mut dec = Decoder::new(&payload);
        assert_eq!(dec.u64().unwrap(), 7);
        assert_eq!(dec.bytes().unwrap(), b"abc");
        assert_eq!(dec.u32s().unwrap(), [1, u32::MAX]);
        assert_eq!(dec.u64s().unwrap(), [u64::MAX]);
        dec.finish().unwrap();

        let mut short = Decoder::new(&payload[..12]);
        short.u64().unwrap();
        assert!(short.bytes().unwrap_err().contains("ends early"));
        let mut huge = Decoder::new(&[0xff; 8]);
        assert!(huge.u32s().is_err());
    }
}
