use crate::test_ctx::{addr, TestChain};
use kumo_proto::akash::audit::v1::*;
use kumo_proto::akash::base::attributes::v1::Attribute;

fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn sign(owner: u8, auditor: u8, attrs: &[Attribute]) -> MsgSignProviderAttributes {
    MsgSignProviderAttributes {
        owner: addr(owner).to_string(),
        auditor: addr(auditor).to_string(),
        attributes: attrs.to_vec(),
    }
}

#[test]
fn sign_merges_sorted_and_delete_removes() {
    let mut s = TestChain::new();
    let events = s
        .deliver(&sign(
            1,
            7,
            &[attr("tier", "community"), attr("region", "us-west")],
        ))
        .unwrap();
    assert_eq!(events[0].kind, "akash.audit.v1.EventTrustedAuditorCreated");
    // Merge: region is overwritten, host added, tier kept; stored sorted by key.
    s.deliver(&sign(1, 7, &[attr("region", "eu"), attr("host", "akash")]))
        .unwrap();
    let (recs, _) = s.with(|ctx| super::state::records_for(ctx, &addr(1)));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].auditor, addr(7).to_string());
    assert_eq!(
        recs[0].attributes,
        vec![
            attr("host", "akash"),
            attr("region", "eu"),
            attr("tier", "community")
        ]
    );

    // A second auditor; records_for lists both, by auditor.
    s.deliver(&sign(1, 8, &[attr("region", "eu")])).unwrap();
    s.deliver(&sign(2, 8, &[attr("region", "us")])).unwrap();
    let (recs, _) = s.with(|ctx| super::state::records_for(ctx, &addr(1)));
    assert_eq!(
        recs.iter().map(|r| r.auditor.clone()).collect::<Vec<_>>(),
        vec![addr(7).to_string(), addr(8).to_string()]
    );

    // Delete one key.
    let events = s
        .deliver(&MsgDeleteProviderAttributes {
            owner: addr(1).to_string(),
            auditor: addr(7).to_string(),
            keys: vec!["host".into()],
        })
        .unwrap();
    assert_eq!(events[0].kind, "akash.audit.v1.EventTrustedAuditorDeleted");
    let (recs, _) = s.with(|ctx| super::state::records_for(ctx, &addr(1)));
    assert_eq!(
        recs[0].attributes,
        vec![attr("region", "eu"), attr("tier", "community")]
    );

    // An unknown key fails and changes nothing.
    let err = s
        .deliver(&MsgDeleteProviderAttributes {
            owner: addr(1).to_string(),
            auditor: addr(7).to_string(),
            keys: vec!["tier".into(), "nope".into()],
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("audit", 3));
    let (recs, _) = s.with(|ctx| super::state::records_for(ctx, &addr(1)));
    assert_eq!(recs[0].attributes.len(), 2);

    // No keys: the whole record goes.
    s.deliver(&MsgDeleteProviderAttributes {
        owner: addr(1).to_string(),
        auditor: addr(7).to_string(),
        keys: vec![],
    })
    .unwrap();
    let (recs, _) = s.with(|ctx| super::state::records_for(ctx, &addr(1)));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].auditor, addr(8).to_string());

    // Deleting from a record that does not exist.
    let err = s
        .deliver(&MsgDeleteProviderAttributes {
            owner: addr(1).to_string(),
            auditor: addr(7).to_string(),
            keys: vec![],
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("audit", 1));
}

#[test]
fn signer_is_the_auditor_and_keys_are_checked() {
    let mut s = TestChain::new();
    let any = cosmos_sdk_proto::Any {
        type_url: super::msgs::MSG_SIGN_PROVIDER_ATTRIBUTES.into(),
        value: prost::Message::encode_to_vec(&sign(1, 7, &[attr("region", "x")])),
    };
    let msg = crate::msgs::Msg::from_any(&any).unwrap();
    assert_eq!(msg.signers(), vec![addr(7)]);
    assert_eq!(msg.module(), "audit");
    let err = s.deliver(&sign(1, 7, &[attr("re gion", "x")])).unwrap_err();
    assert_eq!((err.codespace, err.code), ("akash", 2));
    let mut bad = sign(1, 7, &[]);
    bad.auditor = "nobody".into();
    assert_eq!(s.deliver(&bad).unwrap_err().code, 7);
}

#[test]
fn queries() {
    let mut s = TestChain::new();
    s.deliver(&sign(1, 7, &[attr("region", "a")])).unwrap();
    s.deliver(&sign(1, 8, &[attr("region", "b")])).unwrap();
    s.deliver(&sign(2, 7, &[attr("region", "c")])).unwrap();
    let all: QueryProvidersResponse = s
        .query(
            "/akash.audit.v1.Query/AllProvidersAttributes",
            &QueryAllProvidersAttributesRequest { pagination: None },
        )
        .unwrap();
    assert_eq!(all.providers.len(), 3);
    let by_owner: QueryProvidersResponse = s
        .query(
            "/akash.audit.v1.Query/ProviderAttributes",
            &QueryProviderAttributesRequest {
                owner: addr(1).to_string(),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(by_owner.providers.len(), 2);
    let by_auditor: QueryProvidersResponse = s
        .query(
            "/akash.audit.v1.Query/AuditorAttributes",
            &QueryAuditorAttributesRequest {
                auditor: addr(7).to_string(),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(
        by_auditor
            .providers
            .iter()
            .map(|p| p.owner.clone())
            .collect::<Vec<_>>(),
        vec![addr(1).to_string(), addr(2).to_string()]
    );
    let one: QueryProvidersResponse = s
        .query(
            "/akash.audit.v1.Query/ProviderAuditorAttributes",
            &QueryProviderAuditorRequest {
                auditor: addr(8).to_string(),
                owner: addr(1).to_string(),
            },
        )
        .unwrap();
    assert_eq!(one.providers[0].attributes, vec![attr("region", "b")]);
    assert!(s
        .query::<_, QueryProvidersResponse>(
            "/akash.audit.v1.Query/ProviderAuditorAttributes",
            &QueryProviderAuditorRequest {
                auditor: addr(8).to_string(),
                owner: addr(2).to_string(),
            },
        )
        .is_err());
}
