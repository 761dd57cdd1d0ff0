//! What fuzzer bytes mean: a list of [`Action`]s, SCALE-encoded one after another.
//!
//! Decoding never fails on the first byte of an action: it is taken modulo the number of
//! actions, so every byte string is some program and the mutator's changes stay meaningful.
//! The input ends at the first action whose fields run past the end of the bytes. Seeds are
//! written with [`encode`], so a seed reads as the Rust that made it (`seeds.rs`).

use codec::{Decode, Encode};

/// The most actions one input runs: bounds an execution's time whatever the input's length.
pub const MAX_ACTIONS: usize = 256;

/// One thing that happens on the chain. Accounts, markets and silos are indices taken modulo
/// what exists (`chain.rs`), so every value names something; amounts are mostly whole dollars
/// (USDB) or coins' dollar worth, so that most draws are amounts a trader could mean, and with
/// the top bit set an amount to the unit (`chain::dollars`). Where an action moves what someone
/// holds (deposits, liquidity, insurance, USDB transfers, withdrawals), `u32::MAX - k` (`k`
/// below 16,384) is all of it less `k` units.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Action {
	/// A trade of `notional` dollars (negative: sell) with `margin` dollars, its limit
	/// `slippage_bp` basis points past the oracle price.
	Trade {
		who: u8,
		market: u8,
		notional: i32,
		margin: u32,
		slippage_bp: u16,
		reduce_only: u8,
	},
	/// The owner closes the whole position, its limit `slippage_bp` past the oracle price.
	Close {
		who: u8,
		market: u8,
		slippage_bp: u16,
	},
	AddMargin {
		who: u8,
		market: u8,
		dollars: u32,
	},
	RemoveMargin {
		who: u8,
		market: u8,
		dollars: u32,
	},
	Deposit {
		who: u8,
		silo: u8,
		dollars: u32,
	},
	/// Free margin out of a silo; `u32::MAX` dollars: all of it, to the unit, as a trader
	/// leaving for good asks (`u32::MAX - k`: all but `k` units).
	Withdraw {
		who: u8,
		silo: u8,
		dollars: u32,
	},
	AddLiquidity {
		who: u8,
		silo: u8,
		dollars: u32,
		min_shares: u32,
	},
	/// An LP asks to withdraw `percent` of its shares, exactly (above 100: more than it has).
	RequestWithdrawal {
		who: u8,
		silo: u8,
		percent: u8,
	},
	CancelWithdrawal {
		who: u8,
		silo: u8,
	},
	ClaimWithdrawal {
		who: u8,
		silo: u8,
	},
	FundInsurance {
		who: u8,
		silo: u8,
		dollars: u32,
	},
	/// Anyone closes a wound-down silo (refused unless it is empty).
	CloseSilo {
		who: u8,
		silo: u8,
	},
	/// A liquidation of `who`'s position: by the validators' authorized (unsigned) transaction
	/// when `keeper` is 0, else signed by a keeper account.
	Liquidate {
		keeper: u8,
		who: u8,
		market: u8,
	},
	Deleverage {
		who: u8,
		market: u8,
	},
	/// One oracle round: every reporter (the four validators' oracle keys, then Eve's, which
	/// counts only once governance adds it) reports the last price moved by `move_bp` basis
	/// points (at least -99%), except those in `liars` (a bit per reporter), who report
	/// `liar_percent` percent of the honest price. `skip` (a bit per reporter) stays silent.
	Price {
		market: u8,
		move_bp: i16,
		liars: u8,
		liar_percent: u16,
		skip: u8,
	},
	/// BWK between accounts (`transfer_allow_death`: may reap the sender).
	Transfer {
		from: u8,
		to: u8,
		amount: u64,
	},
	/// USDB, in dollars, to an account or (`to` 8 and 9, modulo 10) straight to silo 0's or
	/// 1's account: a donation outside the silos pallet, which its books must survive.
	TransferUsdb {
		from: u8,
		to: u8,
		dollars: u32,
	},
	/// A governance decision, dispatched through `sudo` by its key.
	Govern(Governance),
	/// Ends the block (checks every invariant) and starts the next, `skip_slots` slots later.
	NextBlock {
		skip_slots: u8,
	},
	/// Ends the block and runs `blocks` empty ones (each checked).
	Wait {
		blocks: u8,
	},
	/// Any call of the runtime, SCALE-encoded, signed by a non-sudo account.
	Raw {
		who: u8,
		call: Vec<u8>,
	},
	/// USDB's issuer (Alice, its admin and freezer) acts on an account (`who` as `to` in
	/// [`Action::TransferUsdb`]: 8 and 9 are silo 0's and 1's): `act` modulo 3 thaws it,
	/// freezes it (it can send nothing) or blocks it (it can neither send nor receive), as a
	/// stablecoin's issuer may do to anyone, a silo included.
	UsdbIssuer {
		who: u8,
		act: u8,
	},
}

/// What governance may decide: every `AdminOrigin` / `TripOrigin` call of the Bulwark pallets
/// with bounded arguments (invalid ones are refused by the pallets, as they would be on chain).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Governance {
	TripMarket {
		market: u8,
		level: u8,
	},
	LiftMarket {
		market: u8,
	},
	TripSilo {
		silo: u8,
		withdrawals: u8,
		block_new_risk: u8,
	},
	LiftSilo {
		silo: u8,
	},
	DeclareEmergency,
	EndEmergency,
	SettleMarket {
		market: u8,
	},
	SetHoldWindow {
		blocks: u16,
	},
	SetSettlementRules {
		settle_after_stale: u16,
		exit_after_stale: u16,
		exit_band_percent: u8,
	},
	WindDown {
		silo: u8,
	},
	/// Books what was sent straight to the silo's account into the silo.
	SweepSurplus {
		silo: u8,
	},
	RemoveFeed {
		market: u8,
	},
	/// Removes an oracle key (the four validators', then Eve's) from the feeders.
	RemoveFeeder {
		feeder: u8,
	},
	/// Adds an oracle key (the four validators', then Eve's) to the feeders.
	AddFeeder {
		feeder: u8,
	},
	/// The market's leverage and margins: initial 1/`max_leverage`, maintenance 60% of it.
	SetLeverage {
		market: u8,
		max_leverage: u8,
	},
	/// The silo's parameters that shape leaving it, the others kept: its smallest amount
	/// (`min_amount` read as an action's dollars), the share of the pool that may leave per
	/// rate-limit window and that window's length (short ones roll over within an input), the
	/// LPs' cooldown, and the price move its reserve covers. Zeros and out-of-range values are
	/// refused by the pallet, as on chain.
	SetSiloParams {
		silo: u8,
		min_amount: u32,
		withdrawal_limit_percent: u8,
		withdrawal_window: u8,
		lp_cooldown: u8,
		reserve_move_percent: u8,
	},
	/// The market's fees and risk limits, the others kept: the trading fee, the liquidation
	/// penalty and the keeper's reward (basis points of the value traded or liquidated), the
	/// volatility add-on's factor, and how much open interest a side may hold against the
	/// silo's free pool (percent). Values the pallet refuses are refused, as on chain.
	SetMarketRisk {
		market: u8,
		trading_fee_bp: u16,
		liquidation_penalty_bp: u16,
		keeper_reward_bp: u16,
		volatility_factor: u8,
		open_interest_to_pool_percent: u16,
	},
	/// The market's funding, the others kept: its largest rate and its most change per block,
	/// each in parts per million doubled `*_doublings` times (saturating: up to FixedU128's
	/// largest value; past 100% a block the pallet refuses them), and the skew at which the
	/// rate peaks (size units; a small one puts the skew many times past it).
	SetFunding {
		market: u8,
		max_rate_ppm: u32,
		rate_doublings: u8,
		max_velocity_ppm: u32,
		velocity_doublings: u8,
		skew_scale: u32,
	},
}

/// Number of [`Action`] variants: a first byte is taken modulo this.
const ACTIONS: u8 = 22;
/// The index of [`Action::Govern`].
const GOVERN: u8 = 17;
/// Number of [`Governance`] variants.
const GOVERNANCE: u8 = 18;

/// The actions `data` encodes, at most [`MAX_ACTIONS`].
pub fn decode(mut data: &[u8]) -> Vec<Action> {
	let mut actions = Vec::new();
	while let Some((&tag, rest)) = data.split_first() {
		if actions.len() == MAX_ACTIONS {
			break;
		}
		let mut bytes = Vec::with_capacity(data.len());
		bytes.push(tag % ACTIONS);
		bytes.extend_from_slice(rest);
		if bytes[0] == GOVERN {
			// A decision's own first byte is taken modulo too.
			let Some(inner) = bytes.get_mut(1) else { break };
			*inner %= GOVERNANCE;
		}
		let mut input = &bytes[..];
		let Ok(action) = Action::decode(&mut input) else { break };
		let used = bytes.len() - input.len();
		actions.push(action);
		data = &data[used..];
	}
	actions
}

/// The bytes that [`decode`] reads back as `actions`.
pub fn encode(actions: &[Action]) -> Vec<u8> {
	actions.iter().flat_map(Encode::encode).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_variant_round_trips_and_the_counts_match_the_enums() {
		let actions = vec![
			Action::Trade {
				who: 1,
				market: 2,
				notional: -5,
				margin: 7,
				slippage_bp: 9,
				reduce_only: 1,
			},
			Action::Govern(Governance::SetLeverage { market: 1, max_leverage: 3 }),
			Action::Raw { who: 2, call: vec![1, 2, 3] },
			Action::Wait { blocks: 4 },
		];
		assert_eq!(decode(&encode(&actions)), actions);
		// The last variant's index is the count minus one: a new variant must raise the count.
		assert_eq!(Action::UsdbIssuer { who: 0, act: 0 }.encode()[0], ACTIONS - 1);
		assert_eq!(
			Governance::SetFunding {
				market: 0,
				max_rate_ppm: 0,
				rate_doublings: 0,
				max_velocity_ppm: 0,
				velocity_doublings: 0,
				skew_scale: 0,
			}
			.encode()[0],
			GOVERNANCE - 1
		);
		assert_eq!(Action::Govern(Governance::DeclareEmergency).encode()[0], GOVERN);
		// A decision's byte is taken modulo: 18 + 4 = 22 is DeclareEmergency.
		assert_eq!(decode(&[GOVERN, 22]), vec![Action::Govern(Governance::DeclareEmergency)]);
	}

	#[test]
	fn funding_is_parts_per_million_doubled_up_to_the_largest_fixed_point_value() {
		use crate::chain::doubled_ppm;
		use sp_runtime::FixedU128;
		assert_eq!(doubled_ppm(1_000_000, 0), FixedU128::from_u32(1));
		assert_eq!(doubled_ppm(1_000_000, 1), FixedU128::from_u32(2));
		assert_eq!(doubled_ppm(1, 0), FixedU128::from_inner(1_000_000_000_000));
		// 1e12 takes 40 bits: 88 doublings still fit, 89 saturate.
		assert_eq!(doubled_ppm(1, 88), FixedU128::from_inner(1_000_000_000_000 << 88));
		assert_eq!(doubled_ppm(1, 89), FixedU128::from_inner(u128::MAX));
		assert_eq!(doubled_ppm(u32::MAX, 255), FixedU128::from_inner(u128::MAX));
		assert_eq!(doubled_ppm(0, 255), FixedU128::from_inner(0));
	}

	#[test]
	fn amounts_are_whole_dollars_or_to_the_unit_with_the_top_bit() {
		use crate::chain::{dollars, dollars_and, dollars_less};
		assert_eq!(dollars(0), 0);
		assert_eq!(dollars(3), 3_000_000);
		assert_eq!(dollars((1 << 31) - 1), 2_147_483_647_000_000);
		// Top bit: 2 dollars (bits 29..14) and 5 units (bits 13..0), added...
		assert_eq!(dollars((1 << 31) | (2 << 14) | 5), 2_000_005);
		assert_eq!(dollars_and(2, 5), (1 << 31) | (2 << 14) | 5);
		// ...or, with bit 30, taken off.
		assert_eq!(dollars((3 << 30) | (2 << 14) | 5), 1_999_995);
		assert_eq!(dollars_less(2, 5), (3 << 30) | (2 << 14) | 5);
		// Dust alone, and more units than dollars (nothing, not a wrap).
		assert_eq!(dollars(dollars_and(0, 9_999)), 9_999);
		assert_eq!(dollars(dollars_less(0, 1)), 0);
		// The largest of each.
		assert_eq!(dollars(dollars_and(u16::MAX, 0x3fff)), 65_535_016_383);
		assert_eq!(dollars(u32::MAX), 65_534_983_617);
	}

	#[test]
	fn any_first_byte_is_an_action_and_a_short_tail_ends_the_input() {
		// 22 + 2 = 24 is action 2 (AddMargin: three fields, 6 bytes); 198 % 22 = 0 is Trade,
		// cut short.
		let data = [24, 1, 2, 3, 0, 0, 0, 198, 1];
		assert_eq!(decode(&data), vec![Action::AddMargin { who: 1, market: 2, dollars: 3 }]);
		assert_eq!(decode(&[]), vec![]);
		// A long input stops at MAX_ACTIONS.
		assert_eq!(decode(&[19u8; 1000]).len(), MAX_ACTIONS);
	}
}
