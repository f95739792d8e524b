//! take genesis: `{"params": {"denom_take_rates": [{"denom", "rate"}], "default_take_rate"}}`.

use super::state::{default_params, set_params};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::akash::take::v1::Params;
use kumo_proto::json::{message_from_json, message_json};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default = "default_params_json")]
    pub params: serde_json::Value,
}

fn default_params_json() -> serde_json::Value {
    message_json(&default_params())
}

impl Default for GenesisState {
    fn default() -> Self {
        GenesisState {
            params: default_params_json(),
        }
    }
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let p: Params = message_from_json(&g.params)
        .map_err(|e| SdkError::invalid_request(format!("take genesis params: {e}")))?;
    set_params(ctx, &p)
}

pub fn export(ctx: &Ctx) -> GenesisState {
    GenesisState {
        params: message_json(&super::state::params(ctx)),
    }
}
