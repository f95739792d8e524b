//! The gateway against a real in-process node serving JSON-RPC on loopback: the provider's
//! certificate and the tenants' certificates published on chain, a deployment with a lease, and
//! the refusals a tenant can meet (no/bad credentials, a revoked certificate, someone else's
//! deployment, a manifest with the wrong hash), each checked with the real client.
//!
//! The workloads are never reached on these paths: the gateway here gets a `Workloads` whose
//! every method fails the test if called. The accepted-manifest path (200) needs the Docker
//! runtime (`runtime::Runtime`) and is tested once that is merged.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cosmos_sdk_proto::Any;
use kumo_client::certs::{self, CertKind, Identity};
use kumo_client::gateway::client::{Credentials, GatewayError, ProviderClient};
use kumo_client::gateway::jwt::{self, Access, Claims, Leases, Scope};
use kumo_client::tx::to_any;
use kumo_client::Coin;
use kumo_crypto::PrivKey;
use kumo_node::testkit::TestNet;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::cert::v1 as cert;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use kumo_provider::gateway::{self, GatewayConfig};
use kumo_provider::workload::*;

const CHAIN: &str = "kumo-gw-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const CAROL: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const DAVE: &str =
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage above";
/// Signs only through authz (Dave must never sign: his account has no public key).
const ERIN: &str = "all all all all all all all all all all all all";
const DSEQ: u64 = 10;

const SDL: &str = r#"
version: "2.0"
services:
  web:
    image: kumo/busybox:test
    expose:
      - port: 80
        as: 80
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 64Mi
        storage:
          size: 128Mi
  placement:
    local:
      pricing:
        web:
          denom: uakt
          amount: 1000
deployment:
  web:
    local:
      profile: web
      count: 1
"#;

/// The chain of these tests: every key has 100,000 AKT; blocks a second apart.
fn net(funded: &[&PrivKey]) -> TestNet {
    let mut b = TestNet::builder(CHAIN)
        .block_seconds(1)
        .fee(20_000, 800_000);
    for k in funded {
        b = b.fund(k, &[("uakt", 100_000_000_000)]);
    }
    b.start()
}

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

fn publish(owner: &PrivKey, cert_der: &[u8]) -> Any {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der).unwrap();
    to_any(&cert::MsgCreateCertificate {
        owner: owner.address().to_string(),
        cert: kumo_akash::pem::encode("CERTIFICATE", cert_der).into_bytes(),
        pubkey: kumo_akash::pem::encode("EC PUBLIC KEY", c.tbs_certificate.subject_pki.raw)
            .into_bytes(),
    })
}

fn client_cert(owner: &PrivKey) -> Identity {
    // Serials are unix nanos: make each certificate at a distinct instant.
    std::thread::sleep(Duration::from_millis(2));
    let g = certs::generate(
        &owner.address().to_string(),
        CertKind::Client,
        &[],
        SystemTime::now(),
    )
    .unwrap();
    Identity {
        cert_der: g.cert_der,
        key_der: g.key_der,
        serial: g.serial,
    }
}

fn status_of(e: &anyhow::Error) -> (u16, String) {
    let ge = e
        .downcast_ref::<GatewayError>()
        .unwrap_or_else(|| panic!("expected an HTTP answer, got {e:#}"));
    (ge.status, ge.message.clone())
}

#[test]
fn gateway_refuses_what_it_must() {
    let (alice, bob, carol, dave) = (key(ALICE), key(BOB), key(CAROL), key(DAVE));
    let erin = key(ERIN);
    let net = net(&[&alice, &bob, &carol, &dave, &erin]);
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // The gateway: its certificate is made at first start.
    let provider = bob.address().to_string();
    let cert_file = certs::pem_path(home.path(), &provider);
    let mut cfg = GatewayConfig::new(&provider, &net.url, cert_file.clone());
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    // A long cache TTL: revocations must take effect at the next block regardless.
    cfg.cert_cache_ttl = Duration::from_secs(3600);
    let bound = rt.block_on(gateway::bind(cfg)).unwrap();
    let port = bound.local_addr().port();
    let server_cert = certs::load(&cert_file).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let status: gateway::StatusFn = Arc::new(|| serde_json::json!({"cluster": {"leases": 0}}));
    let served = rt.spawn(bound.run(Arc::new(Unreached), status, async {
        let _ = stop_rx.await;
    }));

    // Chain: provider record and certificate; tenants' certificates; a deployment with a lease.
    net.tx(
        &bob,
        vec![
            to_any(&pv1b4::MsgCreateProvider {
                owner: provider.clone(),
                host_uri: format!("https://127.0.0.1:{port}"),
                attributes: vec![],
                info: None,
            }),
            publish(&bob, &server_cert.cert_der),
        ],
    );
    let alice_cert = client_cert(&alice);
    let alice_revoked = client_cert(&alice);
    let alice_unpublished = client_cert(&alice);
    net.tx(
        &alice,
        vec![
            publish(&alice, &alice_cert.cert_der),
            publish(&alice, &alice_revoked.cert_der),
        ],
    );
    let carol_cert = client_cert(&carol);
    net.tx(&carol, vec![publish(&carol, &carol_cert.cert_der)]);

    let sdl = kumo_sdl::parse("test.yaml", SDL).unwrap();
    net.tx(
        &alice,
        vec![to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: alice.address().to_string(),
                dseq: DSEQ,
            }),
            groups: sdl.groups.clone(),
            hash: sdl.manifest_version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "5000000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        })],
    );
    let bid_id = mv1::BidId {
        owner: alice.address().to_string(),
        dseq: DSEQ,
        gseq: 1,
        oseq: 1,
        provider: provider.clone(),
        bseq: 0,
    };
    net.tx(
        &bob,
        vec![to_any(&mv1b5::MsgCreateBid {
            id: Some(bid_id.clone()),
            price: Some(cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin {
                denom: "uakt".into(),
                amount: "100000000000000000000".into(), // 100uakt
            }),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "500000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            resources_offer: vec![],
            reclamation_window: None,
        })],
    );
    net.tx(
        &alice,
        vec![to_any(&mv1b5::MsgCreateLease {
            bid_id: Some(bid_id),
        })],
    );

    let chain = net.client();
    let client = |c: Credentials| ProviderClient::from_chain(&chain, &provider, c).unwrap();
    let wrong = {
        let mut m = sdl.manifest.clone();
        m[0].services[0].image = "kumo/busybox:other".into();
        m
    };
    let wrong_hash = hex::encode(kumo_sdl::manifest::version(&wrong));
    let right_hash = hex::encode(sdl.manifest_version);
    let put = |c: &ProviderClient, m: &[kumo_sdl::manifest::Group]| {
        rt.block_on(c.send_manifest(DSEQ, m)).expect_err("refused")
    };

    // The provider's certificate is checked against the chain; open routes need no credentials.
    let anon = client(Credentials::Anonymous);
    assert_eq!(rt.block_on(anon.address()).unwrap(), provider);
    let st = rt.block_on(anon.status()).unwrap();
    assert_eq!(st["address"], provider.as_str());
    assert_eq!(st["cluster"]["leases"], 0);
    assert!(rt.block_on(anon.version()).unwrap()["akash"]["version"].is_string());
    let impostor = {
        let other = certs::generate(&provider, CertKind::Server, &[], SystemTime::now()).unwrap();
        ProviderClient::new(
            &provider,
            &format!("https://127.0.0.1:{port}"),
            vec![other.cert_der],
            Credentials::Anonymous,
        )
        .unwrap()
    };
    let e = rt.block_on(impostor.address()).unwrap_err();
    assert!(format!("{e:#}").contains("TLS"), "{e:#}");

    // No credentials: 401.
    let (code, msg) = status_of(&put(&anon, &sdl.manifest));
    assert_eq!(code, 401, "{msg}");
    assert!(msg.contains("authentication required"), "{msg}");

    // Alice with her published certificate and with a JWT: authenticated, but the wrong manifest
    // is refused with both hashes.
    for creds in [
        Credentials::Mtls(alice_cert.clone()),
        Credentials::Jwt(alice.clone()),
    ] {
        let (code, msg) = status_of(&put(&client(creds), &wrong));
        assert_eq!(code, 422, "{msg}");
        assert!(
            msg.contains(&wrong_hash) && msg.contains(&right_hash),
            "{msg}"
        );
    }

    // Carol (valid credentials) asking for Alice's deployment: the same 404 as no deployment.
    for creds in [
        Credentials::Mtls(carol_cert.clone()),
        Credentials::Jwt(carol.clone()),
    ] {
        let (code, msg) = status_of(&put(&client(creds), &sdl.manifest));
        assert_eq!((code, msg.as_str()), (404, "no lease for deployment"));
    }
    let (code, msg) = status_of(
        &rt.block_on(
            client(Credentials::Jwt(alice.clone())).send_manifest(DSEQ + 1, &sdl.manifest),
        )
        .unwrap_err(),
    );
    assert_eq!((code, msg.as_str()), (404, "no lease for deployment"));

    // A certificate that works (and is now cached), then is revoked: refused on the very next
    // request after the block that revoked it, with no wait for the cache.
    let revocable = client(Credentials::Mtls(alice_revoked.clone()));
    assert_eq!(status_of(&put(&revocable, &wrong)).0, 422);
    net.produce();
    assert_eq!(
        status_of(&put(&revocable, &wrong)).0,
        422,
        "cached, still valid"
    );
    net.tx(
        &alice,
        vec![to_any(&cert::MsgRevokeCertificate {
            id: Some(cert::Id {
                owner: alice.address().to_string(),
                serial: alice_revoked.serial.clone(),
            }),
        })],
    );
    let (code, msg) = status_of(&put(&revocable, &wrong));
    assert_eq!(code, 401, "{msg}");
    assert!(msg.contains("revoked"), "{msg}");
    // Through authz too: Carol lets Erin revoke her certificates; Erin's MsgExec revokes one.
    let carol_second = client_cert(&carol);
    net.tx(&carol, vec![publish(&carol, &carol_second.cert_der)]);
    let carol_second_client = client(Credentials::Mtls(carol_second.clone()));
    assert_eq!(
        status_of(&put(&carol_second_client, &sdl.manifest)).0,
        404,
        "published certificate accepted (and cached)"
    );
    net.tx(
        &carol,
        vec![to_any(
            &cosmos_sdk_proto::cosmos::authz::v1beta1::MsgGrant {
                granter: carol.address().to_string(),
                grantee: erin.address().to_string(),
                grant: Some(cosmos_sdk_proto::cosmos::authz::v1beta1::Grant {
                    authorization: Some(to_any(
                        &cosmos_sdk_proto::cosmos::authz::v1beta1::GenericAuthorization {
                            msg: "/akash.cert.v1.MsgRevokeCertificate".into(),
                        },
                    )),
                    expiration: None,
                }),
            },
        )],
    );
    net.tx(
        &erin,
        vec![to_any(&cosmos_sdk_proto::cosmos::authz::v1beta1::MsgExec {
            grantee: erin.address().to_string(),
            msgs: vec![to_any(&cert::MsgRevokeCertificate {
                id: Some(cert::Id {
                    owner: carol.address().to_string(),
                    serial: carol_second.serial.clone(),
                }),
            })],
        })],
    );
    let (code, msg) = status_of(&put(&carol_second_client, &sdl.manifest));
    assert_eq!(code, 401, "{msg}");
    assert!(msg.contains("revoked"), "{msg}");
    // Carol's other certificate, cached too, is untouched.
    let (code, _) = status_of(&put(
        &client(Credentials::Mtls(carol_cert.clone())),
        &sdl.manifest,
    ));
    assert_eq!(code, 404);

    // A certificate never published: 401. Alice's certificate with another key: no handshake.
    let (code, msg) = status_of(&put(&client(Credentials::Mtls(alice_unpublished)), &wrong));
    assert_eq!(code, 401, "{msg}");
    assert!(msg.contains("not published"), "{msg}");
    let stolen = Identity {
        key_der: carol_cert.key_der.clone(),
        ..alice_cert.clone()
    };
    // Either rustls refuses the mismatched pair up front or the handshake fails: never an answer.
    if let Ok(c) = ProviderClient::from_chain(&chain, &provider, Credentials::Mtls(stolen)) {
        let e = rt.block_on(c.send_manifest(DSEQ, &wrong)).unwrap_err();
        assert!(e.downcast_ref::<GatewayError>().is_none(), "{e:#}");
    }

    // Both at once: 400.
    let token = jwt::sign(
        &Claims::full_access(&alice.address().to_string(), now(), 900),
        &alice,
    );
    let (code, msg) = status_of(&put(
        &client(Credentials::MtlsAndBearer(alice_cert.clone(), token)),
        &wrong,
    ));
    assert_eq!(code, 400, "{msg}");
    assert!(msg.contains("ambiguous authentication"), "{msg}");

    // JWTs: expired, not yet valid, signed by an account the chain has no key for, a tampered
    // one, another provider only, and one without the send-manifest scope: all 401.
    let a = alice.address().to_string();
    let mut expired = Claims::full_access(&a, now() - 3600, 900);
    expired.iat = now() - 3600;
    let mut future = Claims::full_access(&a, now() + 600, 900);
    future.iat = now();
    let mut other_provider = Claims::full_access(&a, now(), 900);
    other_provider.leases = Leases {
        access: Access::Granular,
        scope: vec![],
        permissions: vec![jwt::Permission {
            provider: carol.address().to_string(),
            access: Access::Full,
            scope: vec![],
            deployments: vec![],
        }],
    };
    let mut no_scope = Claims::full_access(&a, now(), 900);
    no_scope.leases = Leases {
        access: Access::Scoped,
        scope: vec![Scope::Status, Scope::Logs],
        permissions: vec![],
    };
    let dave_token = jwt::sign(
        &Claims::full_access(&dave.address().to_string(), now(), 900),
        &dave,
    );
    let forged = jwt::sign(&Claims::full_access(&a, now(), 900), &carol);
    // Lifetime over the cap (1 h): ten years, and one second too many.
    let decade = Claims::full_access(&a, now(), 10 * 365 * 86_400);
    let hour_and_a_second = Claims::full_access(&a, now(), jwt::MAX_TOKEN_LIFETIME_SECS + 1);
    for (token, why) in [
        (jwt::sign(&expired, &alice), "expired"),
        (jwt::sign(&future, &alice), "not valid yet"),
        (dave_token, "no public key"),
        (forged, "does not verify"),
        (
            jwt::sign(&other_provider, &alice),
            "does not grant send-manifest",
        ),
        (jwt::sign(&no_scope, &alice), "does not grant send-manifest"),
        (jwt::sign(&decade, &alice), "lifetime is too long"),
        (jwt::sign(&hour_and_a_second, &alice), "at most 3600s"),
    ] {
        let (code, msg) = status_of(&put(&client(Credentials::Bearer(token)), &wrong));
        assert_eq!(code, 401, "{why}: {msg}");
        assert!(msg.contains(why), "{why}: {msg}");
    }

    // Short-lived tokens still work: the CLI's 15 minutes and exactly the cap.
    for lifetime in [jwt::CLI_TOKEN_LIFETIME_SECS, jwt::MAX_TOKEN_LIFETIME_SECS] {
        let token = jwt::sign(&Claims::full_access(&a, now(), lifetime), &alice);
        let (code, msg) = status_of(&put(&client(Credentials::Bearer(token)), &wrong));
        assert_eq!(code, 422, "{lifetime}s token: {msg}");
    }

    // A scoped token with send-manifest gets through to the hash check.
    let mut scoped = Claims::full_access(&a, now(), 900);
    scoped.leases = Leases {
        access: Access::Scoped,
        scope: vec![Scope::SendManifest],
        permissions: vec![],
    };
    let (code, _) = status_of(&put(
        &client(Credentials::Bearer(jwt::sign(&scoped, &alice))),
        &wrong,
    ));
    assert_eq!(code, 422);

    stop_tx.send(()).unwrap();
    rt.block_on(served).unwrap().unwrap();
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
