//! An in-memory redb backend that grows in fixed-size chunks.
//!
//! redb's own `InMemoryBackend` keeps one `Vec<u8>` and extends it a byte at a time, so every
//! growth of the database copies (and re-zeroes) the whole file: a block that grows the store
//! pays for the store's entire size. Chunks never move once allocated, so growing costs only the
//! new chunk (which the allocator hands out zeroed, lazily, from the OS).

use redb::StorageBackend;
use std::io;
use std::sync::RwLock;

/// 1 MiB: large enough that a block's growth is a handful of chunks, small enough that the
/// unused tail of the last chunk does not matter.
const CHUNK: usize = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct ChunkedMemory(RwLock<Chunks>);

#[derive(Debug, Default)]
struct Chunks {
    len: usize,
    chunks: Vec<Box<[u8]>>,
}

fn out_of_range(offset: u64, len: usize, size: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("range {offset}+{len} is beyond the in-memory database's {size} bytes"),
    )
}

impl Chunks {
    /// Calls `f(chunk, start_in_chunk, start_in_data, n)` for each piece of `[offset, offset+len)`.
    fn pieces(
        &self,
        offset: u64,
        len: usize,
        mut f: impl FnMut(usize, usize, usize, usize),
    ) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| out_of_range(offset, len, self.len))?;
        if start.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(out_of_range(offset, len, self.len));
        }
        let mut done = 0;
        while done < len {
            let at = start + done;
            let (chunk, within) = (at / CHUNK, at % CHUNK);
            let n = (CHUNK - within).min(len - done);
            f(chunk, within, done, n);
            done += n;
        }
        Ok(())
    }
}

impl StorageBackend for ChunkedMemory {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.read().expect("memory backend lock").len as u64)
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let c = self.0.read().expect("memory backend lock");
        let mut out = vec![0u8; len];
        c.pieces(offset, len, |chunk, within, at, n| {
            out[at..at + n].copy_from_slice(&c.chunks[chunk][within..within + n]);
        })?;
        Ok(out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut c = self.0.write().expect("memory backend lock");
        let len = usize::try_from(len).map_err(|_| out_of_range(len, 0, c.len))?;
        if len < c.len {
            // Zero the cut-off part of the last kept chunk: a later growth must read zeros.
            let keep = len.div_ceil(CHUNK);
            c.chunks.truncate(keep);
            if len % CHUNK != 0 {
                let within = len % CHUNK;
                c.chunks[keep - 1][within..].fill(0);
            }
        } else {
            let want = len.div_ceil(CHUNK);
            while c.chunks.len() < want {
                c.chunks.push(vec![0u8; CHUNK].into_boxed_slice());
            }
        }
        c.len = len;
        Ok(())
    }

    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut c = self.0.write().expect("memory backend lock");
        let mut pieces = Vec::new();
        c.pieces(offset, data.len(), |chunk, within, at, n| {
            pieces.push((chunk, within, at, n))
        })?;
        for (chunk, within, at, n) in pieces {
            c.chunks[chunk][within..within + n].copy_from_slice(&data[at..at + n]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_writes_across_chunks_and_zeroes_regrown_space() {
        let m = ChunkedMemory::default();
        m.set_len(3 * CHUNK as u64).unwrap();
        let data: Vec<u8> = (0..CHUNK + 100).map(|i| (i % 251) as u8 + 1).collect();
        let at = (CHUNK - 50) as u64;
        m.write(at, &data).unwrap();
        assert_eq!(m.read(at, data.len()).unwrap(), data);
        assert!(
            m.read(3 * CHUNK as u64 - 1, 2).is_err(),
            "reads past the end fail"
        );
        assert!(
            m.write(3 * CHUNK as u64, &[1]).is_err(),
            "writes past the end fail"
        );
        // Shrink into the written range, grow again: the regrown bytes are zero.
        m.set_len(CHUNK as u64).unwrap();
        m.set_len(3 * CHUNK as u64).unwrap();
        assert_eq!(m.read(at, 50).unwrap(), data[..50]);
        assert!(m
            .read(CHUNK as u64, CHUNK + 50)
            .unwrap()
            .iter()
            .all(|&b| b == 0));
        assert_eq!(m.len().unwrap(), 3 * CHUNK as u64);
    }
}
