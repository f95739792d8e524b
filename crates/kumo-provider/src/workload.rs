//! The seam between the gateway (tenant requests) and the cluster runtime (Docker today).
//!
//! The gateway only talks to `dyn Workloads`; `runtime::Runtime` implements it on a real dockerd.
//! JSON shapes are the Akash provider's (`../shared/spec/akash-offchain.md` §3.3-3.5) so existing
//! tenant tools parse them; they are defined in `kumo_client::gateway::lease`.

use std::pin::Pin;

use futures::stream::BoxStream;
use kumo_proto::akash::market::v1::LeaseId;
use tokio::io::AsyncWrite;

// The JSON the gateway answers with is defined once, on the tenant's side, and served from here.
pub use kumo_client::gateway::lease::{
    EventObject, ForwardedPort, LeaseEvent, LeaseStatus, LogLine, ServiceStatus,
};

/// Output of a command run inside a replica (`/shell`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecOutput {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

/// A running `exec`: output frames until the stream ends, then `exit_code`.
pub struct Exec {
    pub output: BoxStream<'static, ExecOutput>,
    /// Present when the request asked for stdin.
    pub stdin: Option<Pin<Box<dyn AsyncWrite + Send>>>,
    pub control: Box<dyn ExecControl>,
}

#[async_trait::async_trait]
pub trait ExecControl: Send + Sync {
    /// Terminal resize (tty sessions); ignored otherwise.
    async fn resize(&self, width: u16, height: u16) -> anyhow::Result<()>;
    /// Exit code once `output` has ended.
    async fn exit_code(&self) -> anyhow::Result<i64>;
}

/// Errors a tenant can be told about; the gateway maps them to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// No workload for this lease (or service) here: 404.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be served as asked (e.g. a service with no running replica): 422/4002.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (Docker unreachable, ...): 500; the detail is logged, not sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type WorkloadResult<T> = Result<T, WorkloadError>;

#[async_trait::async_trait]
pub trait Workloads: Send + Sync + 'static {
    /// Runs (or updates in place) the manifest group of a lease. Idempotent. Returns once every
    /// container was created and started (images pulled first, with progress in the events).
    async fn deploy(
        &self,
        lease: &LeaseId,
        group: &kumo_sdl::manifest::Group,
    ) -> WorkloadResult<()>;
    /// Removes every container, network and volume of the lease. Idempotent.
    async fn teardown(&self, lease: &LeaseId) -> WorkloadResult<()>;
    /// Leases that have workloads here (read back from container labels, so it survives restarts).
    async fn leases(&self) -> WorkloadResult<Vec<LeaseId>>;
    /// The manifest group deployed for a lease, if any (survives restarts).
    async fn manifest(&self, lease: &LeaseId) -> WorkloadResult<Option<kumo_sdl::manifest::Group>>;
    async fn status(&self, lease: &LeaseId) -> WorkloadResult<LeaseStatus>;
    /// Past events, then (with `follow`) new ones as they happen.
    async fn events(
        &self,
        lease: &LeaseId,
        follow: bool,
    ) -> WorkloadResult<BoxStream<'static, LeaseEvent>>;
    /// `services` empty = all. `tail` None = everything.
    async fn logs(
        &self,
        lease: &LeaseId,
        services: &[String],
        follow: bool,
        tail: Option<u64>,
    ) -> WorkloadResult<BoxStream<'static, LogLine>>;
    async fn exec(
        &self,
        lease: &LeaseId,
        service: &str,
        replica: usize,
        cmd: Vec<String>,
        tty: bool,
        stdin: bool,
    ) -> WorkloadResult<Exec>;
    async fn restart(&self, lease: &LeaseId, service: &str) -> WorkloadResult<()>;
}

/// Workloads that must never be reached: panics if they are. For gateways whose tested routes
/// (refused requests, the public decision and status endpoints) must not touch any lease.
pub struct Unreached;

#[async_trait::async_trait]
impl Workloads for Unreached {
    async fn deploy(&self, l: &LeaseId, _: &kumo_sdl::manifest::Group) -> WorkloadResult<()> {
        panic!("deploy reached for {l:?}")
    }
    async fn teardown(&self, l: &LeaseId) -> WorkloadResult<()> {
        panic!("teardown reached for {l:?}")
    }
    async fn leases(&self) -> WorkloadResult<Vec<LeaseId>> {
        panic!("leases reached")
    }
    async fn manifest(&self, l: &LeaseId) -> WorkloadResult<Option<kumo_sdl::manifest::Group>> {
        panic!("manifest reached for {l:?}")
    }
    async fn status(&self, l: &LeaseId) -> WorkloadResult<LeaseStatus> {
        panic!("status reached for {l:?}")
    }
    async fn events(&self, l: &LeaseId, _: bool) -> WorkloadResult<BoxStream<'static, LeaseEvent>> {
        panic!("events reached for {l:?}")
    }
    async fn logs(
        &self,
        l: &LeaseId,
        _: &[String],
        _: bool,
        _: Option<u64>,
    ) -> WorkloadResult<BoxStream<'static, LogLine>> {
        panic!("logs reached for {l:?}")
    }
    async fn exec(
        &self,
        l: &LeaseId,
        _: &str,
        _: usize,
        _: Vec<String>,
        _: bool,
        _: bool,
    ) -> WorkloadResult<Exec> {
        panic!("exec reached for {l:?}")
    }
    async fn restart(&self, l: &LeaseId, _: &str) -> WorkloadResult<()> {
        panic!("restart reached for {l:?}")
    }
}
