//! The one error type of the client.

use thiserror::Error;

/// Everything that can go wrong talking to a node or building a transaction.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The TCP connection to the node failed (refused, DNS, reset before a response).
    #[error("cannot reach node at {url}: is `kumo node start` running? ({detail})")]
    Unreachable { url: String, detail: String },

    /// The node answered with an HTTP error status.
    #[error("node at {url} answered HTTP {status}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
    },

    /// The node answered with a JSON-RPC error object.
    #[error("node returned JSON-RPC error {code} ({message}){}", fmt_data(.data))]
    Rpc {
        code: i64,
        message: String,
        data: String,
    },

    /// The node's answer did not have the expected shape.
    #[error("unexpected response from node: {0}")]
    BadResponse(String),

    /// An ABCI query returned a non-zero code.
    #[error("query {path} failed with code {code} (codespace {cs}): {log}", cs = fmt_codespace(.codespace))]
    Query {
        path: String,
        code: u32,
        codespace: String,
        log: String,
    },

    /// Gas estimation (Simulate) failed; the log says why the tx would fail.
    #[error(
        "gas estimation failed with code {code} (codespace {cs}): {log}\n\
         hint: the transaction would fail as built; fix the cause above, or pass a fixed --gas to skip simulation",
        cs = fmt_codespace(.codespace)
    )]
    Simulation {
        code: u32,
        codespace: String,
        log: String,
    },

    /// The signer has no account on chain yet.
    #[error("account {0} does not exist on chain: it must receive tokens before it can sign transactions")]
    AccountNotFound(String),

    /// A tx was broadcast but not seen in a block before the deadline.
    #[error(
        "transaction {hash} was not included in a block within {secs}s; it may still be included later: \
         check with `kumo query tx {hash}`"
    )]
    Timeout { hash: String, secs: u64 },

    /// A coin list or gas price could not be parsed.
    #[error("invalid coins {input:?}: {reason}")]
    InvalidCoins { input: String, reason: String },

    /// A caller-supplied argument is malformed.
    #[error("{0}")]
    InvalidArgument(String),

    /// Invalid fee / gas options.
    #[error("invalid fee options: {0}")]
    InvalidFee(String),

    /// A protobuf payload from the node could not be decoded.
    #[error("cannot decode {what} from node: {source}")]
    Decode {
        what: String,
        #[source]
        source: prost::DecodeError,
    },
}

fn fmt_data(data: &str) -> String {
    if data.is_empty() {
        String::new()
    } else {
        format!(": {data}")
    }
}

fn fmt_codespace(cs: &str) -> &str {
    if cs.is_empty() {
        "none"
    } else {
        cs
    }
}

/// `Result` with [`ClientError`].
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
