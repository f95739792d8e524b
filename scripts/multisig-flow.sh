#!/usr/bin/env bash
# A 2-of-3 multisig account used the way the Cosmos SDK CLI does it, against a running devnet:
# three member keys and an offline multisig key, funded by alice; a send is generated
# (--generate-only), signed by two members (tx sign --multisig), combined (tx multisign) and
# broadcast, and the balances move. The same with one signature is refused by the chain with
# code 4 and the count. Bad input gets clear errors: threshold 0 or above the member count, a
# malformed signature file, a signature from a key outside the multisig, an unsigned broadcast.
# A single signer signs offline the same way, and a member key goes through keys export/import
# (the SDK's armor) with a wrong passphrase and a damaged file refused.
# Usage: scripts/multisig-flow.sh KUMO_BIN DEVNET_HOME RPC_URL
set -euo pipefail
KUMO="$1" H="$2" RPC="$3"
k() { "$KUMO" --home "$H" "$@"; }
KR=(--keyring-backend test)
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
addr() { k keys show "$1" "${KR[@]}" --address; }
uakt() { k query bank balances "$1" --node "$RPC" --output json |
  python3 -c 'import json,sys; print(next((int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]=="uakt"), 0))'; }
check() { [[ "$2" == "$3" ]] || { echo "FAIL: $1: got $2, expected $3"; exit 1; }; echo "ok: $1 = $2"; }
# expect_err TEXT CMD...: the command fails and its output contains TEXT.
expect_err() { local want="$1" out; shift
  if out="$("$@" 2>&1)"; then echo "FAIL: expected an error containing '$want', the command succeeded: $out"; exit 1; fi
  grep -qF -- "$want" <<<"$out" || { echo "FAIL: expected '$want' in: $out"; exit 1; }
  echo "ok: refused: $want"; }

# Fresh names per run, so the script can run twice against the same devnet.
S="$(date +%s)"
for m in a b c; do k keys add "ms$m$S" "${KR[@]}" >/dev/null; done
expect_err "threshold must be at least 1" \
  k keys add "bad$S" --multisig "msa$S,msb$S" --multisig-threshold 0 "${KR[@]}"
expect_err "threshold 3 is larger than the number of member keys (2)" \
  k keys add "bad$S" --multisig "msa$S,msb$S" --multisig-threshold 3 "${KR[@]}"
k keys add "msig$S" --multisig "msa$S,msb$S,msc$S" --multisig-threshold 2 "${KR[@]}"
MSIG="$(addr "msig$S")" BOB="$(addr bob)"
grep -q "multisig, 2 of 3" <<<"$(k keys show "msig$S" "${KR[@]}")" || { echo "FAIL: keys show"; exit 1; }
echo "ok: multisig $MSIG (2 of 3)"

out="$(k tx bank send --from alice "$MSIG" 5000000uakt "${KR[@]}" --node "$RPC" -y --broadcast-mode block)"
grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; exit 1; }
check "multisig funded" "$(uakt "$MSIG")" 5000000

# generate-only: no private key needed, --from is the multisig; gas is simulated on the node.
k tx bank send --from "msig$S" "$BOB" 1234567uakt --generate-only --fees 6000uakt "${KR[@]}" \
  --node "$RPC" >"$W/unsigned.json"
python3 - "$W/unsigned.json" <<'EOF'
import json, sys
tx = json.load(open(sys.argv[1]))
assert tx["body"]["messages"][0]["@type"] == "/cosmos.bank.v1beta1.MsgSend", tx
assert tx["auth_info"]["signer_infos"] == [] and tx["signatures"] == [], tx
assert int(tx["auth_info"]["fee"]["gas_limit"]) > 0, tx
print("ok: generate-only prints the SDK-shaped unsigned tx")
EOF
# Member a asks the node for the account number and sequence; member b signs offline.
k tx sign "$W/unsigned.json" --from "msa$S" --multisig "msig$S" "${KR[@]}" --node "$RPC" \
  --output-document "$W/sig-a.json"
CHAIN="$(k status --node "$RPC" | awk '/^chain id:/ {print $3}')"
acct() { k query auth account "$1" --node "$RPC" --output json |
  python3 -c "import json,sys; a=json.load(sys.stdin); print(a['$2'])"; }
k tx sign "$W/unsigned.json" --from "msb$S" --multisig "msig$S" "${KR[@]}" --offline \
  --chain-id "$CHAIN" --account-number "$(acct "$MSIG" account_number)" --sequence "$(acct "$MSIG" sequence)" \
  >"$W/sig-b.json"
k tx multisign "$W/unsigned.json" "msig$S" "$W/sig-a.json" "$W/sig-b.json" "${KR[@]}" --node "$RPC" \
  >"$W/signed.json"
bob0="$(uakt "$BOB")"
out="$(k tx broadcast "$W/signed.json" --node "$RPC" --broadcast-mode block)"
grep -q 'code:   0 (success)' <<<"$out" || { echo "FAIL: broadcast: $out"; exit 1; }
check "bob received" "$(( $(uakt "$BOB") - bob0 ))" 1234567
check "multisig paid amount + fee" "$(uakt "$MSIG")" "$(( 5000000 - 1234567 - 6000 ))"
# The chain keeps the multisig key on the account, shown as the SDK writes it.
check "multisig account's key" "$(k query auth account "$MSIG" --node "$RPC" --output json |
  python3 -c "import json,sys; k=json.load(sys.stdin)['pub_key']; print(k['@type'], k['threshold'], len(k['public_keys']))")" \
  "/cosmos.crypto.multisig.LegacyAminoPubKey 2 3"

# One signature of three: multisign warns, the chain refuses it with code 4 and the count.
# (--from by address: generate-only needs no key.)
k tx bank send --from "$MSIG" "$BOB" 1000uakt --generate-only --gas 200000 --fees 5000uakt \
  "${KR[@]}" >"$W/unsigned2.json"
k tx sign "$W/unsigned2.json" --from "msc$S" --multisig "msig$S" "${KR[@]}" --node "$RPC" >"$W/sig-c.json"
k tx multisign "$W/unsigned2.json" "msig$S" "$W/sig-c.json" "${KR[@]}" --node "$RPC" \
  >"$W/signed1.json" 2>"$W/warn.txt"
grep -q "1 of 3 member signatures, the multisig needs 2" "$W/warn.txt" || { cat "$W/warn.txt"; exit 1; }
if out="$(k tx broadcast "$W/signed1.json" --node "$RPC" --broadcast-mode block 2>&1)"; then
  echo "FAIL: a 1-of-3 multisig tx was accepted: $out"; exit 1; fi
grep -q "code 4 (codespace sdk)" <<<"$out" && grep -q "multisig: 1 of 3 signatures, threshold 2" <<<"$out" ||
  { echo "FAIL: 1-of-3 refusal: $out"; exit 1; }
echo "ok: 1 of 3 refused with code 4: multisig: 1 of 3 signatures, threshold 2"

# A single signer the same way: generate-only, sign offline (SIGN_MODE_DIRECT), broadcast.
k tx bank send --from alice "$BOB" 777uakt --generate-only --gas 200000 --fees 5000uakt "${KR[@]}" \
  >"$W/unsigned3.json"
ALICE="$(addr alice)"
k tx sign "$W/unsigned3.json" --from alice "${KR[@]}" --offline --chain-id "$CHAIN" \
  --account-number "$(acct "$ALICE" account_number)" --sequence "$(acct "$ALICE" sequence)" >"$W/signed3.json"
bob0="$(uakt "$BOB")"
out="$(k tx broadcast "$W/signed3.json" --node "$RPC" --broadcast-mode block)"
grep -q 'code:   0 (success)' <<<"$out" || { echo "FAIL: single-signer broadcast: $out"; exit 1; }
check "bob received from alice's offline-signed tx" "$(( $(uakt "$BOB") - bob0 ))" 777

# Bad input.
echo '{"signatures": [{"public_key": 7}]}' >"$W/bad-sig.json"
expect_err "is not a signature file" \
  k tx multisign "$W/unsigned2.json" "msig$S" "$W/bad-sig.json" "${KR[@]}" --node "$RPC"
echo '{"body": {"messages": []}}' >"$W/bad-tx.json"
expect_err "at least one message" \
  k tx multisign "$W/bad-tx.json" "msig$S" "$W/sig-c.json" "${KR[@]}" --node "$RPC"
expect_err "is not a member of multisig" \
  k tx sign "$W/unsigned2.json" --from alice --multisig "msig$S" "${KR[@]}" --node "$RPC"
# By address the membership is not known when signing; multisign catches it.
k tx sign "$W/unsigned2.json" --from alice --multisig "$MSIG" "${KR[@]}" --node "$RPC" >"$W/sig-alice.json"
expect_err "which is not a member of multisig" \
  k tx multisign "$W/unsigned2.json" "msig$S" "$W/sig-c.json" "$W/sig-alice.json" "${KR[@]}" --node "$RPC"
expect_err "has no signatures" k tx broadcast "$W/unsigned2.json" --node "$RPC"

# keys export/import (the SDK's armor) into a second keyring: a wrong passphrase or a damaged
# file is refused and writes nothing; the right one gives the same address.
KUMO_ARMOR_PASSPHRASE="pass-$S" k keys export "msa$S" "${KR[@]}" >"$W/msa.armor"
grep -q "BEGIN TENDERMINT PRIVATE KEY" "$W/msa.armor" && grep -q "kdf: bcrypt" "$W/msa.armor" ||
  { echo "FAIL: export: $(cat "$W/msa.armor")"; exit 1; }
k2() { "$KUMO" --home "$W/h2" "$@"; }
KUMO_ARMOR_PASSPHRASE="wrong-$S" expect_err "wrong passphrase" k2 keys import imp "$W/msa.armor" "${KR[@]}"
expect_err 'key "imp" not found' k2 keys show imp "${KR[@]}"
python3 - "$W/msa.armor" "$W/damaged.armor" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("") + 1                       # first data line
lines[i] = ("B" if lines[i][0] == "A" else "A") + lines[i][1:]
open(sys.argv[2], "w").write("\n".join(lines))
PY
KUMO_ARMOR_PASSPHRASE="pass-$S" expect_err "armor checksum mismatch" k2 keys import imp "$W/damaged.armor" "${KR[@]}"
KUMO_ARMOR_PASSPHRASE="pass-$S" k2 keys import imp "$W/msa.armor" "${KR[@]}" >/dev/null
check "imported key's address" "$(k2 keys show imp "${KR[@]}" --address)" "$(addr "msa$S")"
echo "multisig flow: all checks passed"
