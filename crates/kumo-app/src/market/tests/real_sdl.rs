//! The auction with a real tenant SDL: `Qwen3.5-9B_deploy.yaml` asks for one NVIDIA GPU of any
//! model, prices it at 100000 uact per block and only trusts providers signed by one auditor
//! (`signedBy.anyOf`). kumo-sdl turns it into the GroupSpecs the tenant posts.

use super::*;
use kumo_proto::akash::audit::v1::MsgSignProviderAttributes;

const SDL: &str = "Qwen3.5-9B_deploy.yaml";
const SDL_PRICE: u128 = 100_000;

fn sdl_groups() -> (Vec<dv1b4::GroupSpec>, [u8; 32]) {
    let dir = std::env::var("KUMO_SDL_EXAMPLES").unwrap_or_else(|_| {
        format!(
            "{}/../../../shared/sdl-examples",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let path = std::path::Path::new(&dir).join(SDL);
    let d = kumo_sdl::parse_file(&path)
        .unwrap_or_else(|e| panic!("{} must parse (set KUMO_SDL_EXAMPLES): {e}", path.display()));
    (d.groups, d.manifest_version)
}

/// The auditor named in the SDL's `signedBy.anyOf`.
fn auditor(groups: &[dv1b4::GroupSpec]) -> Address {
    let any_of = &groups[0]
        .requirements
        .as_ref()
        .and_then(|r| r.signed_by.as_ref())
        .expect("the SDL has signedBy")
        .any_of;
    crate::auth::parse_address("auditor", &any_of[0]).unwrap()
}

/// Runs a message as `signer` (an address that is not one of the numbered test accounts).
fn tx_as<M: Message + Name>(env: &mut Env, signer: Address, m: &M) -> Result<(), SdkError> {
    env.0.tx(&signer, m).map(|_| ())
}

fn uact_bid(provider: u8, price: u128) -> mv1b5::MsgCreateBid {
    mv1b5::MsgCreateBid {
        id: Some(bid_id(provider, 200, 1)),
        price: Some(dec("uact", price)),
        deposit: Some(deposit("uakt", BID_DEPOSIT)),
        resources_offer: vec![],
        reclamation_window: None,
    }
}

const UNAUDITED: u8 = 6;

#[test]
fn a_real_gpu_sdl_goes_through_the_whole_auction() {
    let (groups, hash) = sdl_groups();
    assert_eq!(groups.len(), 1);
    let auditor = auditor(&groups);
    let mut env = market();
    env.register_provider(UNAUDITED, gpu_caps());
    // The auditor vouches for every provider except UNAUDITED.
    for p in [GOOD, PRICEY, NO_GPU] {
        tx_as(
            &mut env,
            auditor,
            &MsgSignProviderAttributes {
                owner: bech(addr(p)),
                auditor: auditor.to_string(),
                attributes: vec![attr("region", "us-west")],
            },
        )
        .unwrap();
    }

    env.tx(
        TENANT,
        &dv1b4::MsgCreateDeployment {
            id: Some(did(200)),
            groups,
            hash: hash.to_vec(),
            deposit: Some(deposit("uact", DEPOSIT)),
            reclamation: None,
        },
    )
    .unwrap();
    assert_eq!(env.order_state(200, 1), OrderState::Open);

    // Too expensive, no GPU, not signed by the SDL's auditor: each refused with Akash's code.
    let e = env.refused(PRICEY, &uact_bid(PRICEY, SDL_PRICE + 1));
    assert_eq!(code(&e), ("market", 4), "{e}");
    let e = env.refused(NO_GPU, &uact_bid(NO_GPU, 90_000));
    assert_eq!(code(&e), ("market", 32), "{e}");
    let e = env.refused(UNAUDITED, &uact_bid(UNAUDITED, 90_000));
    assert_eq!(code(&e), ("market", 5), "{e}");

    // The good provider bids under the ceiling and wins the lease.
    env.tx(GOOD, &uact_bid(GOOD, 90_000)).unwrap();
    env.tx(TENANT, &create_lease(GOOD, 200, 1)).unwrap();
    assert_eq!(env.bid_state(GOOD, 200, 1), BidState::Active);

    // 20 blocks at 90000 uact; uact is not uakt, so the default take rate (20 %) applies.
    let uact = |env: &Env, a: Address| {
        env.read(|ctx| crate::bank::state::balance(ctx, &a, "uact").unwrap())
    };
    let before = uact(&env, addr(GOOD));
    env.advance_blocks(20);
    env.tx(GOOD, &withdraw(GOOD, 200)).unwrap();
    let earned = 20 * 90_000;
    let rate = env.read(|ctx| crate::take::state::params(ctx).default_take_rate) as u128;
    assert_eq!(rate, 20);
    assert_eq!(
        uact(&env, addr(GOOD)) - before,
        earned - earned * rate / 100
    );

    // The deposit lasts 5_000_000 / 90_000 = 55 blocks in all; settling later overdraws it.
    env.advance_blocks(100);
    env.tx(GOOD, &withdraw(GOOD, 200)).unwrap();
    let l = env.lease(GOOD, 200).lease.unwrap();
    assert_eq!(l.state, LeaseState::InsufficientFunds as i32);
    assert_eq!(l.reason, 20000);
    assert_eq!(uact(&env, addr(TENANT)), START - DEPOSIT);
    assert_eq!(
        uact(&env, addr(GOOD)) - before,
        DEPOSIT - DEPOSIT * rate / 100,
        "the provider got the whole deposit minus the take"
    );
}
