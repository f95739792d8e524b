//! Compiles our Akash .proto files (proto/akash/**) with protox (pure Rust, no protoc) and
//! generates prost types. The Cosmos types they import are declared in proto/cosmos only so
//! that imports resolve; the generated code uses cosmos-sdk-proto's types for them.

use std::path::{Path, PathBuf};

fn protos(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read proto dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            protos(&p, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from("proto");
    println!("cargo:rerun-if-changed=proto");
    let mut files = Vec::new();
    protos(&root.join("akash"), &mut files);
    let fds = protox::compile(&files, [&root]).expect("compile protos");
    // The reflection pool (proto-JSON, the REST gateway) also holds the Cosmos declarations in
    // proto/cosmos; Rust is generated for the akash files only (cosmos-sdk-proto has the rest).
    let mut pool_files = files.clone();
    protos(&root.join("cosmos"), &mut pool_files);
    let pool_fds = protox::compile(&pool_files, [&root]).expect("compile cosmos protos");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(
        out.join("descriptors.bin"),
        prost::Message::encode_to_vec(&pool_fds),
    )
    .unwrap();
    prost_build::Config::new()
        .extern_path(
            ".cosmos.base.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::v1beta1",
        )
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .extern_path(".google.protobuf.Duration", "::prost_types::Duration")
        .extern_path(".google.protobuf.Timestamp", "::prost_types::Timestamp")
        .enable_type_names()
        .type_name_domain(["."], "")
        .include_file("akash.rs")
        .compile_fds(fds)
        .expect("generate prost types");
}
