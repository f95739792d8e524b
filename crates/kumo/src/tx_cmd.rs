//! `kumo tx`: build, sign (SIGN_MODE_DIRECT, or LEGACY_AMINO_JSON with `--sign-mode amino-json`,
//! with a keyring key) and broadcast transactions.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{Input, MsgMultiSend, MsgSend, Output as BankOutput};
use cosmos_sdk_proto::Any;
use kumo_client::coins::GasPrice;
use kumo_client::tx::to_any;
use kumo_client::{
    hint_for_code, parse_coins, prepare_tx_granted, Coin, Dec, FeeOpts, Gas, PreparedTx, RpcClient,
    TxInfo, TxSignMode, DEFAULT_NODE,
};
use serde_json::json;

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{describe_msg, display_coins, print_json, resolve_address};
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
#[command(
    after_help = "Every tx command estimates gas by simulation, prices it at --gas-prices \
                        (0.025uakt), shows the fee and asks before broadcasting (-y skips that)."
)]
pub enum TxCmd {
    /// Bank transactions: send tokens.
    #[command(subcommand)]
    Bank(BankTxCmd),
    /// Deployment transactions: deposit, update, close, and group pause/start/close.
    #[command(subcommand)]
    Deployment(crate::market_cmd::DeploymentTxCmd),
    /// Market transactions: bids and leases.
    #[command(subcommand)]
    Market(crate::market_cmd::MarketTxCmd),
    /// Escrow transactions (withdraw = market lease withdraw).
    #[command(subcommand)]
    Escrow(crate::market_cmd::EscrowTxCmd),
    /// Provider registration: create or update the provider record from a provider.yaml.
    #[command(subcommand)]
    Provider(crate::provider_cmd::ProviderTxCmd),
    /// Audit: sign or remove attributes for providers as an auditor.
    #[command(subcommand)]
    Audit(crate::provider_cmd::AuditTxCmd),
    /// mTLS certificates: generate, publish, revoke.
    #[command(subcommand)]
    Cert(crate::cert_cmd::CertTxCmd),
    /// Staking: delegate, unbond, redelegate, cancel an unbonding.
    #[command(subcommand)]
    Staking(crate::staking_cmd::StakingTxCmd),
    /// Distribution: withdraw rewards and commission, withdraw address, fund the pool.
    #[command(subcommand)]
    Distribution(crate::distribution_cmd::DistributionTxCmd),
    /// Slashing: unjail a validator.
    #[command(subcommand)]
    Slashing(crate::slashing_cmd::SlashingTxCmd),
    /// Governance: submit a proposal, vote, deposit.
    #[command(subcommand)]
    Gov(crate::gov_cmd::GovTxCmd),
    /// Authz: grant (deposit, send, generic) and revoke authorizations.
    #[command(subcommand)]
    Authz(crate::authz_cmd::AuthzTxCmd),
    /// Sign a transaction file (from --generate-only); with --multisig, print only this
    /// member's signature for `kumo tx multisign`.
    #[command(
        after_help = "Examples:\n  kumo tx sign unsigned.json --from alice > signed.json\n  \
        kumo tx sign unsigned.json --from alice --multisig ms > alice-sig.json"
    )]
    Sign(crate::offline_cmd::SignArgs),
    /// Combine member signatures into a signed multisig transaction.
    #[command(
        after_help = "Example:\n  kumo tx multisign unsigned.json ms alice-sig.json \
        bob-sig.json > signed.json\nThe signatures are checked against the multisig's members, \
        the transaction and the account's sequence before they are combined."
    )]
    Multisign(crate::offline_cmd::MultisignArgs),
    /// Broadcast a signed transaction file (from kumo tx sign or multisign).
    Broadcast(crate::offline_cmd::BroadcastArgs),
    /// Fee grants: let another account's txs pay fees from yours (grant, revoke).
    #[command(subcommand)]
    Feegrant(crate::feegrant_cmd::FeegrantTxCmd),
}

#[derive(Subcommand, Debug)]
pub enum BankTxCmd {
    /// Send tokens from a key in the keyring to an address.
    #[command(
        after_help = "Example:\n  kumo tx bank send --from alice akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6 \
                            1000000uakt --keyring-backend test -y"
    )]
    Send(SendArgs),
    /// Send the same amount from one key to each of several addresses (one MsgMultiSend).
    #[command(
        after_help = "Example:\n  kumo tx bank multi-send --from alice bob,akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6 \
                            500uakt -y\nThe sender pays AMOUNT times the number of recipients."
    )]
    MultiSend(MultiSendArgs),
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Recipient: an akash1… address or the name of a key in the keyring.
    pub to: String,
    /// Amount in the smallest unit, e.g. 1000000uakt (= 1 AKT) or 10uakt,5uact.
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct MultiSendArgs {
    /// Recipients, comma separated: akash1… addresses or key names.
    #[arg(value_delimiter = ',', num_args = 1, required = true)]
    pub to: Vec<String>,
    /// Amount each recipient gets, e.g. 1000uakt.
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

/// How long to wait after broadcasting.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BroadcastMode {
    /// Return once the node's mempool accepted the tx (prints the hash).
    Sync,
    /// Wait until the tx is in a block and print its result.
    Block,
}

/// How the signer signs (`--sign-mode`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SignModeArg {
    /// SIGN_MODE_DIRECT: the protobuf SignDoc.
    Direct,
    /// SIGN_MODE_LEGACY_AMINO_JSON: the amino JSON StdSignDoc, as Ledger and wallets in amino
    /// mode sign.
    AminoJson,
}

impl From<SignModeArg> for TxSignMode {
    fn from(m: SignModeArg) -> TxSignMode {
        match m {
            SignModeArg::Direct => TxSignMode::Direct,
            SignModeArg::AminoJson => TxSignMode::AminoJson,
        }
    }
}

/// A gas limit: `auto` or a number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GasArg {
    Auto,
    Fixed(u64),
}

fn gas_arg(s: &str) -> std::result::Result<GasArg, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(GasArg::Auto);
    }
    match s.parse::<u64>() {
        Ok(0) => Err("gas must be positive (or `auto`)".into()),
        Ok(n) => Ok(GasArg::Fixed(n)),
        Err(_) => Err(format!(
            "expected `auto` or a whole number of gas units, got {s:?}"
        )),
    }
}

fn dec_arg(s: &str) -> std::result::Result<Dec, String> {
    let d: Dec = s.parse()?;
    if d.is_zero() {
        return Err("must be greater than 0".into());
    }
    Ok(d)
}

fn gas_price_arg(s: &str) -> std::result::Result<GasPrice, String> {
    s.parse()
}

/// A coin list given as one flag value (`--fees 5000uakt`).
#[derive(Clone, Debug, PartialEq)]
pub struct CoinList(pub Vec<Coin>);

fn coins_arg(s: &str) -> std::result::Result<CoinList, String> {
    parse_coins(s).map(CoinList).map_err(|e| e.to_string())
}

/// Flags shared by every `kumo tx` command.
#[derive(Args, Debug, Clone)]
pub struct TxFlags {
    /// The key that signs the transaction and pays its fee: a key name in the keyring.
    #[arg(long, value_name = "KEY")]
    pub from: String,
    /// Print the unsigned transaction as JSON instead of signing and broadcasting it, for
    /// offline or multisig signing (kumo tx sign / multisign / broadcast); --from may then be an
    /// offline multisig key. --gas auto still asks the node to simulate; --gas N does not.
    #[arg(long)]
    pub generate_only: bool,
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// Chain id to sign for (default: the node's, from its status).
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Fee to pay, e.g. 5000uakt, instead of gas × --gas-prices.
    #[arg(long, value_name = "COINS", value_parser = coins_arg, conflicts_with = "gas_prices")]
    pub fees: Option<CoinList>,
    /// Gas limit: `auto` (simulate, then multiply by --gas-adjustment) or a number.
    #[arg(long, default_value = "auto", value_parser = gas_arg, value_name = "auto|N")]
    pub gas: GasArg,
    /// Multiplier applied to the simulated gas with --gas auto.
    #[arg(long, default_value = "1.4", value_parser = dec_arg, value_name = "DEC")]
    pub gas_adjustment: Dec,
    /// Price of one unit of gas; the fee is ceil(gas × price) [default: 0.025uakt].
    #[arg(long, value_parser = gas_price_arg, value_name = "PRICE")]
    pub gas_prices: Option<GasPrice>,
    /// Note attached to the transaction (public).
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Broadcast without asking for confirmation (needed when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// `sync`: return when the mempool accepted the tx; `block`: wait until it is in a block.
    #[arg(long, value_enum, default_value_t = BroadcastMode::Sync)]
    pub broadcast_mode: BroadcastMode,
    /// With --broadcast-mode block: seconds to wait for inclusion.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// What is signed: `direct` (the protobuf SignDoc) or `amino-json` (the amino StdSignDoc
    /// JSON, SIGN_MODE_LEGACY_AMINO_JSON, the mode Ledger signs in). The node accepts both.
    #[arg(long, value_enum, default_value_t = SignModeArg::Direct)]
    pub sign_mode: SignModeArg,
    /// Account that pays the fee from the fee allowance it gave --from (see `kumo tx feegrant
    /// grant`): an akash1… address or a key name. --from then needs no balance for fees.
    #[arg(long, value_name = "ADDRESS")]
    pub fee_granter: Option<String>,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

impl TxFlags {
    pub(crate) fn fee_opts(&self) -> FeeOpts {
        FeeOpts {
            gas: match self.gas {
                GasArg::Auto => Gas::Auto {
                    adjustment: self.gas_adjustment,
                },
                GasArg::Fixed(n) => Gas::Fixed(n),
            },
            fees: self.fees.as_ref().map(|f| f.0.clone()),
            gas_prices: self.gas_prices.clone(),
            memo: self.memo.clone(),
        }
    }

    /// The --fee-granter address; key names are looked up in the keyring when `home` is given.
    pub(crate) fn fee_granter_address(
        &self,
        home: Option<&std::path::Path>,
    ) -> Result<Option<String>> {
        let Some(input) = self.fee_granter.as_deref() else {
            return Ok(None);
        };
        let resolved = match home {
            Some(h) => resolve_address(input, &self.keyring, h),
            None => input
                .parse::<kumo_crypto::Address>()
                .map(|a| a.to_string())
                .map_err(|e| anyhow::anyhow!("invalid address {input:?}: {e}")),
        };
        resolved
            .map(Some)
            .context("--fee-granter must be an akash1… address or a key name")
    }
}

pub fn run(g: &Globals, c: TxCmd) -> Result<()> {
    match c {
        TxCmd::Bank(BankTxCmd::Send(a)) => send(g, a),
        TxCmd::Bank(BankTxCmd::MultiSend(a)) => multi_send(g, a),
        TxCmd::Deployment(c) => crate::market_cmd::tx_deployment(g, c),
        TxCmd::Market(c) => crate::market_cmd::tx_market(g, c),
        TxCmd::Escrow(c) => crate::market_cmd::tx_escrow(g, c),
        TxCmd::Provider(c) => crate::provider_cmd::run_provider_tx(g, c),
        TxCmd::Audit(c) => crate::provider_cmd::run_audit_tx(g, c),
        TxCmd::Cert(c) => crate::cert_cmd::run_tx(g, c),
        TxCmd::Staking(c) => crate::staking_cmd::run_staking_tx(g, c),
        TxCmd::Distribution(c) => crate::distribution_cmd::run_distribution_tx(g, c),
        TxCmd::Slashing(c) => crate::slashing_cmd::run_slashing_tx(g, c),
        TxCmd::Gov(c) => crate::gov_cmd::run_gov_tx(g, c),
        TxCmd::Authz(c) => crate::authz_cmd::run_tx(g, c),
        TxCmd::Sign(a) => crate::offline_cmd::sign(g, a),
        TxCmd::Multisign(a) => crate::offline_cmd::multisign(g, a),
        TxCmd::Broadcast(a) => crate::offline_cmd::broadcast(g, a),
        TxCmd::Feegrant(c) => crate::feegrant_cmd::run_tx(g, c),
    }
}

fn send_amount(input: &str) -> Result<Vec<Coin>> {
    let coins = parse_coins(input)?;
    if coins.is_empty() {
        bail!("amount {input:?} is zero; send a positive amount such as 1000uakt");
    }
    Ok(coins)
}

fn send(g: &Globals, a: SendArgs) -> Result<()> {
    let amount = send_amount(&a.amount)?;
    let from = crate::offline_cmd::from_address(g, &a.tx)?;
    let to = resolve_address(&a.to, &a.tx.keyring, &g.home)?;
    let msg = MsgSend {
        from_address: from.to_string(),
        to_address: to,
        amount,
    };
    execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
}

fn multi_send(g: &Globals, a: MultiSendArgs) -> Result<()> {
    let amount = send_amount(&a.amount)?;
    let from = crate::offline_cmd::from_address(g, &a.tx)?;
    let mut outputs = Vec::new();
    for to in a.to.iter().filter(|t| !t.trim().is_empty()) {
        outputs.push(BankOutput {
            address: resolve_address(to.trim(), &a.tx.keyring, &g.home)?,
            coins: amount.clone(),
        });
    }
    if outputs.is_empty() {
        bail!("no recipients given");
    }
    let n = outputs.len() as u128;
    let total = amount
        .iter()
        .map(|c| {
            let each: u128 = c.amount.parse()?;
            let sum = each
                .checked_mul(n)
                .ok_or_else(|| anyhow::anyhow!("total of {} × {n} overflows", c.amount))?;
            Ok(Coin {
                denom: c.denom.clone(),
                amount: sum.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let msg = MsgMultiSend {
        inputs: vec![Input {
            address: from.to_string(),
            coins: total,
        }],
        outputs,
    };
    execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
}

/// Signs `msgs` with key `from`, confirms with the user, broadcasts and reports.
pub(crate) fn execute(g: &Globals, flags: &TxFlags, from: &str, msgs: Vec<Any>) -> Result<()> {
    if flags.generate_only {
        return crate::offline_cmd::generate_only(g, flags, from, msgs);
    }
    if !flags.yes && !std::io::stdin().is_terminal() {
        bail!(
            "refusing to broadcast without confirmation: stdin is not a terminal; \
             pass -y/--yes to sign and broadcast without asking"
        );
    }
    let kr = flags.keyring.open(&g.home)?;
    // Look the key up first so a wrong name fails before any passphrase prompt.
    kr.show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    let passphrase = flags.keyring.passphrase(false)?;
    let key = kr
        .signer(from, passphrase.as_deref())
        .with_context(|| format!("cannot unlock key {from:?}"))?;
    let fee_granter = flags.fee_granter_address(Some(&g.home))?;
    let client = RpcClient::new(&flags.node);
    let prepared = prepare_tx_granted(
        &client,
        &key,
        flags.chain_id.as_deref(),
        msgs.clone(),
        &flags.fee_opts(),
        flags.sign_mode.into(),
        fee_granter.as_deref(),
    )?;

    print_summary(from, flags, &prepared, &msgs);
    if !flags.yes && !confirm()? {
        bail!("transaction cancelled; nothing was broadcast");
    }

    let res = client.broadcast_tx_sync(&prepared.signed.tx_bytes)?;
    if res.code != 0 {
        report(g, &res.hash, res.code, &res.codespace, &res.log, None)?;
        return Err(failure(
            res.code,
            &res.codespace,
            &res.log,
            "rejected by the node (CheckTx)",
        ));
    }
    match flags.broadcast_mode {
        BroadcastMode::Sync => {
            report(g, &res.hash, 0, "", &res.log, None)?;
            if g.output == Output::Text {
                eprintln!(
                    "accepted into the mempool; see the result once it is in a block with:\n  \
                     kumo query tx {} --node {}",
                    res.hash,
                    client.url()
                );
            }
            Ok(())
        }
        BroadcastMode::Block => {
            let info = client.wait_for_tx(&res.hash, Duration::from_secs(flags.timeout))?;
            report(
                g,
                &info.hash,
                info.code,
                &info.codespace,
                &info.log,
                Some(&info),
            )?;
            if info.code != 0 {
                return Err(failure(
                    info.code,
                    &info.codespace,
                    &info.log,
                    &format!(
                        "failed in block {} (fee and sequence were still used)",
                        info.height
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// Signs `msgs` with `key`, asks for confirmation unless `-y`, broadcasts and waits until the tx
/// is in a block; a tx that failed is an error. For commands that go on after the tx (`deploy`).
pub(crate) fn sign_send_wait(
    flags: &TxFlags,
    from: &str,
    key: &kumo_crypto::PrivKey,
    msgs: Vec<Any>,
) -> Result<TxInfo> {
    if !flags.yes && !std::io::stdin().is_terminal() {
        bail!(
            "refusing to broadcast without confirmation: stdin is not a terminal; \
             pass -y/--yes to sign and broadcast without asking"
        );
    }
    let fee_granter = flags.fee_granter_address(None)?;
    let client = RpcClient::new(&flags.node);
    let prepared = prepare_tx_granted(
        &client,
        key,
        flags.chain_id.as_deref(),
        msgs.clone(),
        &flags.fee_opts(),
        flags.sign_mode.into(),
        fee_granter.as_deref(),
    )?;
    if !flags.yes {
        print_summary(from, flags, &prepared, &msgs);
        if !confirm()? {
            bail!("transaction cancelled; nothing was broadcast");
        }
    }
    let res = client.broadcast_tx_sync(&prepared.signed.tx_bytes)?;
    if res.code != 0 {
        return Err(failure(
            res.code,
            &res.codespace,
            &res.log,
            "rejected by the node (CheckTx)",
        ));
    }
    let info = client.wait_for_tx(&res.hash, Duration::from_secs(flags.timeout))?;
    if info.code != 0 {
        return Err(failure(
            info.code,
            &info.codespace,
            &info.log,
            &format!("failed in block {}", info.height),
        ));
    }
    Ok(info)
}

fn print_summary(from: &str, flags: &TxFlags, p: &PreparedTx, msgs: &[Any]) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "chain id:  {}", p.chain_id);
    let _ = writeln!(
        e,
        "signer:    {from} ({}), account {} sequence {}",
        p.signer, p.account_number, p.sequence
    );
    for (i, m) in msgs.iter().enumerate() {
        let _ = writeln!(e, "message {}: {}", i + 1, describe_msg(m).0);
    }
    if !p.memo.is_empty() {
        let _ = writeln!(e, "memo:      {}", p.memo);
    }
    match p.gas_estimate {
        Some(est) => {
            let _ = writeln!(
                e,
                "gas:       {} (simulated {est} × {})",
                p.gas_limit, flags.gas_adjustment
            );
        }
        None => {
            let _ = writeln!(e, "gas:       {}", p.gas_limit);
        }
    }
    let _ = writeln!(e, "fee:       {}", display_coins(&p.fee));
    if let Some(granter) = &flags.fee_granter {
        let _ = writeln!(e, "fee paid by {granter} (fee grant)");
    }
}

fn confirm() -> Result<bool> {
    eprint!("confirm transaction before signing and broadcasting [y/N]: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the confirmation")?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

pub(crate) fn report(
    g: &Globals,
    hash: &str,
    code: u32,
    codespace: &str,
    log: &str,
    info: Option<&TxInfo>,
) -> Result<()> {
    match g.output {
        Output::Json => {
            let mut v = json!({
                "txhash": hash,
                "code": code,
                "codespace": codespace,
                "raw_log": log,
                "height": info.map(|i| i.height).unwrap_or(0).to_string(),
            });
            if let Some(i) = info {
                v["gas_wanted"] = json!(i.gas_wanted.to_string());
                v["gas_used"] = json!(i.gas_used.to_string());
                v["events"] = serde_json::to_value(&i.events)?;
            }
            print_json(&v);
        }
        Output::Text => {
            println!("txhash: {hash}");
            if let Some(i) = info {
                println!("height: {}", i.height);
                println!("gas:    {} used of {} wanted", i.gas_used, i.gas_wanted);
            }
            if code == 0 {
                println!("code:   0 (success)");
            } else {
                println!("code:   {code} (codespace {codespace})");
                println!("log:    {log}");
            }
        }
    }
    Ok(())
}

pub(crate) fn failure(code: u32, codespace: &str, log: &str, what: &str) -> anyhow::Error {
    let mut msg = format!("transaction {what}: code {code} (codespace {codespace}): {log}");
    if let Some(h) = hint_for_code(codespace, code) {
        msg.push_str("\nhint: ");
        msg.push_str(h);
    }
    anyhow::anyhow!(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_flag_parsing() {
        assert_eq!(gas_arg("auto"), Ok(GasArg::Auto));
        assert_eq!(gas_arg("AUTO"), Ok(GasArg::Auto));
        assert_eq!(gas_arg("200000"), Ok(GasArg::Fixed(200_000)));
        assert!(gas_arg("0").is_err());
        assert!(gas_arg("1.5").unwrap_err().contains("whole number"));
        assert!(dec_arg("0").is_err());
        assert_eq!(dec_arg("1.3").unwrap().to_string(), "1.3");
    }

    #[test]
    fn failure_carries_hint() {
        let e = failure(
            13,
            "sdk",
            "insufficient fees; got: 1uakt required: 5uakt: insufficient fee",
            "rejected",
        );
        let s = e.to_string();
        assert!(
            s.contains("code 13") && s.contains("raise --fees or --gas-prices"),
            "{s}"
        );
        let e = failure(7, "market", "bad", "rejected").to_string();
        assert!(!e.contains("hint"));
    }
}
