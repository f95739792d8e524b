//! A local test image built from the host's static `/bin/busybox` (no registry is reachable in
//! tests): a root filesystem with `bin/busybox` and one symlink per applet, imported into
//! dockerd as `kumo-test/busybox:<first 12 hex of the binary's SHA-256>`.
//!
//! Shared by the runtime tests and the deploy benchmark (`#[path]`-included).

use std::collections::HashMap;

use bollard::query_parameters::CreateImageOptions;
use bollard::Docker;
use futures::StreamExt;
use sha2::{Digest, Sha256};

pub const BUSYBOX: &str = "/bin/busybox";

/// Whether tests that need dockerd can run here; prints why not.
pub fn docker_available(test: &str) -> bool {
    if std::path::Path::new("/var/run/docker.sock").exists() {
        true
    } else {
        eprintln!("skipped {test}: /var/run/docker.sock is absent (no Docker daemon)");
        false
    }
}

/// The image tag, importing the image if dockerd does not have it yet.
pub async fn busybox_image(docker: &Docker) -> anyhow::Result<String> {
    let bin = std::fs::read(BUSYBOX)?;
    let hash = hex::encode(Sha256::digest(&bin))[..12].to_string();
    let image = format!("kumo-test/busybox:{hash}");
    if docker.inspect_image(&image).await.is_ok() {
        return Ok(image);
    }
    let list = std::process::Command::new(BUSYBOX).arg("--list").output()?;
    anyhow::ensure!(list.status.success(), "{BUSYBOX} --list failed");
    let applets = String::from_utf8(list.stdout)?;

    let mut tar = Tar::default();
    for dir in ["bin/", "tmp/", "www/", "data/"] {
        tar.entry(dir, b'5', 0o1777, &[], "");
    }
    tar.entry("bin/busybox", b'0', 0o755, &bin, "");
    for a in applets.lines().map(str::trim) {
        if !a.is_empty() && a != "busybox" && !a.contains('/') {
            tar.entry(&format!("bin/{a}"), b'2', 0o777, &[], "busybox");
        }
    }
    let body = tar.finish();

    let mut import = docker.create_image(
        Some(CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some("kumo-test/busybox".into()),
            tag: Some(hash),
            changes: vec!["ENV PATH=/bin".into()],
            ..Default::default()
        }),
        Some(bollard::body_full(body.into())),
        None,
    );
    while let Some(item) = import.next().await {
        item?;
    }
    docker.inspect_image(&image).await?;
    Ok(image)
}

/// Just enough of ustar to write a root filesystem.
#[derive(Default)]
struct Tar {
    out: Vec<u8>,
}

impl Tar {
    fn entry(&mut self, name: &str, kind: u8, mode: u32, data: &[u8], link: &str) {
        assert!(name.len() < 100 && link.len() < 100);
        let mut h = [0u8; 512];
        let put = |h: &mut [u8; 512], at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
        let octal = |v: u64, width: usize| format!("{v:0w$o}\0", w = width - 1).into_bytes();
        put(&mut h, 0, name.as_bytes());
        put(&mut h, 100, &octal(mode as u64, 8));
        put(&mut h, 108, &octal(0, 8));
        put(&mut h, 116, &octal(0, 8));
        put(&mut h, 124, &octal(data.len() as u64, 12));
        put(&mut h, 136, &octal(0, 12));
        put(&mut h, 148, b"        ");
        h[156] = kind;
        put(&mut h, 157, link.as_bytes());
        put(&mut h, 257, b"ustar\0");
        put(&mut h, 263, b"00");
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
        self.out.extend_from_slice(&h);
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.extend(std::iter::repeat_n(0u8, 1024));
        self.out
    }
}

/// Labels → Docker filter map, for tests that look at what the runtime left behind.
pub fn label_filters(labels: &[String]) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), labels.to_vec())])
}

/// Removes every container, network and volume labelled with namespace `ns`, from a thread of
/// its own, so a test that panics (its runtime unwinding) still leaves nothing behind.
pub fn force_cleanup(ns: &str) {
    let ns = ns.to_string();
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let Ok(docker) = Docker::connect_with_local_defaults() else {
                return;
            };
            let Ok(docker) = docker.negotiate_version().await else {
                return;
            };
            let f = label_filters(&[format!("akash.network/namespace={ns}")]);
            if let Ok(cs) = docker
                .list_containers(Some(bollard::query_parameters::ListContainersOptions {
                    all: true,
                    filters: Some(f.clone()),
                    ..Default::default()
                }))
                .await
            {
                for c in cs {
                    let _ = docker
                        .remove_container(
                            c.id.as_deref().unwrap_or_default(),
                            Some(bollard::query_parameters::RemoveContainerOptions {
                                force: true,
                                ..Default::default()
                            }),
                        )
                        .await;
                }
            }
            let _ = docker.remove_network(&ns).await;
            if let Ok(vs) = docker
                .list_volumes(Some(bollard::query_parameters::ListVolumesOptions {
                    filters: Some(f),
                }))
                .await
            {
                for v in vs.volumes.unwrap_or_default() {
                    let _ = docker
                        .remove_volume(
                            &v.name,
                            None::<bollard::query_parameters::RemoveVolumeOptions>,
                        )
                        .await;
                }
            }
        });
    })
    .join();
}
