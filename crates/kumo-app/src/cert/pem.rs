//! PEM as the cert module reads it: `kumo_akash::pem` (Go's `encoding/pem`), shared with the
//! client's certificate files.

pub use kumo_akash::pem::*;
