//! SIGN_MODE_LEGACY_AMINO_JSON through the real ante handler: every TxRaw of spec/amino (signed
//! by cosmjs with an amino signer: account 0, sequence 7, chain `kumo-devnet`) verifies; a
//! tampered fee, a wrong amino type name, an unsupported mode and a reused cache entry of the
//! other mode are refused.

use crate::ante::{self, AnteParams, SigCache};
use crate::auth;
use crate::errors::SdkResult;
use crate::test_ctx::{economy_chain, TestChain};
use crate::tx::{decode_tx, DecodedTx};
use base64::Engine;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, ModeInfo, TxRaw};
use kumo_crypto::{PrivKey, ACCOUNT_HRP};
use prost::Message;
use serde_json::Value;

const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const SIGNER: &str = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kumo-proto/tests/data/amino-vectors.json"
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors")).unwrap();
    file["vectors"].as_array().unwrap().clone()
}

fn b64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

/// A chain `kumo-devnet` where the vectors' signer has account number 0, sequence 7 and uakt.
fn net() -> TestChain {
    let mut g = crate::genesis::Genesis::new("kumo-devnet", "2026-01-01T00:00:00Z");
    g.add_account(SIGNER, &[crate::coins::Coin::new("uakt", 1_000_000_000)])
        .unwrap();
    let mut net = economy_chain(&g);
    net.set_chain_id("kumo-devnet");
    let signer = kumo_crypto::Address::from_bech32(SIGNER, ACCOUNT_HRP).unwrap();
    let (r, _) = net.with(|ctx| -> SdkResult<()> {
        let mut acc = auth::get_account(ctx, &signer)?.expect("genesis account");
        acc.base_mut().account_number = 0;
        acc.base_mut().sequence = 7;
        auth::set_account(ctx, &signer, &acc)
    });
    r.unwrap();
    net
}

/// The ante handler alone, on a layer that is always dropped (so each tx sees sequence 7).
fn ante_run(net: &mut TestChain, tx: &DecodedTx, cache: &SigCache) -> SdkResult<()> {
    let p = AnteParams {
        min_gas_prices: &[],
        sig_cache: cache,
    };
    let (r, _) = net.with(|ctx| {
        ctx.push_layer();
        let r = ante::run(ctx, tx, &p);
        ctx.discard_layer();
        r
    });
    r
}

fn refused_code_4(r: SdkResult<()>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!((e.codespace, e.code), ("sdk", 4), "{what}: {e}");
    assert!(
        e.log.contains("signature verification failed"),
        "{what}: {e}"
    );
}

#[test]
fn every_vector_tx_verifies_in_the_ante_handler() {
    // Every message type of the vectors is routed (gov v1beta1 included: it runs as v1).
    let mut net = net();
    for v in vectors() {
        let name = v["name"].as_str().unwrap().to_string();
        let bytes = b64(&v["tx_raw_b64"]);
        let tx = decode_tx(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cache = SigCache::default();
        ante_run(&mut net, &tx, &cache).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn send_vector() -> (TxRaw, Value) {
    let v = vectors()
        .into_iter()
        .find(|v| v["type_url"] == "/cosmos.bank.v1beta1.MsgSend")
        .unwrap();
    (TxRaw::decode(b64(&v["tx_raw_b64"]).as_slice()).unwrap(), v)
}

fn with_auth_info(raw: &TxRaw, f: impl FnOnce(&mut AuthInfo)) -> DecodedTx {
    let mut auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    f(&mut auth_info);
    let raw = TxRaw {
        auth_info_bytes: auth_info.encode_to_vec(),
        ..raw.clone()
    };
    decode_tx(&raw.encode_to_vec()).unwrap()
}

#[test]
fn tampered_fee_is_refused_with_code_4() {
    let mut net = net();
    let (raw, _) = send_vector();
    let tx = with_auth_info(&raw, |a| {
        a.fee.as_mut().unwrap().amount[0].amount = "5001".into()
    });
    refused_code_4(ante_run(&mut net, &tx, &SigCache::default()), "fee 5001");
    let tx = with_auth_info(&raw, |a| a.fee.as_mut().unwrap().gas_limit = 200_001);
    refused_code_4(ante_run(&mut net, &tx, &SigCache::default()), "gas 200001");
}

#[test]
fn wrong_amino_name_is_refused_with_code_4() {
    let mut net = net();
    let key = PrivKey::from_mnemonic(MNEMONIC, "").unwrap();
    assert_eq!(key.address().to_bech32(ACCOUNT_HRP), SIGNER);
    let v = vectors()
        .into_iter()
        .find(|v| v["type_url"] == "/akash.deployment.v1beta4.MsgCloseDeployment")
        .unwrap();
    let raw = TxRaw::decode(b64(&v["tx_raw_b64"]).as_slice()).unwrap();
    // Signed over the go-amino RegisterConcrete name instead of the type URL x/tx writes.
    let doc = v["sign_doc_json"].as_str().unwrap().replace(
        "\"/akash.deployment.v1beta4.MsgCloseDeployment\"",
        "\"akash-sdk/x/deployment/MsgCloseDeployment\"",
    );
    let forged = TxRaw {
        signatures: vec![key.sign(doc.as_bytes()).to_vec()],
        ..raw.clone()
    };
    let tx = decode_tx(&forged.encode_to_vec()).unwrap();
    refused_code_4(ante_run(&mut net, &tx, &SigCache::default()), "legacy name");
    // The same key over the right bytes passes: the refusal is the name, not the key.
    let good = TxRaw {
        signatures: vec![key
            .sign(v["sign_doc_json"].as_str().unwrap().as_bytes())
            .to_vec()],
        ..raw
    };
    let tx = decode_tx(&good.encode_to_vec()).unwrap();
    ante_run(&mut net, &tx, &SigCache::default()).unwrap();
}

#[test]
fn other_modes_are_refused_and_the_cache_key_holds_the_mode() {
    let mut net = net();
    let (raw, _) = send_vector();
    let set_mode = |mode: i32| {
        move |a: &mut AuthInfo| {
            a.signer_infos[0].mode_info = Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode })),
            })
        }
    };
    let textual = with_auth_info(&raw, set_mode(SignMode::Textual as i32));
    let e = ante_run(&mut net, &textual, &SigCache::default()).unwrap_err();
    assert_eq!(e.code, 4);
    assert!(
        e.log.contains("SIGN_MODE_TEXTUAL is not supported")
            && e.log
                .contains("SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON"),
        "{e}"
    );
    // An amino signature presented as DIRECT fails, even with the amino verification cached
    // for the same tx hash, signer and account.
    let amino = decode_tx(&raw.encode_to_vec()).unwrap();
    let cache = SigCache::default();
    ante_run(&mut net, &amino, &cache).unwrap();
    assert!(cache.contains(&(amino.hash, 0, 0, SignMode::LegacyAminoJson as i32)));
    let direct = with_auth_info(&raw, set_mode(SignMode::Direct as i32));
    cache.insert((direct.hash, 0, 0, SignMode::LegacyAminoJson as i32));
    refused_code_4(ante_run(&mut net, &direct, &cache), "amino sig as DIRECT");
    // preverify fills the cache under the tx's own mode.
    let cache = SigCache::default();
    ante::preverify(&amino, 0, 0, || None, "kumo-devnet", &cache);
    assert!(cache.contains(&(amino.hash, 0, 0, SignMode::LegacyAminoJson as i32)));
}
