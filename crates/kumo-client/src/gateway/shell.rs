//! The lease-shell websocket framing (`../shared/spec/akash-offchain.md` §3.5): binary messages
//! whose first byte says what the rest is.
//!
//! One addition of ours: a stdin frame (104) with an empty payload means "stdin is closed"
//! (Akash's client never sends an empty stdin frame, so nothing it does changes meaning).

use serde::{Deserialize, Serialize};

pub const CODE_STDOUT: u8 = 100;
pub const CODE_STDERR: u8 = 101;
pub const CODE_RESULT: u8 = 102;
pub const CODE_FAILURE: u8 = 103;
pub const CODE_STDIN: u8 = 104;
pub const CODE_RESIZE: u8 = 105;

/// The JSON of a result frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecResult {
    pub exit_code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Result(ExecResult),
    /// The command could not run; details are withheld from the tenant.
    Failure,
    Stdin(Vec<u8>),
    Resize {
        width: u16,
        height: u16,
    },
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let (code, payload) = match self {
            Frame::Stdout(b) => (CODE_STDOUT, b.clone()),
            Frame::Stderr(b) => (CODE_STDERR, b.clone()),
            Frame::Result(r) => (
                CODE_RESULT,
                serde_json::to_vec(r).expect("result serializes"),
            ),
            Frame::Failure => (CODE_FAILURE, vec![]),
            Frame::Stdin(b) => (CODE_STDIN, b.clone()),
            Frame::Resize { width, height } => {
                let mut p = width.to_be_bytes().to_vec();
                p.extend_from_slice(&height.to_be_bytes());
                (CODE_RESIZE, p)
            }
        };
        let mut out = Vec::with_capacity(payload.len() + 1);
        out.push(code);
        out.extend_from_slice(&payload);
        out
    }

    pub fn decode(data: &[u8]) -> Result<Frame, String> {
        let (&code, payload) = data.split_first().ok_or("empty shell frame")?;
        Ok(match code {
            CODE_STDOUT => Frame::Stdout(payload.to_vec()),
            CODE_STDERR => Frame::Stderr(payload.to_vec()),
            CODE_RESULT => Frame::Result(
                serde_json::from_slice(payload)
                    .map_err(|e| format!("shell result frame is not JSON: {e}"))?,
            ),
            CODE_FAILURE => Frame::Failure,
            CODE_STDIN => Frame::Stdin(payload.to_vec()),
            CODE_RESIZE => {
                let [w0, w1, h0, h1] = payload else {
                    return Err(format!(
                        "resize frame carries {} bytes; expected 4 (width, height as u16 BE)",
                        payload.len()
                    ));
                };
                Frame::Resize {
                    width: u16::from_be_bytes([*w0, *w1]),
                    height: u16::from_be_bytes([*h0, *h1]),
                }
            }
            other => return Err(format!("unknown shell frame code {other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes() {
        assert_eq!(Frame::Stdout(b"hi".to_vec()).encode(), b"\x64hi");
        assert_eq!(Frame::Stderr(b"e".to_vec()).encode(), b"\x65e");
        assert_eq!(Frame::Failure.encode(), vec![103]);
        assert_eq!(Frame::Stdin(b"ls\n".to_vec()).encode(), b"\x68ls\n");
        assert_eq!(
            Frame::Resize {
                width: 80,
                height: 0x0102
            }
            .encode(),
            vec![105, 0, 80, 1, 2]
        );
        assert_eq!(
            Frame::Result(ExecResult {
                exit_code: 3,
                message: None
            })
            .encode(),
            b"\x66{\"exit_code\":3}"
        );
    }

    #[test]
    fn round_trip_and_errors() {
        for f in [
            Frame::Stdout(vec![0, 255]),
            Frame::Stderr(vec![]),
            Frame::Result(ExecResult {
                exit_code: -1,
                message: Some("killed".into()),
            }),
            Frame::Failure,
            Frame::Stdin(b"x".to_vec()),
            Frame::Resize {
                width: 65535,
                height: 1,
            },
        ] {
            assert_eq!(Frame::decode(&f.encode()).unwrap(), f);
        }
        assert!(Frame::decode(&[]).is_err());
        assert!(Frame::decode(&[99]).is_err());
        assert!(Frame::decode(&[105, 0, 80]).is_err());
        assert!(Frame::decode(&[102, b'{']).is_err());
    }
}
