//! kumo-proto
