//! Fee grants on the command line: `kumo tx feegrant grant|revoke …` and `kumo query feegrant
//! grant|grants-by-grantee|grants-by-granter …`. A grantee spends an allowance by adding
//! `--fee-granter GRANTER` to any tx command: the fee then comes from the granter's balance.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::feegrant::v1beta1 as feegrant;
use cosmos_sdk_proto::tendermint::google::protobuf::Duration;
use cosmos_sdk_proto::Any;
use kumo_app::feegrant::allowance::{format_duration, to_json, Allowance};
use kumo_client::parse_coins;
use kumo_client::tx::to_any;
use kumo_proto::time::{parse_rfc3339, timestamp_rfc3339};
use serde_json::{json, Value};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
pub enum FeegrantTxCmd {
    /// Let GRANTEE's txs pay their fees from the --from account, within an allowance.
    #[command(
        after_help = "Without --spend-limit the allowance has no limit. With --period and \
        --period-limit it is periodic: at most --period-limit per --period seconds (and \
        --spend-limit in all). --allowed-messages restricts it to txs whose messages all have \
        one of the listed type URLs. The grantee uses it with `--fee-granter GRANTER` on any tx.\n\n\
        Examples:\n  \
        kumo tx feegrant grant bob --spend-limit 1000000uakt --from alice -y\n  \
        kumo tx feegrant grant akash1… --spend-limit 5000000uakt --period 86400 \
        --period-limit 500000uakt --expiration 2027-01-01T00:00:00Z --from alice -y\n  \
        kumo tx feegrant grant bob --allowed-messages /akash.market.v1beta5.MsgCreateBid,\
        /akash.market.v1beta5.MsgCloseBid --from provider -y"
    )]
    Grant(GrantArgs),
    /// Take back the allowance the --from account gave GRANTEE.
    #[command(after_help = "Example:\n  kumo tx feegrant revoke bob --from alice -y")]
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Grantee: an akash1… address or a key name.
    pub grantee: String,
    /// Most the grantee's fees may add up to, e.g. 1000000uakt (default: no limit).
    #[arg(long, value_name = "COINS")]
    pub spend_limit: Option<String>,
    /// When the allowance ends (RFC 3339, e.g. 2027-01-01T00:00:00Z; default: never).
    #[arg(long, value_name = "RFC3339")]
    pub expiration: Option<String>,
    /// Periodic allowance: the period length in seconds (needs --period-limit).
    #[arg(long, value_name = "SECS", requires = "period_limit")]
    pub period: Option<u64>,
    /// Periodic allowance: most the fees may add up to per period (needs --period).
    #[arg(long, value_name = "COINS", requires = "period")]
    pub period_limit: Option<String>,
    /// Only txs whose messages all have one of these type URLs (comma list).
    #[arg(long, value_delimiter = ',', value_name = "URL,…")]
    pub allowed_messages: Vec<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Grantee: an akash1… address or a key name.
    pub grantee: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn sorted_coins(flag: &str, s: &str) -> Result<Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>> {
    let mut coins = parse_coins(s).with_context(|| format!("{flag} {s:?}"))?;
    coins.sort_by(|x, y| x.denom.cmp(&y.denom));
    Ok(coins)
}

fn key_address(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<String> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address.to_string())
}

/// The allowance `Any` the grant flags describe (what the SDK's `tx feegrant grant` builds).
pub fn allowance_from_flags(
    spend_limit: Option<&str>,
    expiration: Option<&str>,
    period: Option<u64>,
    period_limit: Option<&str>,
    allowed_messages: &[String],
    now_seconds: i64,
) -> Result<Any> {
    let expiration = expiration
        .map(parse_rfc3339)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--expiration: {e}"))?;
    if let Some(e) = &expiration {
        if e.seconds <= now_seconds {
            bail!("--expiration {} is not in the future", timestamp_rfc3339(e));
        }
    }
    let basic = feegrant::BasicAllowance {
        spend_limit: spend_limit
            .map(|s| sorted_coins("--spend-limit", s))
            .transpose()?
            .unwrap_or_default(),
        expiration,
    };
    let mut allowance = match (period, period_limit) {
        (None, None) => to_any(&basic),
        (Some(secs), Some(limit)) => {
            if secs == 0 {
                bail!("--period must be at least 1 second");
            }
            let secs = i64::try_from(secs).context("--period is too large")?;
            if let Some(e) = &basic.expiration {
                if now_seconds.saturating_add(secs) > e.seconds {
                    bail!(
                        "--period {secs}s would first reset after --expiration {}",
                        timestamp_rfc3339(e)
                    );
                }
            }
            let limit = sorted_coins("--period-limit", limit)?;
            to_any(&feegrant::PeriodicAllowance {
                basic: Some(basic),
                period: Some(Duration {
                    seconds: secs,
                    nanos: 0,
                }),
                period_spend_limit: limit.clone(),
                period_can_spend: limit,
                // The chain starts the first period at the grant's block time.
                period_reset: None,
            })
        }
        _ => bail!("a periodic allowance needs both --period and --period-limit"),
    };
    if !allowed_messages.is_empty() {
        for url in allowed_messages {
            if !url.starts_with('/') {
                bail!("--allowed-messages: {url:?} is not a type URL such as /cosmos.bank.v1beta1.MsgSend");
            }
        }
        allowance = to_any(&feegrant::AllowedMsgAllowance {
            allowance: Some(allowance),
            allowed_messages: allowed_messages.to_vec(),
        });
    }
    // The same checks the chain runs, so a bad allowance fails here with the chain's words.
    let decoded = Allowance::from_any(&allowance).map_err(|e| anyhow::anyhow!("{e}"))?;
    decoded.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(allowance)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run_tx(g: &Globals, c: FeegrantTxCmd) -> Result<()> {
    match c {
        FeegrantTxCmd::Grant(a) => {
            let granter = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let grantee = resolve_address(&a.grantee, &a.tx.keyring, &g.home)?;
            if granter == grantee {
                bail!("cannot grant a fee allowance to yourself ({granter})");
            }
            let allowance = allowance_from_flags(
                a.spend_limit.as_deref(),
                a.expiration.as_deref(),
                a.period,
                a.period_limit.as_deref(),
                &a.allowed_messages,
                unix_now(),
            )?;
            let msg = feegrant::MsgGrantAllowance {
                granter,
                grantee,
                allowance: Some(allowance),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        FeegrantTxCmd::Revoke(a) => {
            let msg = feegrant::MsgRevokeAllowance {
                granter: key_address(g, &a.tx.from, &a.tx.keyring)?,
                grantee: resolve_address(&a.grantee, &a.tx.keyring, &g.home)?,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

// ---- query ------------------------------------------------------------------------------

#[derive(Subcommand, Debug)]
pub enum FeegrantQueryCmd {
    /// The allowance GRANTER gave GRANTEE.
    #[command(after_help = "Example:\n  kumo query feegrant grant alice bob --output json")]
    Grant(PairArgs),
    /// Every allowance ADDRESS holds (who pays its fees).
    #[command(after_help = "Example:\n  kumo query feegrant grants-by-grantee bob")]
    GrantsByGrantee(OneArgs),
    /// Every allowance ADDRESS gave (whose fees it pays).
    #[command(after_help = "Example:\n  kumo query feegrant grants-by-granter alice")]
    GrantsByGranter(OneArgs),
}

#[derive(Args, Debug)]
pub struct PairArgs {
    /// Granter: an akash1… address or a key name.
    pub granter: String,
    /// Grantee: an akash1… address or a key name.
    pub grantee: String,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct OneArgs {
    /// An akash1… address or a key name.
    pub address: String,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

fn all() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1000,
        count_total: true,
        ..Default::default()
    })
}

fn decode_allowance(g: &feegrant::Grant) -> Result<Allowance> {
    let any = g
        .allowance
        .as_ref()
        .context("the node returned a grant without an allowance")?;
    Allowance::from_any(any).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A grant in the SDK's REST shape: `{granter, grantee, allowance: {"@type": …}}`.
pub fn grant_json(g: &feegrant::Grant) -> Result<Value> {
    Ok(json!({
        "granter": g.granter,
        "grantee": g.grantee,
        "allowance": to_json(&decode_allowance(g)?),
    }))
}

fn coins_text(coins: &[kumo_app::coins::Coin], empty: &str) -> String {
    if coins.is_empty() {
        return empty.to_string();
    }
    kumo_app::coins::coins_to_string(coins)
}

fn allowance_lines(a: &Allowance, indent: &str, out: &mut Vec<String>) {
    let basic_lines = |b: &kumo_app::feegrant::allowance::Basic, out: &mut Vec<String>| {
        out.push(format!(
            "{indent}spend limit:  {}",
            coins_text(&b.spend_limit, "no limit")
        ));
        out.push(format!(
            "{indent}expires:      {}",
            b.expiration
                .as_ref()
                .map_or("never".to_string(), timestamp_rfc3339)
        ));
    };
    match a {
        Allowance::Basic(b) => {
            out.push(format!("{indent}type:         basic"));
            basic_lines(b, out);
        }
        Allowance::Periodic(p) => {
            out.push(format!("{indent}type:         periodic"));
            basic_lines(&p.basic, out);
            out.push(format!(
                "{indent}period:       {}",
                format_duration(&p.period)
            ));
            out.push(format!(
                "{indent}period limit: {}",
                coins_text(&p.period_spend_limit, "none")
            ));
            out.push(format!(
                "{indent}left now:     {} (refills at {})",
                coins_text(&p.period_can_spend, "nothing"),
                timestamp_rfc3339(&p.period_reset)
            ));
        }
        Allowance::AllowedMsg(m) => {
            out.push(format!(
                "{indent}only for:     {}",
                m.allowed_messages.join(", ")
            ));
            allowance_lines(&m.allowance, indent, out);
        }
    }
}

fn print_grant_text(g: &feegrant::Grant) -> Result<()> {
    let mut lines = vec![
        format!("granter:      {}", g.granter),
        format!("grantee:      {}", g.grantee),
    ];
    allowance_lines(&decode_allowance(g)?, "", &mut lines);
    println!("{}", lines.join("\n"));
    Ok(())
}

fn print_grants(g: &Globals, key: &str, grants: &[feegrant::Grant], none: &str) -> Result<()> {
    if g.output == Output::Json {
        let list = grants.iter().map(grant_json).collect::<Result<Vec<_>>>()?;
        print_json(&json!({ key: list, "total": grants.len().to_string() }));
        return Ok(());
    }
    if grants.is_empty() {
        println!("{none}");
        return Ok(());
    }
    for (i, grant) in grants.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_grant_text(grant)?;
    }
    Ok(())
}

pub fn run_query(g: &Globals, c: FeegrantQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.feegrant.v1beta1.Query/{m}");
    match c {
        FeegrantQueryCmd::Grant(a) => {
            let granter = resolve_address(&a.granter, &a.keyring, &g.home)?;
            let grantee = resolve_address(&a.grantee, &a.keyring, &g.home)?;
            let r: feegrant::QueryAllowanceResponse = a
                .query
                .client()
                .query_proto(
                    &path("Allowance"),
                    &feegrant::QueryAllowanceRequest {
                        granter: granter.clone(),
                        grantee: grantee.clone(),
                    },
                )
                .map_err(|e| {
                    let text = e.to_string();
                    if text.contains("fee-grant not found") {
                        anyhow::anyhow!("{granter} has no fee allowance for {grantee}")
                    } else {
                        anyhow::Error::new(e)
                    }
                })?;
            let grant = r.allowance.context("the node returned no grant")?;
            if g.output == Output::Json {
                print_json(&json!({ "allowance": grant_json(&grant)? }));
                return Ok(());
            }
            print_grant_text(&grant)
        }
        FeegrantQueryCmd::GrantsByGrantee(a) => {
            let grantee = resolve_address(&a.address, &a.keyring, &g.home)?;
            let r: feegrant::QueryAllowancesResponse = a.query.client().query_proto(
                &path("Allowances"),
                &feegrant::QueryAllowancesRequest {
                    grantee: grantee.clone(),
                    pagination: all(),
                },
            )?;
            print_grants(
                g,
                "allowances",
                &r.allowances,
                &format!("no account pays fees for {grantee}"),
            )
        }
        FeegrantQueryCmd::GrantsByGranter(a) => {
            let granter = resolve_address(&a.address, &a.keyring, &g.home)?;
            let r: feegrant::QueryAllowancesByGranterResponse = a.query.client().query_proto(
                &path("AllowancesByGranter"),
                &feegrant::QueryAllowancesByGranterRequest {
                    granter: granter.clone(),
                    pagination: all(),
                },
            )?;
            print_grants(
                g,
                "allowances",
                &r.allowances,
                &format!("{granter} pays no one's fees"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    const NOW: i64 = 1_800_000_000;

    fn decode(any: &Any) -> Allowance {
        Allowance::from_any(any).unwrap()
    }

    #[test]
    fn flags_build_each_allowance_kind() {
        let a = allowance_from_flags(Some("10uusdc,1000uakt"), None, None, None, &[], NOW).unwrap();
        assert_eq!(a.type_url, "/cosmos.feegrant.v1beta1.BasicAllowance");
        let b = feegrant::BasicAllowance::decode(a.value.as_slice()).unwrap();
        // Sorted by denom, as the chain requires.
        assert_eq!(b.spend_limit[0].denom, "uakt");
        assert!(b.expiration.is_none());

        let a = allowance_from_flags(
            Some("5000uakt"),
            Some("2027-06-01T00:00:00Z"),
            Some(3600),
            Some("500uakt"),
            &["/cosmos.bank.v1beta1.MsgSend".into()],
            NOW - 100_000_000,
        )
        .unwrap();
        match decode(&a) {
            Allowance::AllowedMsg(m) => {
                assert_eq!(m.allowed_messages, vec!["/cosmos.bank.v1beta1.MsgSend"]);
                match *m.allowance {
                    Allowance::Periodic(p) => {
                        assert_eq!(p.period.seconds, 3600);
                        assert_eq!(p.period_can_spend, p.period_spend_limit);
                        assert!(p.basic.expiration.is_some());
                    }
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
        // No flags: an unlimited basic allowance.
        let a = allowance_from_flags(None, None, None, None, &[], NOW).unwrap();
        assert!(matches!(decode(&a), Allowance::Basic(b) if b.spend_limit.is_empty()));
    }

    #[test]
    fn bad_flags_are_refused_with_reasons() {
        let err = |r: Result<Any>| r.unwrap_err().to_string();
        assert!(err(allowance_from_flags(
            Some("lots"),
            None,
            None,
            None,
            &[],
            NOW
        ))
        .contains("--spend-limit"));
        assert!(err(allowance_from_flags(
            None,
            Some("2020-01-01T00:00:00Z"),
            None,
            None,
            &[],
            NOW
        ))
        .contains("not in the future"));
        assert!(err(allowance_from_flags(
            None,
            Some("tomorrow"),
            None,
            None,
            &[],
            NOW
        ))
        .contains("--expiration"));
        assert!(
            err(allowance_from_flags(None, None, Some(60), None, &[], NOW)).contains("--period")
        );
        assert!(err(allowance_from_flags(
            None,
            None,
            Some(0),
            Some("1uakt"),
            &[],
            NOW
        ))
        .contains("at least 1"));
        let exp = timestamp_rfc3339(&cosmos_sdk_proto::Timestamp {
            seconds: NOW + 10,
            nanos: 0,
        });
        assert!(err(allowance_from_flags(
            None,
            Some(&exp),
            Some(60),
            Some("1uakt"),
            &[],
            NOW
        ))
        .contains("after --expiration"));
        assert!(err(allowance_from_flags(
            Some("5uakt"),
            None,
            Some(60),
            Some("1uusdc"),
            &[],
            NOW
        ))
        .contains("different currency"));
        assert!(err(allowance_from_flags(
            None,
            None,
            None,
            None,
            &["MsgSend".into()],
            NOW
        ))
        .contains("type URL"));
    }
}
