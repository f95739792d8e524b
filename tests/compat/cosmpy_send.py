#!/usr/bin/env python3
"""cosmpy 0.12.2 against a kumo node over gRPC: balance query + bank send.

Env: GRPC_URL (default grpc+http://127.0.0.1:9090), CHAIN_ID (default kumo-devnet), DENOM (default uakt).
Prints a final line "cosmpy: N passed, M failed" and exits non-zero on any failure.
"""
import os
import sys
import traceback

from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.aerial.wallet import LocalWallet

GRPC_URL = os.environ.get("GRPC_URL", "grpc+http://127.0.0.1:9090")
CHAIN_ID = os.environ.get("CHAIN_ID", "kumo-devnet")
DENOM = os.environ.get("DENOM", "uakt")

# Public BIP-39 test vectors funded in the devnet genesis; never use them for real funds.
MNEMONIC_A = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
EXPECT_A = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"
BOB = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6"
AMOUNT = 1000


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def test_send():
    cfg = NetworkConfig(
        chain_id=CHAIN_ID,
        url=GRPC_URL,
        fee_minimum_gas_price=0.025,
        fee_denomination=DENOM,
        staking_denomination=DENOM,
    )
    client = LedgerClient(cfg)
    # m/44'/118'/0'/0/0 -> secp256k1 key -> LocalWallet(PrivateKey(...)) under the "akash" prefix.
    wallet = LocalWallet.from_mnemonic(MNEMONIC_A, prefix="akash")
    alice = str(wallet.address())
    check(alice == EXPECT_A, f"alice address {alice} != {EXPECT_A}")

    a_before = client.query_bank_balance(alice, DENOM)        # Query/Balance over gRPC
    b_before = client.query_bank_balance(BOB, DENOM)
    check(a_before > 1_000_000, f"alice must be funded, has {a_before}{DENOM}")
    print(f"alice {alice}: {a_before}{DENOM}; bob {BOB}: {b_before}{DENOM}")

    # Account -> Simulate -> consensus Params -> BroadcastTx (SYNC) -> poll GetTx.
    tx = client.send_tokens(BOB, AMOUNT, DENOM, wallet, memo="cosmpy compat")
    tx.wait_to_complete(timeout=45, poll_period=1)            # raises unless code == 0
    resp = tx.response
    check(resp is not None and resp.code == 0, f"tx {tx.tx_hash} failed: {resp and resp.raw_log}")
    check(resp.height > 0, f"tx {tx.tx_hash} has no height")
    check(resp.gas_used > 0 and resp.gas_wanted >= resp.gas_used,
          f"gas used {resp.gas_used} wanted {resp.gas_wanted}")
    print(f"tx {tx.tx_hash} committed at height {resp.height}, gas {resp.gas_used}/{resp.gas_wanted}")

    a_after = client.query_bank_balance(alice, DENOM)
    b_after = client.query_bank_balance(BOB, DENOM)
    check(b_after - b_before == AMOUNT, f"bob grew by {b_after - b_before}, expected exactly {AMOUNT}")
    # cosmpy's fee: ceil(int(simulated * 1.65) * 0.025); the sender pays amount + that fee.
    spent = a_before - a_after
    check(AMOUNT < spent <= AMOUNT + (resp.gas_wanted * 25 + 999) // 1000 + 1,  # +1: cosmpy rounds a float
          f"alice spent {spent}, expected {AMOUNT} + fee for {resp.gas_wanted} gas")


def main():
    passed = failed = 0
    for name, fn in [("send_tokens alice -> bob", test_send)]:
        try:
            fn()
            passed += 1
            print(f"ok - {name}")
        except Exception as e:  # any failure, including transport errors, is a test failure
            failed += 1
            traceback.print_exc()
            print(f"not ok - {name}: {type(e).__name__}: {e}")
    print(f"cosmpy: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
