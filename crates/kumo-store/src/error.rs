//! Error type of the store.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The requested height is older than the oldest retained height.
    #[error("height {height} has been pruned (earliest retained height is {earliest})")]
    Pruned { height: u64, earliest: u64 },
    /// The requested height has not been committed yet.
    #[error("height {height} is in the future (latest committed height is {latest})")]
    FutureHeight { height: u64, latest: u64 },
    /// A block was prepared or committed at a height that does not follow the last commit.
    #[error("wrong height: expected {expected}, got {got}")]
    WrongHeight { expected: u64, got: u64 },
    /// The on-disk data is inconsistent (missing nodes, undecodable records, ...).
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// An error from the storage engine (redb), with context.
    #[error("store I/O error: {0}")]
    Io(String),
}

impl StoreError {
    /// Wraps a storage-engine error with a short description of what was being done.
    pub(crate) fn io(context: &str, err: impl std::fmt::Display) -> StoreError {
        StoreError::Io(format!("{context}: {err}"))
    }
}

/// Shorthand for `map_err(|e| StoreError::io(ctx, e))`.
pub(crate) trait IoContext<T> {
    fn ctx(self, context: &str) -> Result<T, StoreError>;
}

impl<T, E: std::fmt::Display> IoContext<T> for Result<T, E> {
    fn ctx(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::io(context, e))
    }
}
