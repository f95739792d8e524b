//! A 2-of-3 multisig account through the real ante handler on an in-memory chain: two member
//! signatures pass (and store the multisig key on the account), one is refused with code 4 and
//! the count, and a bit array that disagrees with the signatures or a non-member's signature is
//! refused.

use super::*;
use crate::ante::{self, AnteParams, SigCache};
use crate::errors::SdkResult;
use crate::test_ctx::{economy_chain, TestChain};
use crate::tx::{decode_tx, DecodedTx};
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, Fee, ModeInfo, TxBody, TxRaw};
use kumo_crypto::PrivKey;

const CHAIN: &str = "kumo-devnet";

fn members() -> Vec<PrivKey> {
    (1u8..=3)
        .map(|n| PrivKey::from_bytes(&[n; 32]).unwrap())
        .collect()
}

fn multisig() -> MultisigPubKey {
    MultisigPubKey::new(2, members().iter().map(|k| k.pubkey()).collect(), true).unwrap()
}

/// A chain where the 2-of-3 multisig address holds uakt (never signed yet).
fn net() -> (TestChain, u64) {
    let ms = multisig().address().to_string();
    let mut g = crate::genesis::Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    g.add_account(&ms, &[crate::coins::Coin::new("uakt", 1_000_000_000)])
        .unwrap();
    let mut net = economy_chain(&g);
    net.set_chain_id(CHAIN);
    let addr = multisig().address();
    let (acc, _) = net.with(|ctx| auth::get_account(ctx, &addr));
    let number = acc.unwrap().expect("genesis account").base().account_number;
    (net, number)
}

fn send_any() -> Any {
    let msg = MsgSend {
        from_address: multisig().address().to_string(),
        to_address: crate::test_ctx::addr(9).to_string(),
        amount: vec![Coin {
            denom: "uakt".into(),
            amount: "1000".into(),
        }],
    };
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: msg.encode_to_vec(),
    }
}

fn fee() -> Fee {
    Fee {
        amount: vec![Coin {
            denom: "uakt".into(),
            amount: "5000".into(),
        }],
        gas_limit: 200_000,
        payer: String::new(),
        granter: String::new(),
    }
}

/// The amino sign doc every member signs (account `number`, sequence 0).
fn amino_doc(number: u64) -> Vec<u8> {
    kumo_proto::amino::sign_doc_bytes(CHAIN, number, 0, 0, "", &fee(), &[send_any()]).unwrap()
}

/// The tx with `bits` set in the bit array and one signature per `(signer key, bytes)`.
fn multisig_tx(bits: CompactBitArray, sigs: Vec<Vec<u8>>) -> DecodedTx {
    let amino = ModeInfo {
        sum: Some(mode_info::Sum::Single(mode_info::Single {
            mode: SignMode::LegacyAminoJson as i32,
        })),
    };
    #[allow(deprecated)]
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(multisig_any(&multisig())),
            mode_info: Some(cosmos_sdk_proto::cosmos::tx::v1beta1::ModeInfo {
                sum: Some(mode_info::Sum::Multi(mode_info::Multi {
                    bitarray: Some(bits),
                    mode_infos: vec![amino; sigs.len()],
                })),
            }),
            sequence: 0,
        }],
        fee: Some(fee()),
        tip: None,
    };
    let body = TxBody {
        messages: vec![send_any()],
        ..Default::default()
    };
    let raw = TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth_info.encode_to_vec(),
        signatures: vec![MultiSignature { signatures: sigs }.encode_to_vec()],
    };
    decode_tx(&raw.encode_to_vec()).unwrap()
}

/// The ante handler; with `keep` its writes stay, else the layer is dropped.
fn ante_run(net: &mut TestChain, tx: &DecodedTx, keep: bool) -> (SdkResult<()>, u64) {
    let cache = SigCache::default();
    let p = AnteParams {
        min_gas_prices: &[],
        sig_cache: &cache,
    };
    let (r, _) = net.with(|ctx| {
        ctx.push_layer();
        let r = ante::run(ctx, tx, &p);
        if keep && r.is_ok() {
            ctx.commit_layer();
        } else {
            ctx.discard_layer();
        }
        (r, ctx.gas.consumed())
    });
    r
}

fn refused(r: SdkResult<()>, code: u32, text: &str) {
    let e = r.expect_err(text);
    assert_eq!((e.codespace, e.code), ("sdk", code), "{e}");
    assert!(e.log.contains(text), "expected {text:?} in {e}");
}

#[test]
fn known_multisig_address_and_any_round_trip() {
    let m = multisig();
    let back = multisig_from_any(&multisig_any(&m)).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.address(), m.address());
    // A secp256k1 key is not a multisig key.
    let single = auth::pubkey_any(&members()[0].pubkey());
    assert!(multisig_from_any(&single).is_err());
}

#[test]
fn two_of_three_verifies_and_stores_the_key() {
    let (mut net, number) = net();
    let doc = amino_doc(number);
    let keys = members();
    let m = multisig();
    let i0 = m.index_of(&keys[0].pubkey()).unwrap();
    let i2 = m.index_of(&keys[2].pubkey()).unwrap();
    let (mut order, mut sigs) = (vec![i0, i2], vec![]);
    order.sort();
    for &i in &order {
        let k = keys
            .iter()
            .find(|k| m.index_of(&k.pubkey()) == Some(i))
            .unwrap();
        sigs.push(k.sign(&doc).to_vec());
    }
    let tx = multisig_tx(bit_array(3, &order), sigs.clone());
    let (r, gas_two) = ante_run(&mut net, &tx, false);
    r.unwrap();

    // Three signatures cost one more signature verification than two.
    let all: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let k = keys
                .iter()
                .find(|k| m.index_of(&k.pubkey()) == Some(i))
                .unwrap();
            k.sign(&doc).to_vec()
        })
        .collect();
    let tx3 = multisig_tx(bit_array(3, &[0, 1, 2]), all);
    let (r, gas_three) = ante_run(&mut net, &tx3, false);
    r.unwrap();
    let params = auth::default_params();
    assert!(
        gas_three >= gas_two + params.sig_verify_cost_secp256k1,
        "{gas_two} {gas_three}"
    );

    // Kept: the account now carries the multisig key and sequence 1.
    let (r, _) = ante_run(&mut net, &tx, true);
    r.unwrap();
    let addr = m.address();
    let (acc, _) = net.with(|ctx| auth::get_account(ctx, &addr));
    let acc = acc.unwrap().unwrap();
    assert_eq!(acc.base().sequence, 1);
    let stored = acc.base().pub_key.clone().unwrap();
    assert_eq!(stored.type_url, MULTISIG_PUBKEY_URL);
    assert_eq!(multisig_from_any(&stored).unwrap(), m);
    assert!(
        acc.pubkey().is_none(),
        "a multisig key is not a secp256k1 key"
    );
    // The same tx again is a replay: the sequence moved on.
    let (r, _) = ante_run(&mut net, &tx, false);
    refused(r, 32, "account sequence mismatch, expected 1, got 0");
}

#[test]
fn one_of_three_is_refused_with_the_count() {
    let (mut net, number) = net();
    let doc = amino_doc(number);
    let m = multisig();
    let k = members().into_iter().next().unwrap();
    let i = m.index_of(&k.pubkey()).unwrap();
    let tx = multisig_tx(bit_array(3, &[i]), vec![k.sign(&doc).to_vec()]);
    let (r, _) = ante_run(&mut net, &tx, false);
    refused(r, 4, "multisig: 1 of 3 signatures, threshold 2");
}

#[test]
fn bad_bit_arrays_and_foreign_signatures_are_refused() {
    let (mut net, number) = net();
    let doc = amino_doc(number);
    let m = multisig();
    let keys = members();
    let sig_of = |i: usize| {
        let k = keys
            .iter()
            .find(|k| m.index_of(&k.pubkey()) == Some(i))
            .unwrap();
        k.sign(&doc).to_vec()
    };

    // Four bits for three members.
    let tx = multisig_tx(bit_array(4, &[0, 1]), vec![sig_of(0), sig_of(1)]);
    refused(ante_run(&mut net, &tx, false).0, 4, "bit array has 4 bits");
    // Two bits set, one signature.
    let tx = multisig_tx(bit_array(3, &[0, 1]), vec![sig_of(0)]);
    refused(
        ante_run(&mut net, &tx, false).0,
        4,
        "marks 2 members but 1 signatures",
    );
    // Bits 0 and 1 set, but member 2 signed in place of member 1.
    let tx = multisig_tx(bit_array(3, &[0, 1]), vec![sig_of(0), sig_of(2)]);
    refused(
        ante_run(&mut net, &tx, false).0,
        4,
        "signature verification failed",
    );
    // A key outside the multisig signs for member 1.
    let outsider = PrivKey::from_bytes(&[7; 32]).unwrap();
    let tx = multisig_tx(
        bit_array(3, &[0, 1]),
        vec![sig_of(0), outsider.sign(&doc).to_vec()],
    );
    refused(ante_run(&mut net, &tx, false).0, 4, "multisig member 1");
    // A signature over another chain's doc.
    let other = kumo_proto::amino::sign_doc_bytes("other", number, 0, 0, "", &fee(), &[send_any()])
        .unwrap();
    let k0 = keys
        .iter()
        .find(|k| m.index_of(&k.pubkey()) == Some(0))
        .unwrap();
    let tx = multisig_tx(
        bit_array(3, &[0, 1]),
        vec![k0.sign(&other).to_vec(), sig_of(1)],
    );
    refused(
        ante_run(&mut net, &tx, false).0,
        4,
        "signature verification failed",
    );
    // Not a MultiSignature at all.
    let mut tx = multisig_tx(bit_array(3, &[0, 1]), vec![sig_of(0), sig_of(1)]);
    tx.raw.signatures[0] = vec![0xff, 0xff, 0xff];
    refused(
        ante_run(&mut net, &tx, false).0,
        4,
        "is not a MultiSignature",
    );
}
