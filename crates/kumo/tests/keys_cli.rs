//! End-to-end tests of `kumo keys` against the built binary.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                       abandon abandon about";
const ABANDON_ADDR: &str = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";
const ZOO: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const ZOO_ADDR: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";

/// Runs `kumo --home <home> <args>` with `stdin` piped in and a clean keyring environment.
fn kumo(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumo"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env_remove("KUMO_HOME")
        .env_remove("KUMO_KEYRING_BACKEND")
        .env_remove("KUMO_KEYRING_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn kumo");
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // A command that refuses its arguments exits before reading stdin: a closed pipe is fine.
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing kumo's stdin: {e}"
        );
    }
    child.wait_with_output().expect("wait for kumo")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "kumo failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn fail(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "kumo unexpectedly succeeded\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

const TEST: &[&str] = &["--keyring-backend", "test"];

fn args<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

#[test]
fn recover_list_show_delete_with_test_backend() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    let out = kumo(
        h,
        &args(&["keys", "add", "alice", "--recover"], TEST),
        &format!("{ABANDON}\n"),
        &[],
    );
    let stdout = ok(&out);
    assert!(stdout.contains(ABANDON_ADDR), "{stdout}");
    // A recovered key's mnemonic is not echoed back.
    assert!(!stdout.contains("abandon"), "{stdout}");
    assert!(h.join("keyring-test/alice.json").is_file());

    // The backend can also come from the environment.
    let out = kumo(
        h,
        &["keys", "add", "zed", "--recover"],
        &format!("  {ZOO}  \n"),
        &[("KUMO_KEYRING_BACKEND", "test")],
    );
    assert!(ok(&out).contains(ZOO_ADDR));

    let list = ok(&kumo(h, &args(&["keys", "list"], TEST), "", &[]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    let cols = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cols(lines[0]), ["NAME", "ADDRESS", "TYPE"], "{list}");
    assert_eq!(cols(lines[1]), ["alice", ABANDON_ADDR, "local"], "{list}");
    assert_eq!(cols(lines[2]), ["zed", ZOO_ADDR, "local"], "{list}");

    let json = ok(&kumo(
        h,
        &args(&["keys", "list", "-o", "json"], TEST),
        "",
        &[],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["name"], "alice");
    assert_eq!(v[0]["address"], ABANDON_ADDR);
    assert_eq!(v[1]["address"], ZOO_ADDR);

    let addr = ok(&kumo(
        h,
        &args(&["keys", "show", "alice", "--address"], TEST),
        "",
        &[],
    ));
    assert_eq!(addr, format!("{ABANDON_ADDR}\n"));

    let json = ok(&kumo(
        h,
        &args(&["-o", "json", "keys", "show", "zed"], TEST),
        "",
        &[],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["name"], "zed");
    assert_eq!(v["address"], ZOO_ADDR);
    let pk = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        v["pubkey"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(pk.len(), 33);

    // Declining the confirmation keeps the key.
    let err = fail(&kumo(
        h,
        &args(&["keys", "delete", "alice"], TEST),
        "n\n",
        &[],
    ));
    assert!(err.contains("aborted"), "{err}");
    assert!(h.join("keyring-test/alice.json").is_file());
    // Confirming on stdin deletes it.
    ok(&kumo(
        h,
        &args(&["keys", "delete", "zed"], TEST),
        "y\n",
        &[],
    ));
    // -y skips the question.
    let out = ok(&kumo(
        h,
        &args(&["keys", "delete", "alice", "-y"], TEST),
        "",
        &[],
    ));
    assert!(out.contains("deleted"), "{out}");

    let err = fail(&kumo(h, &args(&["keys", "show", "alice"], TEST), "", &[]));
    assert!(err.contains("not found"), "{err}");
    let json = ok(&kumo(
        h,
        &args(&["keys", "list", "-o", "json"], TEST),
        "",
        &[],
    ));
    assert_eq!(json.trim(), "[]");
}

#[test]
fn add_errors_are_clear() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    ok(&kumo(
        h,
        &args(&["keys", "add", "a", "--recover"], TEST),
        ABANDON,
        &[],
    ));
    let err = fail(&kumo(
        h,
        &args(&["keys", "add", "a", "--recover"], TEST),
        ZOO,
        &[],
    ));
    assert!(err.contains("already exists"), "{err}");
    let err = fail(&kumo(
        h,
        &args(&["keys", "add", "b", "--recover"], TEST),
        "abandon abandon abandon\n",
        &[],
    ));
    assert!(err.contains("invalid mnemonic"), "{err}");
    let err = fail(&kumo(
        h,
        &args(&["keys", "add", "b", "--recover"], TEST),
        "",
        &[],
    ));
    assert!(err.contains("no mnemonic"), "{err}");
    let err = fail(&kumo(h, &args(&["keys", "add", "bad/name"], TEST), "", &[]));
    assert!(err.contains("invalid key name"), "{err}");
    let err = fail(&kumo(
        h,
        &["keys", "list", "--keyring-backend", "os"],
        "",
        &[],
    ));
    assert!(err.contains("file") && err.contains("test"), "{err}");
}

#[test]
fn new_key_with_file_backend_prints_mnemonic_once() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let pass = [("KUMO_KEYRING_PASSPHRASE", "a long passphrase")];

    let json = ok(&kumo(h, &["-o", "json", "keys", "add", "new"], "", &pass));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mnemonic = v["mnemonic"].as_str().unwrap();
    assert_eq!(mnemonic.split(' ').count(), 24);
    let address = v["address"].as_str().unwrap();
    assert!(address.starts_with("akash1"));

    // The stored file is encrypted: the mnemonic is not in it.
    let raw = std::fs::read_to_string(h.join("keyring-file/new.json")).unwrap();
    assert!(!raw.contains(mnemonic));

    // Showing needs no passphrase.
    let shown = ok(&kumo(h, &["keys", "show", "new", "-a"], "", &[]));
    assert_eq!(shown.trim(), address);

    // Recovering the printed mnemonic gives the same address, which the keyring refuses to
    // store twice.
    let err = fail(&kumo(
        h,
        &["keys", "add", "again", "--recover"],
        mnemonic,
        &pass,
    ));
    assert!(err.contains(address), "{err}");

    // Text output carries the warning and the mnemonic.
    let text = ok(&kumo(h, &["keys", "add", "second"], "", &pass));
    assert!(text.contains("**Important**"), "{text}");
    let last = text.lines().last().unwrap();
    assert_eq!(last.split(' ').count(), 24, "{text}");

    // A short passphrase is refused.
    let err = fail(&kumo(
        h,
        &["keys", "add", "third"],
        "",
        &[("KUMO_KEYRING_PASSPHRASE", "short")],
    ));
    assert!(err.contains("too short"), "{err}");
}

#[test]
fn every_keys_subcommand_has_help() {
    let home = tempfile::tempdir().unwrap();
    for sub in ["add", "list", "show", "delete"] {
        let out = ok(&kumo(home.path(), &["keys", sub, "--help"], "", &[]));
        assert!(out.contains("--keyring-backend"), "{sub}: {out}");
        assert!(out.contains("KUMO_KEYRING_BACKEND"), "{sub}: {out}");
    }
}
