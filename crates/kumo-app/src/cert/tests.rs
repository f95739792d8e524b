//! Certificates made here with rcgen (an independent X.509 writer), published and revoked.

use super::pem::{encode, EC_PUBLIC_KEY};
use crate::test_ctx::{addr, TestChain};
use kumo_proto::akash::cert::v1::*;
use rcgen::{CertificateParams, DnType, KeyPair, SerialNumber, SignatureAlgorithm};

struct Made {
    cert_pem: String,
    pubkey_pem: String,
}

fn make(alg: &'static SignatureAlgorithm, cn: &str, serial: u64) -> (Made, KeyPair) {
    let key = KeyPair::generate_for(alg).unwrap();
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.serial_number = Some(SerialNumber::from(serial));
    let cert = params.self_signed(&key).unwrap();
    let made = Made {
        cert_pem: cert.pem(),
        pubkey_pem: encode(EC_PUBLIC_KEY, &key.public_key_der()),
    };
    (made, key)
}

fn p256(cn: &str, serial: u64) -> Made {
    make(&rcgen::PKCS_ECDSA_P256_SHA256, cn, serial).0
}

fn create(owner: &str, m: &Made) -> MsgCreateCertificate {
    MsgCreateCertificate {
        owner: owner.into(),
        cert: m.cert_pem.clone().into_bytes(),
        pubkey: m.pubkey_pem.clone().into_bytes(),
    }
}

fn code(s: &mut TestChain, m: &MsgCreateCertificate) -> (&'static str, u32) {
    let e = s.deliver(m).unwrap_err();
    (e.codespace, e.code)
}

#[test]
fn p256_certificate_is_accepted_listed_and_revoked() {
    let mut s = TestChain::new();
    let owner = addr(1).to_string();
    let serial: u64 = 1_732_000_000_123_456_789;
    let made = p256(&owner, serial);
    s.deliver(&create(&owner, &made)).unwrap();

    let list: QueryCertificatesResponse = s
        .query(
            "/akash.cert.v1.Query/Certificates",
            &QueryCertificatesRequest {
                filter: Some(CertificateFilter {
                    owner: owner.clone(),
                    ..Default::default()
                }),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(list.certificates.len(), 1);
    assert_eq!(list.certificates[0].serial, serial.to_string());
    let c = list.certificates[0].certificate.clone().unwrap();
    assert_eq!(c.state, State::Valid as i32);
    assert_eq!(c.cert, made.cert_pem.as_bytes());

    // The same serial again is refused.
    assert_eq!(code(&mut s, &create(&owner, &made)), ("cert", 3));

    let revoke = MsgRevokeCertificate {
        id: Some(Id {
            owner: owner.clone(),
            serial: serial.to_string(),
        }),
    };
    s.deliver(&revoke).unwrap();
    let e = s.deliver(&revoke).unwrap_err();
    assert_eq!((e.codespace, e.code), ("cert", 4));

    let unknown = MsgRevokeCertificate {
        id: Some(Id {
            owner: owner.clone(),
            serial: "42".into(),
        }),
    };
    assert_eq!(s.deliver(&unknown).unwrap_err().code, 1);
    let bad_serial = MsgRevokeCertificate {
        id: Some(Id {
            owner,
            serial: "0x2a".into(),
        }),
    };
    let e = s.deliver(&bad_serial).unwrap_err();
    assert_eq!((e.codespace, e.code), ("cert", 5));
}

#[test]
fn refusals_carry_cert_codes() {
    let mut s = TestChain::new();
    let owner = addr(1).to_string();

    // CommonName of someone else.
    let other = p256(&addr(2).to_string(), 1);
    assert_eq!(code(&mut s, &create(&owner, &other)), ("cert", 6));
    // CommonName that is not an address.
    let junk_cn = p256("tenant.example.com", 2);
    assert_eq!(code(&mut s, &create(&owner, &junk_cn)), ("cert", 6));

    // Certificate signed by one key, another key published.
    let signed = p256(&owner, 3);
    let other_key = p256(&owner, 4);
    let mixed = Made {
        cert_pem: signed.cert_pem.clone(),
        pubkey_pem: other_key.pubkey_pem.clone(),
    };
    assert_eq!(code(&mut s, &create(&owner, &mixed)), ("cert", 6));

    // Ed25519: the key is not ECDSA.
    let ed = make(&rcgen::PKCS_ED25519, &owner, 5).0;
    assert_eq!(code(&mut s, &create(&owner, &ed)), ("cert", 7));
    // An Ed25519-signed certificate presented with a P-256 key: not an ECDSA signature.
    let ed_with_p256_key = Made {
        cert_pem: ed.cert_pem.clone(),
        pubkey_pem: signed.pubkey_pem.clone(),
    };
    assert_eq!(
        code(&mut s, &create(&owner, &ed_with_p256_key)),
        ("cert", 6)
    );
    // P-384 is ECDSA but not the P-256 the chain accepts.
    let p384 = make(&rcgen::PKCS_ECDSA_P384_SHA384, &owner, 6).0;
    assert_eq!(code(&mut s, &create(&owner, &p384)), ("cert", 7));

    // RSA (made once with openssl, CN = addr(1)).
    let rsa = Made {
        cert_pem: include_str!("testdata/rsa_cert.pem").into(),
        pubkey_pem: include_str!("testdata/rsa_pubkey.pem").into(),
    };
    assert_eq!(code(&mut s, &create(&owner, &rsa)), ("cert", 7));
    let rsa_cert_p256_key = Made {
        cert_pem: rsa.cert_pem.clone(),
        pubkey_pem: signed.pubkey_pem.clone(),
    };
    assert_eq!(
        code(&mut s, &create(&owner, &rsa_cert_p256_key)),
        ("cert", 6)
    );

    // Garbage and wrong PEM labels.
    let garbage = Made {
        cert_pem: "not a certificate".into(),
        pubkey_pem: signed.pubkey_pem.clone(),
    };
    assert_eq!(code(&mut s, &create(&owner, &garbage)), ("cert", 6));
    let garbage_key = Made {
        cert_pem: signed.cert_pem.clone(),
        pubkey_pem: "-----BEGIN EC PUBLIC KEY-----\nAAAA\n-----END EC PUBLIC KEY-----\n".into(),
    };
    assert_eq!(code(&mut s, &create(&owner, &garbage_key)), ("cert", 7));
    let wrong_label = Made {
        cert_pem: signed.cert_pem.clone(),
        pubkey_pem: signed.pubkey_pem.replace("EC PUBLIC KEY", "PUBLIC KEY"),
    };
    assert_eq!(code(&mut s, &create(&owner, &wrong_label)), ("cert", 7));
    let two_certs = Made {
        cert_pem: format!("{}{}", signed.cert_pem, signed.cert_pem),
        pubkey_pem: signed.pubkey_pem.clone(),
    };
    assert_eq!(code(&mut s, &create(&owner, &two_certs)), ("cert", 6));
    let not_der = Made {
        cert_pem: encode("CERTIFICATE", b"\x30\x03\x02\x01\x01"),
        pubkey_pem: signed.pubkey_pem.clone(),
    };
    assert_eq!(code(&mut s, &create(&owner, &not_der)), ("cert", 6));

    // Nothing was stored by any of these; the good one still goes in.
    s.deliver(&create(&owner, &signed)).unwrap();
}

#[test]
fn query_filters_and_genesis() {
    let mut s = TestChain::new();
    let a = addr(1).to_string();
    let b = addr(2).to_string();
    s.deliver(&create(&a, &p256(&a, 10))).unwrap();
    s.deliver(&create(&a, &p256(&a, 11))).unwrap();
    s.deliver(&create(&b, &p256(&b, 10))).unwrap();
    s.deliver(&MsgRevokeCertificate {
        id: Some(Id {
            owner: a.clone(),
            serial: "10".into(),
        }),
    })
    .unwrap();
    let q = |s: &mut TestChain, owner: &str, serial: &str, state: &str| {
        s.query::<_, QueryCertificatesResponse>(
            "/akash.cert.v1.Query/Certificates",
            &QueryCertificatesRequest {
                filter: Some(CertificateFilter {
                    owner: owner.into(),
                    serial: serial.into(),
                    state: state.into(),
                }),
                pagination: None,
            },
        )
    };
    assert_eq!(q(&mut s, "", "", "").unwrap().certificates.len(), 3);
    assert_eq!(q(&mut s, "", "10", "").unwrap().certificates.len(), 2);
    assert_eq!(
        q(&mut s, &a, "", "valid").unwrap().certificates[0].serial,
        "11"
    );
    assert_eq!(
        q(&mut s, &a, "", "revoked").unwrap().certificates[0].serial,
        "10"
    );
    assert_eq!(q(&mut s, "", "", "valid").unwrap().certificates.len(), 2);
    assert!(q(&mut s, "", "", "bogus").is_err());
    let paged = s
        .query::<_, QueryCertificatesResponse>(
            "/akash.cert.v1.Query/Certificates",
            &QueryCertificatesRequest {
                filter: None,
                pagination: Some(
                    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                        limit: 2,
                        ..Default::default()
                    },
                ),
            },
        )
        .unwrap();
    assert_eq!(paged.certificates.len(), 2);
    assert!(!paged.pagination.unwrap().next_key.is_empty());

    // Export, then load the export into fresh state.
    let (g, _) = s.with(|ctx| super::genesis::export(ctx));
    assert_eq!(g.certificates.len(), 3);
    let json = serde_json::to_value(&g).unwrap();
    assert_eq!(json["certificates"][0]["certificate"]["state"], "revoked");
    let mut fresh = TestChain::new();
    let (r, _) = fresh.with(|ctx| super::genesis::init(ctx, &g));
    r.unwrap();
    assert_eq!(
        q(&mut fresh, &a, "", "revoked").unwrap().certificates.len(),
        1
    );
}
