//! The 19 vectors of spec/amino (copied to tests/data so a clean clone runs them): each TxRaw's
//! body and auth info rebuild the exact signed bytes, and each message its amino object.

use super::encode::{format_legacy_dec, timestamp_text};
use super::*;
use base64::Engine;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use prost::Message;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/amino-vectors.json");
    let text = std::fs::read_to_string(path).expect("read the amino vector file");
    let file: Value = serde_json::from_str(&text).expect("vector file is JSON");
    file["vectors"].as_array().expect("vectors array").clone()
}

fn b64(s: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().expect("base64 string"))
        .expect("valid base64")
}

#[test]
fn every_vector_rebuilds_its_sign_doc_from_the_tx() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 19);
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let raw = TxRaw::decode(b64(&v["tx_raw_b64"]).as_slice()).unwrap();
        let body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        assert_eq!(auth.signer_infos.len(), 1, "{name}");
        let signer = &auth.signer_infos[0];
        let fee = auth.fee.as_ref().expect("fee");
        let doc = sign_doc_bytes(
            "kumo-devnet",
            0,
            signer.sequence,
            body.timeout_height,
            &body.memo,
            fee,
            &body.messages,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = v["sign_doc_json"].as_str().unwrap();
        assert_eq!(String::from_utf8(doc).unwrap(), want, "{name}");

        assert_eq!(body.messages.len(), 1, "{name}");
        let got = msg_json(&body.messages[0]).unwrap();
        assert_eq!(got, v["amino_msg"], "{name}");
        assert_eq!(got["type"], v["amino_name"], "{name}");
        // The message bytes alone (msg_proto_b64) give the same object.
        let alone = Any {
            type_url: v["type_url"].as_str().unwrap().to_string(),
            value: b64(&v["msg_proto_b64"]),
        };
        assert_eq!(msg_json(&alone).unwrap(), v["amino_msg"], "{name}");
    }
}

fn fee(amount: &[(&str, &str)], gas: u64) -> Fee {
    Fee {
        amount: amount
            .iter()
            .map(|(denom, amount)| Coin {
                denom: denom.to_string(),
                amount: amount.to_string(),
            })
            .collect(),
        gas_limit: gas,
        payer: String::new(),
        granter: String::new(),
    }
}

#[test]
fn sign_doc_zero_fee_timeout_payer_granter() {
    let mut f = fee(&[], 0);
    let doc = sign_doc_bytes("c", 1, 2, 0, "", &f, &[]).unwrap();
    assert_eq!(
        String::from_utf8(doc).unwrap(),
        r#"{"account_number":"1","chain_id":"c","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[],"sequence":"2"}"#
    );
    f.payer = "akash1payer".into();
    f.granter = "akash1granter".into();
    let doc = sign_doc_bytes("c", 1, 2, 99, "m", &f, &[]).unwrap();
    assert_eq!(
        String::from_utf8(doc).unwrap(),
        r#"{"account_number":"1","chain_id":"c","fee":{"amount":[],"gas":"0","granter":"akash1granter","payer":"akash1payer"},"memo":"m","msgs":[],"sequence":"2","timeout_height":"99"}"#
    );
}

#[test]
fn go_string_escaping() {
    let memo = "a<b>&c \u{2028}\u{2029} \"q\" \\ \n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} é😀";
    let doc = sign_doc_bytes("c", 0, 0, 0, memo, &fee(&[], 0), &[]).unwrap();
    let text = String::from_utf8(doc).unwrap();
    assert!(
        text.contains(
            r#""memo":"a\u003cb\u003e\u0026c \u2028\u2029 \"q\" \\ \n\r\t\b\f\u0001\u001f"#
        ),
        "{text}"
    );
    assert!(text.contains("\u{7f} é😀\""), "{text}");
    // Invalid UTF-8: one \ufffd per bad byte, as Go's encoding/json.
    let mut out = Vec::new();
    gojson::write_string(b"a\xe2\x82b\xffc", &mut out);
    assert_eq!(out, br#""a\ufffd\ufffdb\ufffdc""#);
}

#[test]
fn unknown_type_and_bad_bytes_are_clear_errors() {
    let err = msg_json(&Any {
        type_url: "/kumo.NoSuchMsg".into(),
        value: vec![],
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no amino encoding for type URL \"/kumo.NoSuchMsg\""
    );
    let err = msg_json(&Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: vec![0x0a, 0x05, b'a'],
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot decode /cosmos.bank.v1beta1.MsgSend: "),
        "{err}"
    );
    // An unknown (critical) field would escape the signature: refused.
    let mut bytes = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: "a".into(),
        to_address: "b".into(),
        amount: vec![],
    }
    .encode_to_vec();
    bytes.extend_from_slice(&[0x48, 0x01]); // field 9, varint 1
    let err = msg_json(&Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: bytes.clone(),
    })
    .unwrap_err();
    assert!(err.to_string().contains("unknown field 9"), "{err}");
    // Without the stray field it encodes, and an empty legacy_coins list is `[]`.
    let empty = msg_json(&Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: bytes[..bytes.len() - 2].to_vec(),
    })
    .unwrap();
    assert_eq!(empty["value"]["amount"], serde_json::json!([]));
}

#[test]
fn cosmos_msgs_follow_their_amino_facts() {
    use cosmos_sdk_proto::cosmos::gov::v1::MsgVote;
    use cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail;
    use cosmos_sdk_proto::cosmos::staking::v1beta1::{
        CommissionRates, Description, MsgCreateValidator,
    };
    let vote = MsgVote {
        proposal_id: 3,
        voter: "akash1v".into(),
        option: 1,
        metadata: String::new(),
    };
    let j = msg_json(&Any {
        type_url: "/cosmos.gov.v1.MsgVote".into(),
        value: vote.encode_to_vec(),
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&j)).unwrap(),
        r#"{"type":"cosmos-sdk/v1/MsgVote","value":{"option":1,"proposal_id":"3","voter":"akash1v"}}"#
    );
    let unjail = MsgUnjail {
        validator_addr: String::new(),
    };
    let j = msg_json(&Any {
        type_url: "/cosmos.slashing.v1beta1.MsgUnjail".into(),
        value: unjail.encode_to_vec(),
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&j)).unwrap(),
        r#"{"type":"cosmos-sdk/MsgUnjail","value":{"address":""}}"#
    );
    let create = MsgCreateValidator {
        description: Some(Description {
            moniker: "v".into(),
            ..Default::default()
        }),
        commission: Some(CommissionRates {
            rate: "100000000000000000".into(),
            max_rate: "200000000000000000".into(),
            max_change_rate: "10000000000000000".into(),
        }),
        min_self_delegation: "1".into(),
        #[allow(deprecated)]
        delegator_address: String::new(),
        validator_address: "akashvaloper1x".into(),
        pubkey: Some(cosmos_sdk_proto::Any {
            type_url: "/cosmos.crypto.ed25519.PubKey".into(),
            value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey { key: vec![1, 2, 3] }
                .encode_to_vec(),
        }),
        value: Some(Coin {
            denom: "uakt".into(),
            amount: "5".into(),
        }),
    };
    let j = msg_json(&Any {
        type_url: "/cosmos.staking.v1beta1.MsgCreateValidator".into(),
        value: create.encode_to_vec(),
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&j)).unwrap(),
        concat!(
            r#"{"type":"cosmos-sdk/MsgCreateValidator","value":{"commission":{"max_change_rate":"0.010000000000000000","#,
            r#""max_rate":"0.200000000000000000","rate":"0.100000000000000000"},"description":{"moniker":"v"},"#,
            r#""min_self_delegation":"1","pubkey":{"type":"tendermint/PubKeyEd25519","value":"AQID"},"#,
            r#""validator_address":"akashvaloper1x","value":{"amount":"5","denom":"uakt"}}}"#
        )
    );
    // A dont_omitempty sub-message absent from the wire is refused, as x/tx refuses it.
    let no_amount =
        cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate::default().encode_to_vec();
    let err = msg_json(&Any {
        type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
        value: no_amount,
    })
    .unwrap_err();
    assert!(err.to_string().contains("MsgDelegate.amount"), "{err}");
}

#[test]
fn scalar_formats() {
    assert_eq!(
        format_legacy_dec("1000500000000000000000").unwrap(),
        "1000.500000000000000000"
    );
    assert_eq!(format_legacy_dec("5").unwrap(), "0.000000000000000005");
    assert_eq!(format_legacy_dec("0").unwrap(), "0.000000000000000000");
    assert_eq!(format_legacy_dec("-0").unwrap(), "0.000000000000000000");
    assert_eq!(
        format_legacy_dec("-1500000000000000000").unwrap(),
        "-1.500000000000000000"
    );
    assert_eq!(format_legacy_dec("1.5"), None);
    assert_eq!(format_legacy_dec("-"), None);
    assert_eq!(
        timestamp_text(1_830_297_600, 0).unwrap(),
        Value::String("2028-01-01T00:00:00Z".into())
    );
    assert_eq!(
        timestamp_text(0, 120_000_000).unwrap(),
        Value::String("1970-01-01T00:00:00.12Z".into())
    );
    assert_eq!(
        timestamp_text(-62_135_596_800, 0).unwrap(),
        Value::String("0001-01-01T00:00:00Z".into())
    );
    assert_eq!(
        timestamp_text(951_782_400 + 86_399, 1).unwrap(),
        Value::String("2000-02-29T23:59:59.000000001Z".into())
    );
    assert!(timestamp_text(0, -1).is_err());
    assert!(timestamp_text(253_402_300_800, 0).is_err()); // year 10000
}

#[test]
fn fee_grants_follow_their_amino_facts() {
    use cosmos_sdk_proto::cosmos::feegrant::v1beta1::{BasicAllowance, MsgGrantAllowance};
    let grant = |spend_limit: Vec<Coin>| MsgGrantAllowance {
        granter: "akash1a".into(),
        grantee: "akash1b".into(),
        allowance: Some(Any {
            type_url: "/cosmos.feegrant.v1beta1.BasicAllowance".into(),
            value: BasicAllowance {
                spend_limit,
                expiration: None,
            }
            .encode_to_vec(),
        }),
    };
    let text = |m: MsgGrantAllowance| {
        let j = msg_json(&Any {
            type_url: "/cosmos.feegrant.v1beta1.MsgGrantAllowance".into(),
            value: m.encode_to_vec(),
        })
        .unwrap();
        String::from_utf8(json_bytes(&j)).unwrap()
    };
    assert_eq!(
        text(grant(vec![Coin {
            denom: "uakt".into(),
            amount: "5".into(),
        }])),
        concat!(
            r#"{"type":"cosmos-sdk/MsgGrantAllowance","value":{"allowance":{"type":"cosmos-sdk/BasicAllowance","#,
            r#""value":{"spend_limit":[{"amount":"5","denom":"uakt"}]}},"grantee":"akash1b","granter":"akash1a"}}"#
        )
    );
    // No limit: the legacy_coins list is written empty, not left out.
    assert_eq!(
        text(grant(vec![])),
        concat!(
            r#"{"type":"cosmos-sdk/MsgGrantAllowance","value":{"allowance":{"type":"cosmos-sdk/BasicAllowance","#,
            r#""value":{"spend_limit":[]}},"grantee":"akash1b","granter":"akash1a"}}"#
        )
    );
}
