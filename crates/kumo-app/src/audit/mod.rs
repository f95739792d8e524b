//! audit: attributes that auditors sign for providers; tenants trust them with `signed_by`.
pub mod state;
