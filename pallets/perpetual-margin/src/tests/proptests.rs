//! Property tests: random sequences of trades, margin moves, price gaps (-90% to +900% in one
//! step), the breakers flagging and clearing the price (reductions then fill within the flag's
//! bounds and the rest of their profit is held, judged a window later), blocks of funding (and
//! of claims paid, held profit judged), liquidations, auto-deleveraging and LPs adding
//! liquidity and leaving in two steps, against the real silos.

use super::*;
use frame_support::{storage::with_storage_layer, traits::Hooks};
use pallet_collateral_silos::{Event as SiloEvent, LOCKED_SHARES};
use proptest::prelude::*;
use sp_runtime::traits::Saturating;

const TRADERS: [AccountId; 3] = [ALICE, BOB, CAROL];
/// The pool's first LP and a second one.
const LPS: [AccountId; 2] = [LP, 10];

#[derive(Clone, Debug)]
enum Op {
	/// Margin for the trade's value at `leverage` (above the 10x cap some are refused).
	Trade {
		who: usize,
		size: i128,
		leverage: u32,
		reduce_only: bool,
	},
	Close {
		who: usize,
	},
	AddMargin {
		who: usize,
		amount: u128,
	},
	RemoveMargin {
		who: usize,
		amount: u128,
	},
	/// The price times `percent` / 100: 10 (-90%) to 1_000 (+900%).
	Price {
		percent: u128,
	},
	Blocks {
		blocks: u64,
	},
	/// The breakers flag the price (reductions fill no better than the price now) or clear it.
	Flag {
		on: bool,
	},
	Liquidate {
		who: usize,
	},
	Deleverage,
	AddLiquidity {
		lp: usize,
		amount: u128,
	},
	/// `percent` of the LP's shares into their withdrawal request.
	RequestWithdrawal {
		lp: usize,
		percent: u128,
	},
	ClaimWithdrawal {
		lp: usize,
	},
	CancelWithdrawal {
		lp: usize,
	},
}

fn op() -> impl Strategy<Value = Op> {
	let who = 0..TRADERS.len();
	let lp = 0..LPS.len();
	prop_oneof![
		6 => (who.clone(), -5_000i128..5_000, 1u32..=12, prop::bool::weighted(0.1))
			.prop_map(|(who, size, leverage, reduce_only)| Op::Trade { who, size, leverage, reduce_only }),
		1 => who.clone().prop_map(|who| Op::Close { who }),
		1 => (who.clone(), 1u128..20_000).prop_map(|(who, amount)| Op::AddMargin { who, amount }),
		1 => (who.clone(), 1u128..20_000).prop_map(|(who, amount)| Op::RemoveMargin { who, amount }),
		2 => prop_oneof![10u128..=1_000, 90u128..=110].prop_map(|percent| Op::Price { percent }),
		1 => (1u64..50).prop_map(|blocks| Op::Blocks { blocks }),
		1 => any::<bool>().prop_map(|on| Op::Flag { on }),
		2 => who.clone().prop_map(|who| Op::Liquidate { who }),
		1 => Just(Op::Deleverage),
		1 => (lp.clone(), 1u128..500_000).prop_map(|(lp, amount)| Op::AddLiquidity { lp, amount }),
		1 => (lp.clone(), 1u128..=100).prop_map(|(lp, percent)| Op::RequestWithdrawal { lp, percent }),
		1 => lp.clone().prop_map(|lp| Op::ClaimWithdrawal { lp }),
		1 => lp.prop_map(|lp| Op::CancelWithdrawal { lp }),
	]
}

/// Every unit the silo's account holds: traders' free and locked margin, the pool, the
/// insurance fund and queued withdrawals (the books' `held`).
fn units() -> u128 {
	let b = books();
	b.trader_free + b.trader_locked + b.pool + b.insurance + b.queued
}

/// Sums of the silo's events since genesis: everything that moved a unit in or out of the silo
/// or between traders, the pool, the claims and the insurance fund.
#[derive(Default, Debug)]
struct Flows {
	deposited: u128,
	lp_in: u128,
	lp_out: u128,
	/// Profit realized: paid from the pool, and claimed.
	paid: u128,
	claimed: u128,
	/// `ProfitClaimed` and `ClaimPaid`.
	claims_recorded: u128,
	claims_paid: u128,
	/// Of the claims paid, what the insurance fund paid (the pool had nothing left).
	claims_from_insurance: u128,
	/// Losses into the pool: from traders' margin, and from the insurance fund.
	from_margin: u128,
	from_insurance: u128,
	socialized: u128,
	fee_to_pool: u128,
	fee_to_insurance: u128,
	penalty: u128,
	/// Profit held back (`ProfitHeld`), and judged (`HeldProfitReleased`: the amount held, and
	/// what of it was realized).
	held: u128,
	held_judged: u128,
	held_realized: u128,
}

fn flows() -> Flows {
	let mut f = Flows::default();
	for record in System::events() {
		let RuntimeEvent::CollateralSilos(event) = record.event else { continue };
		match event {
			SiloEvent::MarginDeposited { amount, .. } => f.deposited += amount,
			SiloEvent::LiquidityAdded { amount, .. } => f.lp_in += amount,
			SiloEvent::LiquidityRemoved { amount, .. } => f.lp_out += amount,
			SiloEvent::ProfitRealized { paid, claimed, .. } => {
				f.paid += paid;
				f.claimed += claimed;
			},
			SiloEvent::ProfitClaimed { amount, .. } => f.claims_recorded += amount,
			SiloEvent::ClaimPaid { amount, from_insurance, .. } => {
				f.claims_paid += amount;
				f.claims_from_insurance += from_insurance;
			},
			SiloEvent::LossRealized { from_margin, from_insurance, socialized, .. } => {
				f.from_margin += from_margin;
				f.from_insurance += from_insurance;
				f.socialized += socialized;
			},
			SiloEvent::BadDebtCovered { from_insurance, socialized, .. } => {
				f.from_insurance += from_insurance;
				f.socialized += socialized;
			},
			SiloEvent::FeeCharged { to_pool, to_insurance, .. } => {
				f.fee_to_pool += to_pool;
				f.fee_to_insurance += to_insurance;
			},
			SiloEvent::LiquidationPaid { penalty, .. } => f.penalty += penalty,
			SiloEvent::ProfitHeld { amount, .. } => f.held += amount,
			SiloEvent::HeldProfitReleased { held, paid, .. } => {
				f.held_judged += held;
				f.held_realized += paid;
			},
			_ => {},
		}
	}
	f
}

/// Value is conserved and every unit is someone's: the silo holds what came in less what the
/// LPs took out; the traders (with the keeper) hold in margin and claims what they deposited
/// plus the profit realized (paid or claimed) less their losses, fees and penalties; the LPs'
/// part of the pool (the pool less the claims, negative if the claims exceed it) is what they
/// put in less what they took, plus fees and losses collected, less profit realized; the
/// insurance fund is its fees and penalties less what it paid. Claims: every one recorded is
/// paid or still in the books; socialized losses: the books' record is the events'; shares:
/// the LPs' (held or waiting in a withdrawal request) and the locked ones are all there are.
fn check_conservation() -> Result<(), TestCaseError> {
	let f = flows();
	let b = books();
	prop_assert_eq!(units() + f.lp_out, f.deposited + f.lp_in, "units");
	prop_assert_eq!(f.claimed, f.claims_recorded, "claims recorded");
	prop_assert_eq!(b.claims + f.claims_paid, f.claims_recorded, "claims outstanding");
	prop_assert_eq!(b.socialized_loss, f.socialized, "socialized loss");
	// Held profit: what is held now and what was judged is all that was held; no judgment
	// realized more than it held; every held profit is a record of the engine.
	let held_now = <CollateralSilos as SiloLedger<_>>::held_profit(SILO);
	prop_assert_eq!(held_now + f.held_judged, f.held, "held profit");
	prop_assert!(f.held_realized <= f.held_judged, "a held profit realized more than held");
	let records: u128 = crate::HeldProfits::<Test>::iter_values().map(|h| h.amount).sum();
	prop_assert_eq!(records, held_now, "held profit records");
	let traders: u128 = TRADERS
		.iter()
		.chain([KEEPER].iter())
		.map(|who| free(*who) + <CollateralSilos as SiloLedger<_>>::locked_margin(SILO, who))
		.sum();
	prop_assert_eq!(
		traders + b.claims + f.from_margin + f.fee_to_pool + f.fee_to_insurance + f.penalty,
		f.deposited + f.paid + f.claimed,
		"traders' margin and claims"
	);
	let lp_part = b.pool as i128 - b.claims as i128;
	let lp_flows =
		(f.lp_in + f.fee_to_pool + f.from_margin + f.from_insurance + f.claims_from_insurance)
			as i128 - (f.lp_out + f.paid + f.claimed) as i128;
	prop_assert_eq!(lp_part, lp_flows, "the LPs' part of the pool");
	prop_assert_eq!(
		b.insurance + f.from_insurance + f.claims_from_insurance,
		f.fee_to_insurance + f.penalty,
		"insurance fund"
	);
	// Every share is an LP's, in their hands or in their withdrawal request, or locked; the
	// requests' shares are the books' pending ones.
	let pending: u128 = LPS
		.iter()
		.filter_map(|lp| pallet_collateral_silos::LpWithdrawals::<Test>::get(SILO, lp))
		.map(|request| request.shares)
		.sum();
	let held: u128 =
		LPS.iter().map(|lp| pallet_collateral_silos::LpShares::<Test>::get(SILO, lp)).sum();
	prop_assert_eq!(pending, b.pending_shares, "pending shares");
	prop_assert_eq!(held + pending + LOCKED_SHARES, b.total_shares, "shares");
	Ok(())
}

/// Both pallets' invariants as `try_state` sees them after a block: the tripwire has run (the
/// pool may be below its claims and reserve only if it told the breakers).
fn check_at_end_of_block() {
	CollateralSilos::on_finalize(System::block_number());
	check_invariants();
}

fn apply(op: &Op, price: &mut FixedU128) -> sp_runtime::DispatchResult {
	with_storage_layer(|| -> sp_runtime::DispatchResult {
		match *op {
			Op::Trade { who, size, leverage, reduce_only } => {
				let value = price.saturating_mul_int(size.unsigned_abs());
				let margin = (value / u128::from(leverage)).min(free(TRADERS[who]));
				let limit = if size > 0 { fixed(u32::MAX) } else { FixedU128::zero() };
				PerpetualMargin::trade(
					RuntimeOrigin::signed(TRADERS[who]),
					MARKET,
					size,
					margin,
					limit,
					reduce_only,
				)
			},
			Op::Close { who } => {
				let limit = match Positions::<Test>::get(TRADERS[who], MARKET) {
					Some(p) if p.size_units < 0 => fixed(u32::MAX),
					_ => FixedU128::zero(),
				};
				PerpetualMargin::close_position(RuntimeOrigin::signed(TRADERS[who]), MARKET, limit)
			},
			Op::AddMargin { who, amount } => {
				PerpetualMargin::add_margin(RuntimeOrigin::signed(TRADERS[who]), MARKET, amount)
			},
			Op::RemoveMargin { who, amount } => {
				PerpetualMargin::remove_margin(RuntimeOrigin::signed(TRADERS[who]), MARKET, amount)
			},
			Op::Price { percent } => {
				let next = price.saturating_mul(rational(percent, 100));
				// Keep the price where a unit still has value and value still fits.
				*price = next.max(rational(1, 100)).min(fixed(10_000_000));
				MockPrices::set(MARKET, *price);
				<PerpetualMargin as bulwark_primitives::OnPriceUpdate<u64>>::on_price_update(
					MARKET,
					&MockPrices::aggregate(MARKET),
				);
				Ok(())
			},
			Op::Blocks { blocks } => {
				run_to_block(System::block_number() + blocks);
				// The oracle keeps publishing.
				MockPrices::set(MARKET, *price);
				Ok(())
			},
			Op::Flag { on: true } => {
				MockStatus::flag_price(MARKET, *price, *price);
				Ok(())
			},
			Op::Flag { on: false } => {
				MockStatus::unflag_price(MARKET);
				Ok(())
			},
			Op::Liquidate { who } => {
				PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), TRADERS[who], MARKET)
					.map(|_| ())
					.map_err(|e| e.error)
			},
			Op::Deleverage => PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET),
			Op::AddLiquidity { lp, amount } => {
				CollateralSilos::add_liquidity(RuntimeOrigin::signed(LPS[lp]), SILO, USD, amount, 0)
			},
			Op::RequestWithdrawal { lp, percent } => {
				let held = pallet_collateral_silos::LpShares::<Test>::get(SILO, LPS[lp]);
				CollateralSilos::request_liquidity_withdrawal(
					RuntimeOrigin::signed(LPS[lp]),
					SILO,
					held * percent / 100,
				)
			},
			Op::ClaimWithdrawal { lp } => {
				CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(LPS[lp]), SILO, 0)
			},
			Op::CancelWithdrawal { lp } => {
				CollateralSilos::cancel_liquidity_withdrawal(RuntimeOrigin::signed(LPS[lp]), SILO)
			},
		}
	})
}

/// The pool holds its claims, its held profit and the reserve (the winners' marks after the
/// silo's `reserve_move`): what every LP withdrawal must leave.
fn reserve_held() -> bool {
	let silo = pallet_collateral_silos::Silos::<Test>::get(SILO).expect("silo");
	let marks = PerpetualMargin::silo_marks(SILO, silo.params.reserve_move);
	silo.books.pool >= CollateralSilos::owed(SILO, &silo.books).saturating_add(marks.reserve)
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

	/// Value is conserved and every unit is someone's ([`check_conservation`]) after every
	/// step, both pallets' invariants hold at the end of every block, and an LP withdrawal
	/// always leaves the claims and the reserve in the pool. At the end everything can be wound
	/// down: every position closes (a winner's profit the pool cannot pay becomes a claim), the
	/// claims are paid as far as the pool goes, and the LPs leave with what their shares are
	/// worth.
	#[test]
	fn value_is_conserved_through_trades_gaps_funding_liquidations_and_lps(
		ops in prop::collection::vec(op(), 1..60),
		pool in 20_000u128..2_000_000,
	) {
		new_test_ext().execute_with(|| {
			// Each side may be worth up to 10 pools: large trades and small pools meet the cap.
			let capped = MarketParams { max_open_interest_to_pool: fixed(10), ..params() };
			open_market(capped, pool, &TRADERS, 100_000);
			assert_ok!(PerpetualMargin::set_profit_hold_window(RuntimeOrigin::root(), 5));
			let mut price = fixed(100);
			check_conservation()?;
			for op in &ops {
				let result = apply(op, &mut price);
				if matches!(op, Op::ClaimWithdrawal { .. }) && result.is_ok() {
					prop_assert!(reserve_held(), "an LP left the pool short after {:?}", ops);
				}
				check_at_end_of_block();
				check_conservation().map_err(|e| TestCaseError::fail(format!("{e} after {op:?}")))?;
			}

			// Wind down, the flag cleared (while flagged, a long whose loss at the flag's bound
			// exceeds its margin cannot close, and waits): liquidate what is liquidatable, then
			// close the rest at the same price. Every close succeeds: a winner's fee beyond its
			// margin comes off its profit, paid now or claimed.
			MockStatus::unflag_price(MARKET);
			for who in TRADERS {
				let _ = with_storage_layer(|| {
					PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), who, MARKET)
						.map_err(|e| e.error)
				});
				let Some(position) = Positions::<Test>::get(who, MARKET) else {
					prop_assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &who), 0);
					continue;
				};
				let limit = if position.size_units > 0 { FixedU128::zero() } else { fixed(u32::MAX) };
				let closed = with_storage_layer(|| {
					PerpetualMargin::close_position(RuntimeOrigin::signed(who), MARKET, limit)
				});
				prop_assert!(closed.is_ok(), "closing {:?} gave {:?} after {:?}", position, closed, ops);
				prop_assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &who), 0);
			}
			prop_assert!(crate::PositionIndex::<Test>::iter_keys().next().is_none());
			check_at_end_of_block();
			check_conservation()?;

			// The price holds: every held profit is judged within a window (four a block),
			// nothing stays held.
			let held = crate::HeldProfitCursor::<Test>::get();
			run_to_block(System::block_number() + 6 + (held.next - held.head) / 4);
			MockPrices::set(MARKET, price);
			prop_assert_eq!(<CollateralSilos as SiloLedger<_>>::held_profit(SILO), 0);
			check_conservation()?;

			// Claims are paid, oldest first, two a block, as far as the pool and then the
			// insurance fund go.
			while books().claims > 0 && books().pool + books().insurance > 0 {
				run_to_block(System::block_number() + 1);
			}
			check_conservation()?;

			// With no position left nothing is owed but the claims: each LP leaves with what
			// its shares are worth, all of them if the claims are paid.
			for lp in LPS {
				let _ = CollateralSilos::cancel_liquidity_withdrawal(RuntimeOrigin::signed(lp), SILO);
				let shares = pallet_collateral_silos::LpShares::<Test>::get(SILO, lp);
				if shares == 0 {
					continue;
				}
				// A request worth nothing is refused (it could never be paid).
				let requested = CollateralSilos::request_liquidity_withdrawal(
					RuntimeOrigin::signed(lp),
					SILO,
					shares,
				);
				if requested.is_err() {
					prop_assert_eq!(
						requested,
						Err(pallet_collateral_silos::Error::<Test>::ZeroShares.into())
					);
					continue;
				}
				let claimed =
					CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(lp), SILO, 0);
				prop_assert_eq!(claimed, Ok(()));
				prop_assert!(pallet_collateral_silos::LpWithdrawals::<Test>::get(SILO, lp).is_none());
			}
			if books().claims == 0 {
				// What is left belongs to the locked shares (or was worth less than a unit).
				prop_assert!(
					books().total_shares == LOCKED_SHARES
						|| books().pool * (books().total_shares - LOCKED_SHARES) < books().total_shares,
					"LP shares left: {:?}", books()
				);
			}
			check_at_end_of_block();
			check_conservation()?;
			Ok(())
		})?;
	}

	/// At a constant price, with no fee and no time for funding, no sequence of trades ends
	/// with the traders holding more than they put in: price impact (which reaches its cap at
	/// skew 100_000) and rounding never hand out value.
	#[test]
	fn round_trips_at_a_constant_price_never_create_value(
		trades in prop::collection::vec((0..3usize, -60_000i128..60_000), 1..30),
	) {
		new_test_ext().execute_with(|| {
			open_market(fee_free_params(), 10_000_000, &TRADERS, 5_000_000);
			let traders_total = || -> u128 {
				TRADERS
					.iter()
					.map(|who| {
						free(*who) + <CollateralSilos as SiloLedger<_>>::locked_margin(SILO, who)
					})
					.sum()
			};
			let before = traders_total();
			let mut price = fixed(100);
			for (who, size) in trades {
				let _ = apply(&Op::Trade { who, size, leverage: 4, reduce_only: false }, &mut price);
				check_at_end_of_block();
			}
			for who in 0..3 {
				let _ = apply(&Op::Close { who }, &mut price);
			}
			prop_assert!(crate::PositionIndex::<Test>::iter_keys().next().is_none());
			prop_assert!(traders_total() <= before, "traders gained {}", traders_total() - before);
			Ok(())
		})?;
	}
}
