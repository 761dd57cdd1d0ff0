//! The seed corpus (`fuzz/corpus/runtime/`), as the Rust that writes it
//! (`cargo run -p bulwark-fuzz --bin write-seeds`). Each seed is a short scenario that reaches
//! one part of the system, for the fuzzer to mutate from: trading and protocol liquidation,
//! lying and silent feeders, LPs in and out, governance's breakers and wind-down, a pump closed
//! while flagged (held profit), a dead feed settled, keepers, raw calls, USDB's issuer blocking
//! a payee and a silo, amounts to the unit and rate-limit windows that roll over.

use crate::{
	actions::{Action, Governance},
	chain::{dollars_and, dollars_less},
};
use codec::Encode;

/// The seeds: (file name, program).
pub fn seeds() -> Vec<(&'static str, Vec<Action>)> {
	use Action::*;
	let price =
		|market: u8, move_bp: i16| Price { market, move_bp, liars: 0, liar_percent: 100, skip: 0 };
	let next = || NextBlock { skip_slots: 1 };
	vec![
		(
			"liquidation-after-a-drop",
			vec![
				Trade {
					who: 6,
					market: 0,
					notional: 40_000,
					margin: 2_500,
					slippage_bp: 100,
					reduce_only: 0,
				},
				next(),
				price(0, -900),
				next(),
				next(),
				Close { who: 1, market: 0, slippage_bp: 300 },
			],
		),
		(
			"liars-and-silent-feeders",
			vec![
				Price { market: 1, move_bp: 200, liars: 0b0001, liar_percent: 1_000, skip: 0 },
				next(),
				Price { market: 1, move_bp: -300, liars: 0b0010, liar_percent: 10, skip: 0b1000 },
				next(),
				Price { market: 2, move_bp: 0, liars: 0, liar_percent: 100, skip: 0b0110 },
				Wait { blocks: 12 },
				price(2, 100),
			],
		),
		(
			"lp-in-and-out",
			vec![
				AddLiquidity { who: 7, silo: 0, dollars: 50_000, min_shares: 0 },
				RequestWithdrawal { who: 2, silo: 0, percent: 50 },
				Wait { blocks: 101 },
				ClaimWithdrawal { who: 2, silo: 0 },
				RequestWithdrawal { who: 7, silo: 0, percent: 100 },
				CancelWithdrawal { who: 7, silo: 0 },
				FundInsurance { who: 3, silo: 1, dollars: 1_000 },
				// Sent to silo 1's account outside the pallet, then booked by governance.
				TransferUsdb { from: 3, to: 9, dollars: 250 },
				next(),
				Govern(Governance::SweepSurplus { silo: 1 }),
				Withdraw { who: 4, silo: 1, dollars: 19_000 },
			],
		),
		(
			"governance-breakers",
			vec![
				Govern(Governance::TripSilo { silo: 0, withdrawals: 1, block_new_risk: 1 }),
				Trade {
					who: 2,
					market: 1,
					notional: 5_000,
					margin: 1_000,
					slippage_bp: 100,
					reduce_only: 0,
				},
				Govern(Governance::LiftSilo { silo: 0 }),
				Govern(Governance::DeclareEmergency),
				next(),
				Govern(Governance::EndEmergency),
				Govern(Governance::TripMarket { market: 2, level: 2 }),
				Govern(Governance::SetLeverage { market: 0, max_leverage: 2 }),
				Govern(Governance::RemoveFeeder { feeder: 3 }),
				Govern(Governance::AddFeeder { feeder: 4 }),
				next(),
			],
		),
		(
			"pump-closed-while-flagged",
			vec![
				Govern(Governance::SetHoldWindow { blocks: 5 }),
				price(3, 1_700),
				NextBlock { skip_slots: 1 },
				price(3, 1_700),
				NextBlock { skip_slots: 1 },
				price(3, 1_700),
				Close { who: 5, market: 3, slippage_bp: 9_000 },
				Wait { blocks: 6 },
				price(3, 0),
				Wait { blocks: 6 },
			],
		),
		(
			"dead-feed-settled-and-silo-wound-down",
			vec![
				Govern(Governance::SetSettlementRules {
					settle_after_stale: 30,
					exit_after_stale: 20,
					exit_band_percent: 5,
				}),
				Govern(Governance::RemoveFeed { market: 3 }),
				Wait { blocks: 25 },
				Close { who: 3, market: 3, slippage_bp: 2_000 },
				Wait { blocks: 10 },
				Govern(Governance::WindDown { silo: 1 }),
				// Everyone leaves, to the unit (`u32::MAX` dollars: all of it), and the empty
				// silo is closed. Each request's value is rounded down, so the last claim
				// leaves a unit or so, below USDB's minimum balance: the last LP takes it.
				Withdraw { who: 0, silo: 1, dollars: u32::MAX },
				Withdraw { who: 1, silo: 1, dollars: u32::MAX },
				Withdraw { who: 2, silo: 1, dollars: u32::MAX },
				Withdraw { who: 3, silo: 1, dollars: u32::MAX },
				Withdraw { who: 4, silo: 1, dollars: u32::MAX },
				Withdraw { who: 5, silo: 1, dollars: u32::MAX },
				Withdraw { who: 6, silo: 1, dollars: u32::MAX },
				Withdraw { who: 7, silo: 1, dollars: u32::MAX },
				RequestWithdrawal { who: 2, silo: 1, percent: 100 },
				RequestWithdrawal { who: 5, silo: 1, percent: 100 },
				ClaimWithdrawal { who: 2, silo: 1 },
				ClaimWithdrawal { who: 5, silo: 1 },
				CloseSilo { who: 6, silo: 1 },
			],
		),
		(
			"keepers-and-deleverage",
			vec![
				Trade {
					who: 7,
					market: 2,
					notional: -30_000,
					margin: 3_100,
					slippage_bp: 200,
					reduce_only: 0,
				},
				// Governance raises the liquidation penalty and the keeper's reward, and halves
				// the open interest the pool may back, while the short is open.
				Govern(Governance::SetMarketRisk {
					market: 2,
					trading_fee_bp: 10,
					liquidation_penalty_bp: 300,
					keeper_reward_bp: 200,
					volatility_factor: 4,
					open_interest_to_pool_percent: 25,
				}),
				// The steepest funding governance may set, peaking at a skew of one unit: the
				// short's skew is far past it, and funding still accrues block after block.
				Govern(Governance::SetFunding {
					market: 2,
					max_rate_ppm: 1_000_000,
					rate_doublings: 0,
					max_velocity_ppm: 1_000_000,
					velocity_doublings: 0,
					skew_scale: 1,
				}),
				next(),
				price(2, 800),
				next(),
				Liquidate { keeper: 2, who: 7, market: 2 },
				Liquidate { keeper: 0, who: 1, market: 0 },
				Deleverage { who: 4, market: 0 },
				AddMargin { who: 1, market: 0, dollars: 500 },
				RemoveMargin { who: 1, market: 0, dollars: 200 },
			],
		),
		(
			"transfers-and-raw-calls",
			vec![
				Transfer { from: 3, to: 5, amount: 1_000_000_000_000 },
				TransferUsdb { from: 4, to: 6, dollars: 10 },
				Raw {
					who: 2,
					call: bulwark_runtime::RuntimeCall::System(frame_system::Call::remark {
						remark: b"bulwark".to_vec(),
					})
					.encode(),
				},
				Raw {
					who: 1,
					call: bulwark_runtime::RuntimeCall::PerpetualMargin(
						pallet_perpetual_margin::Call::close_position {
							market: 0,
							acceptable_price: Default::default(),
						},
					)
					.encode(),
				},
			],
		),
		(
			"usdb-issuer-blocks-a-payee-and-a-silo",
			vec![
				// Silo 0 rate-limited: 10% of its pool (200,012.25) this window. Account 6's
				// 20,000 take nearly all of it; account 7's 20,000 wait in the queue, but 1.23.
				Govern(Governance::TripSilo { silo: 0, withdrawals: 1, block_new_risk: 0 }),
				Withdraw { who: 6, silo: 0, dollars: 20_000 },
				Withdraw { who: 7, silo: 0, dollars: 20_000 },
				// The issuer blocks account 7, the breaker is lifted: the queued payment cannot
				// be delivered at the next block and goes back to 7's free margin.
				UsdbIssuer { who: 7, act: 2 },
				Govern(Governance::LiftSilo { silo: 0 }),
				next(),
				UsdbIssuer { who: 7, act: 0 },
				Withdraw { who: 7, silo: 0, dollars: u32::MAX },
				// Silo 0's own account blocked, then frozen: nothing leaves (nor, blocked,
				// comes in), and its books still match what it holds.
				UsdbIssuer { who: 8, act: 2 },
				Deposit { who: 0, silo: 0, dollars: 1_000 },
				Withdraw { who: 0, silo: 0, dollars: 1_000 },
				next(),
				UsdbIssuer { who: 8, act: 1 },
				Withdraw { who: 2, silo: 0, dollars: 1_000 },
				RequestWithdrawal { who: 2, silo: 0, percent: 10 },
				next(),
				UsdbIssuer { who: 8, act: 0 },
				Withdraw { who: 0, silo: 0, dollars: 1_000 },
			],
		),
		(
			"dust-and-short-rate-windows",
			vec![
				// Silo 1 takes amounts down to a cent, and while rate-limited lets 10% of its
				// pool leave per 5-block window; LPs wait 3 blocks.
				Govern(Governance::SetSiloParams {
					silo: 1,
					min_amount: dollars_and(0, 10_000),
					withdrawal_limit_percent: 10,
					withdrawal_window: 5,
					lp_cooldown: 3,
					reserve_move_percent: 25,
				}),
				Govern(Governance::TripSilo { silo: 1, withdrawals: 1, block_new_risk: 0 }),
				// A whole wallet but a unit: refused, it would leave the depositor dust.
				Deposit { who: 4, silo: 1, dollars: u32::MAX - 1 },
				// A dollar less a unit in, then all of it but half a cent out: the half cent
				// stays as margin, below USDB's minimum balance.
				Deposit { who: 4, silo: 1, dollars: dollars_less(1, 1) },
				Withdraw { who: 4, silo: 1, dollars: u32::MAX - 5_000 },
				// More than a window allows: the rest waits in the queue, paid as windows
				// roll over.
				Withdraw { who: 6, silo: 1, dollars: 19_000 },
				RequestWithdrawal { who: 2, silo: 1, percent: 30 },
				Wait { blocks: 6 },
				ClaimWithdrawal { who: 2, silo: 1 },
				Wait { blocks: 12 },
				TransferUsdb { from: 3, to: 2, dollars: dollars_and(0, 9_999) },
			],
		),
	]
}
