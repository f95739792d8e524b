use crate::test_ctx::{addr, TestChain};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::provider::v1beta4::*;

fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn create(owner: &str, host: &str) -> MsgCreateProvider {
    MsgCreateProvider {
        owner: owner.into(),
        host_uri: host.into(),
        attributes: vec![
            attr("region", "us-west"),
            attr("capabilities/gpu/vendor/nvidia/model/a100", "true"),
        ],
        info: Some(Info {
            email: "ops@example.com".into(),
            website: "https://example.com".into(),
        }),
    }
}

#[test]
fn create_get_update_and_query() {
    let mut s = TestChain::new();
    let owner = addr(1);
    let o = owner.to_string();
    let events = s
        .deliver(&create(&o, "https://provider.example.com:8443"))
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        "akash.provider.v1beta4.EventProviderCreated"
    );
    assert_eq!(events[0].attributes[0].value, format!("\"{o}\""));

    let (got, _) = s.with(|ctx| super::state::get(ctx, &owner));
    let got = got.unwrap();
    assert_eq!(got.host_uri, "https://provider.example.com:8443");
    assert_eq!(got.attributes.len(), 2);

    // A second create is refused.
    let err = s
        .deliver(&create(&o, "https://other.example.com"))
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("provider", 4));

    // Update replaces every field.
    let upd = MsgUpdateProvider {
        owner: o.clone(),
        host_uri: "https://new.example.com".into(),
        attributes: vec![attr("region", "eu-central")],
        info: None,
    };
    let events = s.deliver(&upd).unwrap();
    assert_eq!(
        events[0].kind,
        "akash.provider.v1beta4.EventProviderUpdated"
    );
    let resp: QueryProviderResponse = s
        .query(
            "/akash.provider.v1beta4.Query/Provider",
            &QueryProviderRequest { owner: o.clone() },
        )
        .unwrap();
    let p = resp.provider.unwrap();
    assert_eq!(p.host_uri, "https://new.example.com");
    assert_eq!(p.attributes, vec![attr("region", "eu-central")]);
    assert_eq!(p.info, None);

    // Updating an unknown provider fails.
    let mut unknown = upd.clone();
    unknown.owner = addr(2).to_string();
    let err = s.deliver(&unknown).unwrap_err();
    assert_eq!((err.codespace, err.code), ("provider", 3));

    // List with pagination.
    s.deliver(&create(&addr(3).to_string(), "https://p3.example.com"))
        .unwrap();
    let list: QueryProvidersResponse = s
        .query(
            "/akash.provider.v1beta4.Query/Providers",
            &QueryProvidersRequest {
                pagination: Some(
                    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                        limit: 1,
                        ..Default::default()
                    },
                ),
            },
        )
        .unwrap();
    assert_eq!(list.providers.len(), 1);
    assert_eq!(list.providers[0].owner, o);
    assert_eq!(list.pagination.unwrap().total, 2);

    let missing = s
        .query::<_, QueryProviderResponse>(
            "/akash.provider.v1beta4.Query/Provider",
            &QueryProviderRequest {
                owner: addr(9).to_string(),
            },
        )
        .unwrap_err();
    assert!(missing.log.contains("NotFound"), "{}", missing.log);
}

#[test]
fn bad_host_uris_are_refused_with_provider_codes() {
    let mut s = TestChain::new();
    let o = addr(1).to_string();
    for (host, code) in [
        ("http://provider.example.com", 1),       // not https
        ("https://provider.example.com/api", 1),  // has a path
        ("https://provider.example.com/", 1),     // "/" is a path too
        ("provider.example.com", 2),              // not absolute
        ("https:provider.example.com", 2),        // no host
        ("https://provider.example.com:port", 1), // unparsable port
        ("://provider.example.com", 1),           // missing scheme
    ] {
        let err = s.deliver(&create(&o, host)).unwrap_err();
        assert_eq!(
            (err.codespace, err.code),
            ("provider", code),
            "{host}: {}",
            err.log
        );
    }
    assert!(s
        .deliver(&create(&o, "HTTPS://provider.example.com:8443?x=1"))
        .is_ok());
}

#[test]
fn bad_attributes_owner_and_website() {
    let mut s = TestChain::new();
    let o = addr(1).to_string();
    let mut m = create(&o, "https://p.example.com");
    m.attributes.push(attr("region", "again"));
    let err = s.deliver(&m).unwrap_err();
    assert_eq!((err.codespace, err.code), ("akash", 1));

    let mut m = create(&o, "https://p.example.com");
    m.attributes = vec![attr("gpu*", "true")]; // wildcards are for requirements, not providers
    let err = s.deliver(&m).unwrap_err();
    assert_eq!((err.codespace, err.code), ("akash", 2));

    let mut m = create(&o, "https://p.example.com");
    m.info.as_mut().unwrap().website = "https://exa mple.com".into();
    let err = s.deliver(&m).unwrap_err();
    assert_eq!((err.codespace, err.code), ("provider", 8));

    let err = s
        .deliver(&create("akash1notanaddress", "https://p.example.com"))
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("sdk", 7));
}

#[test]
fn delete_is_not_implemented_like_akash() {
    let mut s = TestChain::new();
    let o = addr(1).to_string();
    let err = s
        .deliver(&MsgDeleteProvider { owner: o.clone() })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("provider", 3));
    s.deliver(&create(&o, "https://p.example.com")).unwrap();
    let err = s
        .deliver(&MsgDeleteProvider { owner: o.clone() })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("provider", 9));
    assert!(err.log.contains("NOTIMPLEMENTED"));
    let (still, _) = s.with(|ctx| super::state::get(ctx, &addr(1)));
    assert!(still.is_some());
}

#[test]
fn genesis_round_trip() {
    let mut s = TestChain::new();
    let json = serde_json::json!({"providers": [{
        "owner": addr(4).to_string(),
        "host_uri": "https://g.example.com:8443",
        "attributes": [{"key": "region", "value": "us-east"}],
        "info": {"email": "a@b.c", "website": ""}
    }]});
    let g: super::genesis::GenesisState = serde_json::from_value(json).unwrap();
    let (r, _) = s.with(|ctx| super::genesis::init(ctx, &g));
    r.unwrap();
    let (exported, _) = s.with(|ctx| super::genesis::export(ctx));
    assert_eq!(exported.providers, g.providers);
    let bad: super::genesis::GenesisState =
        serde_json::from_value(serde_json::json!({"providers": [{
        "owner": addr(5).to_string(), "host_uri": "http://x"}]}))
        .unwrap();
    let (r, _) = s.with(|ctx| super::genesis::init(ctx, &bad));
    assert_eq!(r.unwrap_err().code, 1);
}
