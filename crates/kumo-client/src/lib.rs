//! kumo-client
