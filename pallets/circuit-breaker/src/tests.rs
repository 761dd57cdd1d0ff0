//! Every trigger and recovery path with the block of each transition, manual trips and lifts,
//! liquidations under every level, and bad input.

use crate::{mock::*, *};
use bulwark_primitives::{Aggregate, MarketStatus::*, TradeAction, WithdrawalStatus as W};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::{traits::BadOrigin, FixedU128};

fn status(market: MarketId) -> MarketStatus {
	Breakers::market_status(market)
}

fn withdrawals() -> WithdrawalStatus {
	Breakers::withdrawal_status(SILO)
}

/// The status of `market` at the end of each block in `blocks`, running up to each.
fn statuses_at(market: MarketId, blocks: &[u64]) -> Vec<(u64, MarketStatus)> {
	blocks
		.iter()
		.map(|block| {
			run_to_block(*block);
			(*block, status(market))
		})
		.collect()
}

fn p(units: u32) -> FixedU128 {
	FixedU128::from_u32(units)
}

/// A new aggregate at `price` in the current block (round 0, no volatility).
fn aggregate(price: FixedU128) -> Aggregate<u64> {
	Aggregate {
		price,
		round: 0,
		block: System::block_number(),
		volatility: FixedU128::zero(),
		spread: Default::default(),
		wide: false,
	}
}

#[test]
fn liquidations_act_on_a_move_beyond_the_band_only_once_a_second_aggregate_confirms_it() {
	new_test_ext().execute_with(|| {
		let prices =
			|| (Breakers::liquidation_price(BTC, true), Breakers::liquidation_price(BTC, false));
		// No aggregate yet: the oracle's price, nothing flagged.
		assert_eq!(prices(), (None, None));
		assert!(!Breakers::price_flagged(BTC));
		MockPrices::set_twap(BTC, p(100));
		Breakers::on_price_update(BTC, &aggregate(p(100)));
		assert_eq!(prices(), (Some(p(100)), Some(p(100))));
		// A -25% wick: held, flagged (and the band trips).
		run_to_block(2);
		Breakers::on_price_update(BTC, &aggregate(p(75)));
		assert_eq!(prices(), (Some(p(100)), Some(p(100))));
		assert!(Breakers::price_flagged(BTC));
		System::assert_has_event(
			Event::PriceHeld { market: BTC, price: p(75), reason: Reason::UnconfirmedMove }.into(),
		);
		// Owners' reductions fill between the TWAP and the last price before the flag (100).
		assert_eq!(PriceGuards::<Test>::get(BTC).unwrap().anchor, Some(p(100)));
		assert_eq!(Breakers::fill_bounds(BTC), Some((p(100), p(100))));
		// It reverts: trusted again at 99, nothing held.
		run_to_block(3);
		Breakers::on_price_update(BTC, &aggregate(p(99)));
		assert_eq!(prices(), (Some(p(99)), Some(p(99))));
		assert_eq!(PriceGuards::<Test>::get(BTC).unwrap().pending, None);
		// The band's cooldown keeps the market flagged, though nothing is held: the anchor stays.
		assert!(Breakers::price_flagged(BTC));
		MockPrices::set_twap(BTC, p(97));
		assert_eq!(Breakers::fill_bounds(BTC), Some((p(97), p(100))));
		// A crash in two legs: -30%, then -28% of 99 (71.28 -> 72 here): longs at the higher.
		run_to_block(4);
		Breakers::on_price_update(BTC, &aggregate(p(69)));
		run_to_block(5);
		Breakers::on_price_update(BTC, &aggregate(p(72)));
		assert_eq!(prices(), (Some(p(72)), Some(p(69))));
		System::assert_has_event(
			Event::MoveConfirmed { market: BTC, long: p(72), short: p(69) }.into(),
		);
		// A wide round is held whatever its move.
		run_to_block(6);
		Breakers::on_price_update(BTC, &Aggregate { wide: true, ..aggregate(p(73)) });
		assert_eq!(prices(), (Some(p(72)), Some(p(69))));
		System::assert_has_event(
			Event::PriceHeld { market: BTC, price: p(73), reason: Reason::WideRound }.into(),
		);
		// The runtime API shows the guard; untracking drops it.
		let report = Breakers::market_reports().into_iter().find(|r| r.market == BTC).unwrap();
		assert_eq!(report.guard, PriceGuards::<Test>::get(BTC));
		assert_ok!(Breakers::untrack_market(RuntimeOrigin::root(), BTC));
		assert_eq!(PriceGuards::<Test>::get(BTC), None);
		assert_eq!(prices(), (None, None));
	});
}

#[test]
fn stale_oracle_reduce_only_then_halted_then_one_level_at_a_time_back() {
	new_test_ext().execute_with(|| {
		run_to_block(5);
		set_stale(BTC);
		// Stale seen at block 6: ReduceOnly. 50 blocks later (56): Halted.
		assert_eq!(
			statuses_at(BTC, &[6, 55, 56]),
			vec![(6, ReduceOnly), (55, ReduceOnly), (56, Halted)]
		);
		System::assert_has_event(
			Event::MarketBreaker {
				market: BTC,
				from: ReduceOnly,
				to: Halted,
				reason: Reason::OracleStaleTooLong,
			}
			.into(),
		);
		assert_eq!(status(ETH), Normal, "other markets are untouched");
		// Fresh again from block 61: 20 clear blocks per level.
		run_to_block(60);
		set_price(BTC, 100, 60);
		assert_eq!(
			statuses_at(BTC, &[61, 80, 81, 100, 101]),
			vec![(61, Halted), (80, Halted), (81, ReduceOnly), (100, ReduceOnly), (101, Normal)]
		);
		System::assert_has_event(
			Event::MarketBreaker {
				market: BTC,
				from: ReduceOnly,
				to: Normal,
				reason: Reason::Recovered,
			}
			.into(),
		);
	});
}

#[test]
fn a_degraded_oracle_holds_the_market_reduce_only_but_never_halts_it() {
	new_test_ext().execute_with(|| {
		run_to_block(5);
		set_stale(BTC);
		assert_eq!(statuses_at(BTC, &[6, 20]), vec![(6, ReduceOnly), (20, ReduceOnly)]);
		let reason = || Markets::<Test>::get(BTC).and_then(|state| state.reason);
		assert_eq!(reason(), Some(Reason::OracleStale));
		// From block 21 a degraded aggregate every 2 blocks (the oracle's rounds of two agreeing
		// feeders): the halt clock stops, the market stays ReduceOnly, now for that reason.
		let mut seen = Vec::new();
		for block in 21..=130u64 {
			if (block - 21) % 2 == 0 {
				set_degraded(BTC, 100, block);
			}
			run_to_block(block);
			if block == 21 {
				System::assert_has_event(
					Event::MarketBreaker {
						market: BTC,
						from: ReduceOnly,
						to: ReduceOnly,
						reason: Reason::OracleDegraded,
					}
					.into(),
				);
				assert_eq!(reason(), Some(Reason::OracleDegraded));
			}
			if [56, 100, 130].contains(&block) {
				seen.push((block, status(BTC)));
			}
		}
		assert_eq!(seen, vec![(56, ReduceOnly), (100, ReduceOnly), (130, ReduceOnly)]);
		assert!(!System::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::Breakers(Event::MarketBreaker { to: Halted, .. })
		)));
		// Keepers and owners act on it; nobody opens risk on it.
		assert!(Breakers::allows(BTC, SILO, TradeAction::Liquidate));
		assert!(Breakers::allows(BTC, SILO, TradeAction::ReduceRisk));
		assert!(!Breakers::allows(BTC, SILO, TradeAction::IncreaseRisk));
		// A Fresh price from block 131: Normal after 20 clear blocks.
		set_price(BTC, 100, 131);
		assert_eq!(statuses_at(BTC, &[150, 151]), vec![(150, ReduceOnly), (151, Normal)]);

		// A Fresh market whose price turns Degraded goes ReduceOnly at once, for that reason.
		assert_eq!(status(ETH), Normal);
		set_degraded(ETH, 10, 152);
		run_to_block(152);
		System::assert_has_event(
			Event::MarketBreaker {
				market: ETH,
				from: Normal,
				to: ReduceOnly,
				reason: Reason::OracleDegraded,
			}
			.into(),
		);
	});
}

#[test]
fn a_stale_spell_shorter_than_recovery_restarts_the_count() {
	new_test_ext().execute_with(|| {
		set_stale(BTC);
		run_to_block(2);
		assert_eq!(status(BTC), ReduceOnly);
		set_price(BTC, 100, 2);
		run_to_block(12);
		// Stale again at 13 before the 20 clear blocks (from 3) were up.
		set_stale(BTC);
		run_to_block(13);
		set_price(BTC, 100, 13);
		// Clear from 14: Normal at 34, not at 23.
		assert_eq!(
			statuses_at(BTC, &[23, 33, 34]),
			vec![(23, ReduceOnly), (33, ReduceOnly), (34, Normal)]
		);
	});
}

#[test]
fn a_band_move_trips_reduce_only_for_the_cooldown() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		Breakers::on_price_update(BTC, &aggregate(p(100)));
		run_to_block(5);
		// +19%: inside the 20% band.
		Breakers::on_price_update(BTC, &aggregate(p(119)));
		assert_eq!(status(BTC), Normal);
		run_to_block(8);
		// +21% from block 2's 100 (within the 10-block window): ReduceOnly in this block.
		Breakers::on_price_update(BTC, &aggregate(p(121)));
		assert_eq!(status(BTC), ReduceOnly);
		System::assert_has_event(
			Event::MarketBreaker {
				market: BTC,
				from: Normal,
				to: ReduceOnly,
				reason: Reason::PriceBand,
			}
			.into(),
		);
		// Cooldown 50 blocks (until 58), then 20 clear blocks: Normal at 78.
		assert_eq!(
			statuses_at(BTC, &[57, 58, 77, 78]),
			vec![(57, ReduceOnly), (58, ReduceOnly), (77, ReduceOnly), (78, Normal)]
		);
	});
}

#[test]
fn band_moves_count_only_within_the_window() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		Breakers::on_price_update(BTC, &aggregate(p(100)));
		// Block 13: block 2 is more than 10 blocks back.
		run_to_block(13);
		Breakers::on_price_update(BTC, &aggregate(p(125)));
		assert_eq!(status(BTC), Normal);
		// A fall of 21% from 125 within the window trips.
		run_to_block(14);
		Breakers::on_price_update(BTC, &aggregate(p(98)));
		assert_eq!(status(BTC), ReduceOnly);
		// An untracked market's aggregates are ignored.
		Breakers::on_price_update(9, &aggregate(p(1)));
		Breakers::on_price_update(9, &aggregate(p(1000)));
		assert_eq!(status(9), Normal);
	});
}

#[test]
fn low_insurance_stops_new_risk_until_it_stays_refilled() {
	new_test_ext().execute_with(|| {
		let increase = || Breakers::allows(BTC, SILO, TradeAction::IncreaseRisk);
		// 400 of 1000 is below the 50% floor: seen at block 2.
		set_silo(SILO, 400, 1_000, 10_000);
		run_to_block(2);
		assert!(!increase());
		assert!(Breakers::allows(BTC, SILO, TradeAction::ReduceRisk));
		System::assert_has_event(
			Event::SiloNewRisk { silo: SILO, accepted: false, reason: Reason::InsuranceLow }.into(),
		);
		run_to_block(10);
		set_silo(SILO, 600, 1_000, 10_000);
		// Clear from block 11: accepted again at 31.
		run_to_block(30);
		assert!(!increase());
		run_to_block(31);
		assert!(increase());
	});
}

#[test]
fn a_withdrawal_surge_rate_limits_at_once_and_clears_after_the_window() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		// The window started at genesis with a pool of 10_000: 20% = 2_000.
		Breakers::on_withdrawal(SILO, 1_500);
		assert_eq!(withdrawals(), W::Normal);
		run_to_block(3);
		Breakers::on_withdrawal(SILO, 600);
		assert_eq!(withdrawals(), W::RateLimited);
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::RateLimited,
				reason: Reason::WithdrawalSurge,
			}
			.into(),
		);
		// A new window opens at block 600; clear from then, Normal at 620.
		run_to_block(619);
		assert_eq!(withdrawals(), W::RateLimited);
		run_to_block(620);
		assert_eq!(withdrawals(), W::Normal);
	});
}

#[test]
fn profit_paid_out_is_capped_per_window_and_drains_like_a_withdrawal() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		// The window started at genesis with a pool of 10_000: 10% = 1_000 of profit.
		assert_eq!(Breakers::profit_allowance(SILO), Some(1_000));
		Breakers::on_profit_paid(SILO, 600);
		assert_eq!(Breakers::profit_allowance(SILO), Some(400));
		assert_eq!(withdrawals(), W::Normal);
		// A trader withdraws the profit and more: together beyond 20% of the pool.
		Breakers::on_withdrawal(SILO, 1_500);
		assert_eq!(withdrawals(), W::RateLimited);
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::RateLimited,
				reason: Reason::WithdrawalSurge,
			}
			.into(),
		);
		// A silo the breakers do not watch has no cap.
		assert_eq!(Breakers::profit_allowance(9), None);
		// The next window (block 600) allows 10% of the pool then, 8_000: 800.
		set_silo(SILO, 0, 0, 8_000);
		run_to_block(599);
		assert_eq!(Breakers::profit_allowance(SILO), Some(400));
		run_to_block(600);
		assert_eq!(Breakers::profit_allowance(SILO), Some(800));
		assert_eq!(ProfitPaid::<Test>::get(SILO), 0);
	});
}

#[test]
fn a_pool_that_paid_its_whole_profit_allowance_rate_limits_its_withdrawals() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		Breakers::on_profit_paid(SILO, 999);
		assert_eq!(withdrawals(), W::Normal);
		// The allowance (1_000) is used up: withdrawals rate-limited at once.
		Breakers::on_profit_paid(SILO, 1);
		assert_eq!((withdrawals(), Breakers::profit_allowance(SILO)), (W::RateLimited, Some(0)));
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::RateLimited,
				reason: Reason::ProfitDrain,
			}
			.into(),
		);
		// Until a new window (block 600) and 20 clear blocks after it.
		run_to_block(619);
		assert_eq!(withdrawals(), W::RateLimited);
		run_to_block(620);
		assert_eq!(withdrawals(), W::Normal);
	});
}

#[test]
fn bad_debt_rate_limits_withdrawals_for_its_window() {
	new_test_ext().execute_with(|| {
		run_to_block(5);
		Breakers::on_bad_debt(SILO, 50);
		assert_eq!(withdrawals(), W::RateLimited);
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::RateLimited,
				reason: Reason::BadDebt,
			}
			.into(),
		);
		// Gated until 605, then 20 clear blocks: Normal at 625.
		run_to_block(624);
		assert_eq!(withdrawals(), W::RateLimited);
		run_to_block(625);
		assert_eq!(withdrawals(), W::Normal);
	});
}

#[test]
fn a_pool_below_its_reserve_rate_limits_withdrawals_until_it_has_been_clear_for_a_while() {
	new_test_ext().execute_with(|| {
		run_to_block(5);
		Breakers::on_reserve(SILO, true);
		assert_eq!(withdrawals(), W::RateLimited);
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::RateLimited,
				reason: Reason::ReserveShortfall,
			}
			.into(),
		);
		// Still short at the end of later blocks: no new event, still rate-limited.
		let events = System::events().len();
		Breakers::on_reserve(SILO, true);
		assert_eq!(System::events().len(), events);
		run_to_block(100);
		assert_eq!(withdrawals(), W::RateLimited);
		// Clear at the end of block 100: the pass of block 101 sees it clear, and 20 clear
		// blocks later, at 121, it is Normal again.
		Breakers::on_reserve(SILO, false);
		run_to_block(120);
		assert_eq!(withdrawals(), W::RateLimited);
		run_to_block(121);
		assert_eq!(withdrawals(), W::Normal);
	});
}

#[test]
fn books_that_differ_from_the_silo_account_freeze_it_until_governance_lifts_it() {
	new_test_ext().execute_with(|| {
		run_to_block(5);
		Breakers::on_books_mismatch(SILO);
		assert_eq!(withdrawals(), W::Frozen);
		assert!(!Breakers::silo_accepts_new_risk(SILO));
		System::assert_has_event(
			Event::SiloWithdrawals {
				silo: SILO,
				from: W::Normal,
				to: W::Frozen,
				reason: Reason::BooksMismatch,
			}
			.into(),
		);
		System::assert_has_event(
			Event::SiloNewRisk { silo: SILO, accepted: false, reason: Reason::BooksMismatch }
				.into(),
		);
		// A second notice changes nothing and says nothing.
		let events = System::events().len();
		Breakers::on_books_mismatch(SILO);
		assert_eq!(System::events().len(), events);
		// Nothing automatic lifts it.
		run_to_block(1_000);
		assert_eq!(withdrawals(), W::Frozen);
		assert!(!Breakers::silo_accepts_new_risk(SILO));
	});
}

#[test]
fn a_guardian_trip_stays_until_governance_lifts_it() {
	new_test_ext().execute_with(|| {
		let guardian = RuntimeOrigin::signed(GUARDIAN);
		assert_ok!(Breakers::trip_market(guardian.clone(), BTC, Halted));
		assert_eq!(status(BTC), Halted);
		assert_ok!(Breakers::trip_silo(guardian.clone(), SILO, W::Frozen, true));
		assert_eq!(withdrawals(), W::Frozen);
		assert!(!Breakers::silo_accepts_new_risk(SILO));
		// Nothing automatic lifts a manual trip.
		run_to_block(1_000);
		assert_eq!(status(BTC), Halted);
		assert_eq!(withdrawals(), W::Frozen);
		// The guardian cannot lift; governance can.
		assert_noop!(Breakers::lift_market(guardian.clone(), BTC), BadOrigin);
		assert_noop!(Breakers::lift_silo(guardian.clone(), SILO), BadOrigin);
		assert_ok!(Breakers::lift_market(RuntimeOrigin::root(), BTC));
		assert_ok!(Breakers::lift_silo(RuntimeOrigin::root(), SILO));
		assert_eq!(status(BTC), Normal);
		assert_eq!(withdrawals(), W::Normal);
		assert!(Breakers::silo_accepts_new_risk(SILO));
		// Anyone else may not trip.
		assert_noop!(Breakers::trip_market(RuntimeOrigin::signed(3), BTC, Halted), BadOrigin);
	});
}

#[test]
fn governance_lifts_a_band_trip_early() {
	new_test_ext().execute_with(|| {
		Breakers::on_price_update(BTC, &aggregate(p(100)));
		Breakers::on_price_update(BTC, &aggregate(p(150)));
		assert_eq!(status(BTC), ReduceOnly);
		assert_ok!(Breakers::lift_market(RuntimeOrigin::root(), BTC));
		assert_eq!(status(BTC), Normal);
		run_to_block(2);
		assert_eq!(status(BTC), Normal, "the cooldown went with the lift");
	});
}

#[test]
fn the_emergency_puts_every_market_in_reduce_only_until_governance_ends_it() {
	new_test_ext().execute_with(|| {
		assert_ok!(Breakers::declare_emergency(RuntimeOrigin::signed(GUARDIAN)));
		assert_eq!((status(BTC), status(ETH), status(9)), (ReduceOnly, ReduceOnly, ReduceOnly));
		assert_noop!(
			Breakers::declare_emergency(RuntimeOrigin::signed(GUARDIAN)),
			Error::<Test>::NothingToTrip
		);
		assert_noop!(Breakers::end_emergency(RuntimeOrigin::signed(GUARDIAN)), BadOrigin);
		run_to_block(500);
		assert_eq!(status(BTC), ReduceOnly);
		assert_ok!(Breakers::end_emergency(RuntimeOrigin::root()));
		assert_eq!((status(BTC), status(ETH), status(9)), (Normal, Normal, Normal));
	});
}

/// (status, reduce or close by the owner, liquidate by a keeper, increase) at one moment.
type Row = (MarketStatus, bool, bool, bool);

fn row(market: MarketId) -> Row {
	let allows = |action| Breakers::allows(market, SILO, action);
	(
		status(market),
		allows(TradeAction::ReduceRisk),
		allows(TradeAction::Liquidate),
		allows(TradeAction::IncreaseRisk),
	)
}

#[test]
fn owners_and_keepers_obey_one_rule_in_every_status_and_price_age() {
	new_test_ext().execute_with(|| {
		let mut table: Vec<(&str, Row)> = Vec::new();
		run_to_block(5);
		set_price(BTC, 100, 5);
		table.push(("Normal, fresh", row(BTC)));
		// A band trip: ReduceOnly with a fresh price.
		Breakers::on_price_update(BTC, &aggregate(p(100)));
		Breakers::on_price_update(BTC, &aggregate(p(200)));
		table.push(("ReduceOnly (band), fresh", row(BTC)));
		// The oracle falls silent: Stale (ReduceOnly) at block 6; the block-5 price is 30 blocks
		// old at block 35 (still usable), 31 at block 36 (not), and the market Halted at 56.
		set_stale(BTC);
		run_to_block(20);
		table.push(("Stale, age 15", row(BTC)));
		run_to_block(35);
		table.push(("Stale, age 30", row(BTC)));
		run_to_block(36);
		table.push(("Stale, age 31", row(BTC)));
		run_to_block(56);
		table.push(("Halted (stale 50 blocks)", row(BTC)));
		// Fresh again; a guardian halts it by hand.
		set_price(ETH, 100, 56);
		assert_ok!(Breakers::trip_market(RuntimeOrigin::signed(GUARDIAN), ETH, Halted));
		table.push(("Halted (guardian), fresh", row(ETH)));
		// A market the oracle never priced.
		table.push(("never priced", row(5)));
		assert_eq!(
			table,
			vec![
				("Normal, fresh", (Normal, true, true, true)),
				("ReduceOnly (band), fresh", (ReduceOnly, true, true, false)),
				("Stale, age 15", (ReduceOnly, true, true, false)),
				("Stale, age 30", (ReduceOnly, true, true, false)),
				("Stale, age 31", (ReduceOnly, false, false, false)),
				("Halted (stale 50 blocks)", (Halted, false, false, false)),
				("Halted (guardian), fresh", (Halted, false, false, false)),
				("never priced", (Normal, false, false, true)),
			]
		);
		// The rule itself: in every row the owner's reduction and the keeper's liquidation agree.
		assert!(table.iter().all(|(_, (_, reduce, liquidate, _))| reduce == liquidate));
	});
}

#[test]
fn bad_input_is_refused_with_nothing_changed() {
	new_test_ext().execute_with(|| {
		let root = RuntimeOrigin::root;
		let good = Params::<Test>::get();
		let set = |params| Breakers::set_params(RuntimeOrigin::root(), params);
		assert_noop!(set(BreakerParams { band_window: 0, ..good }), Error::<Test>::BadWindow);
		assert_noop!(set(BreakerParams { recovery_blocks: 0, ..good }), Error::<Test>::BadWindow);
		assert_noop!(
			set(BreakerParams { halt_after_stale: 14_401, ..good }),
			Error::<Test>::BadWindow
		);
		// More band samples than MaxBandSamples (16) would be needed.
		assert_noop!(set(BreakerParams { band_window: 17, ..good }), Error::<Test>::BadWindow);
		assert_noop!(
			set(BreakerParams { band_max_move: FixedU128::from_rational(3, 2), ..good }),
			Error::<Test>::BadFraction
		);
		assert_noop!(
			set(BreakerParams { band_max_move: FixedU128::zero(), ..good }),
			Error::<Test>::BadFraction
		);
		assert_noop!(
			set(BreakerParams { insurance_floor: FixedU128::from_rational(101, 100), ..good }),
			Error::<Test>::BadFraction
		);
		assert_noop!(
			set(BreakerParams { withdrawal_max_share: FixedU128::zero(), ..good }),
			Error::<Test>::BadFraction
		);
		assert_noop!(Breakers::set_params(RuntimeOrigin::signed(GUARDIAN), good), BadOrigin);
		assert_noop!(
			set(BreakerParams { profit_max_share: FixedU128::zero(), ..good }),
			Error::<Test>::BadFraction
		);
		assert_ok!(set(BreakerParams { band_window: 16, ..good }));

		assert_noop!(Breakers::trip_market(root(), 9, Halted), Error::<Test>::UnknownMarket);
		assert_noop!(Breakers::trip_market(root(), BTC, Normal), Error::<Test>::NothingToTrip);
		assert_noop!(Breakers::trip_silo(root(), 5, W::Frozen, false), Error::<Test>::UnknownSilo);
		assert_noop!(
			Breakers::trip_silo(root(), SILO, W::Normal, false),
			Error::<Test>::NothingToTrip
		);
		assert_noop!(Breakers::lift_market(root(), 9), Error::<Test>::UnknownMarket);
		assert_noop!(Breakers::lift_silo(root(), 5), Error::<Test>::UnknownSilo);
		assert_noop!(Breakers::lift_market(RuntimeOrigin::signed(GUARDIAN), BTC), BadOrigin);
		assert_noop!(Breakers::track_market(root(), BTC), Error::<Test>::AlreadyTracked);
		assert_ok!(Breakers::track_market(root(), 2));
		assert_noop!(Breakers::track_market(root(), 3), Error::<Test>::TooManyMarkets);
		assert_noop!(Breakers::untrack_market(root(), 3), Error::<Test>::UnknownMarket);
		assert_ok!(Breakers::track_silo(root(), 1));
		assert_noop!(Breakers::track_silo(root(), 2), Error::<Test>::TooManySilos);
		assert_noop!(Breakers::untrack_silo(root(), 2), Error::<Test>::UnknownSilo);
	});
}

#[test]
fn the_reports_show_every_market_and_silo() {
	new_test_ext().execute_with(|| {
		assert_ok!(Breakers::trip_market(RuntimeOrigin::signed(GUARDIAN), ETH, Halted));
		Breakers::on_bad_debt(SILO, 1);
		let markets = Breakers::market_reports();
		assert_eq!(markets.len(), 2);
		let eth = markets.iter().find(|report| report.market == ETH).unwrap();
		assert_eq!(
			(eth.status, eth.automatic, eth.manual, eth.emergency),
			(Halted, Normal, Halted, false)
		);
		assert_eq!(
			Breakers::silo_reports(),
			vec![SiloReport {
				silo: SILO,
				withdrawals: W::RateLimited,
				accepts_new_risk: true,
				reason: Some(Reason::BadDebt),
			}]
		);
	});
}

mod upgrade_guard {
	use super::*;
	use frame_system::SetCode;
	use sp_core::storage::well_known_keys::CODE;
	use sp_runtime::traits::Hash;

	/// The runtime code; `None` for the empty one frame-system's genesis writes.
	fn code() -> Option<Vec<u8>> {
		sp_io::storage::get(CODE).map(|bytes| bytes.to_vec()).filter(|code| !code.is_empty())
	}

	fn hash(code: &[u8]) -> sp_core::H256 {
		<Test as frame_system::Config>::Hashing::hash(code)
	}

	fn deferred() -> Option<(sp_core::H256, u64, UpgradeBlocker)> {
		Deferred::<Test>::get().map(|d| (d.code_hash, d.since, d.blocker))
	}

	#[test]
	fn an_upgrade_with_nothing_in_the_way_is_applied_at_once() {
		new_test_ext().execute_with(|| {
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			assert_eq!(deferred(), None);
			System::assert_last_event(
				frame_system::Event::CodeUpdated { hash: hash(b"runtime v2") }.into(),
			);
		});
	}

	#[test]
	fn an_upgrade_waits_for_the_emergency_and_applies_in_the_first_block_after_it() {
		new_test_ext().execute_with(|| {
			assert_ok!(Breakers::declare_emergency(RuntimeOrigin::root()));
			run_to_block(3);
			// The call succeeds (an authorized upgrade's authorization is used up) and the
			// code waits.
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			assert_eq!(code(), None);
			let h = hash(b"runtime v2");
			assert_eq!(deferred(), Some((h, 3, UpgradeBlocker::Emergency)));
			assert_eq!(DeferredCode::<Test>::get(), Some(b"runtime v2".to_vec()));
			System::assert_last_event(
				Event::UpgradeDeferred { code_hash: h, blocker: UpgradeBlocker::Emergency }.into(),
			);
			// Blocks 4-9: still in the emergency, still deferred.
			run_to_block(9);
			assert_eq!(code(), None);
			assert_eq!(deferred(), Some((h, 3, UpgradeBlocker::Emergency)));
			// Ended in block 9: block 9's end applies it.
			assert_ok!(Breakers::end_emergency(RuntimeOrigin::root()));
			assert_eq!(code(), None);
			run_to_block(10);
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			assert_eq!(deferred(), None);
			assert!(!DeferredCode::<Test>::exists());
			System::assert_has_event(
				Event::DeferredUpgradeApplied { code_hash: h, since: 3, forced: false }.into(),
			);
			System::assert_has_event(frame_system::Event::CodeUpdated { hash: h }.into());
		});
	}

	#[test]
	fn an_upgrade_waits_while_a_liquidation_waits_and_the_blocker_is_kept_current() {
		new_test_ext().execute_with(|| {
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			let h = hash(b"runtime v2");
			assert_eq!(deferred(), Some((h, 1, UpgradeBlocker::LiquidationBacklog)));
			// The emergency comes on top: it is what the record says holds it now.
			assert_ok!(Breakers::declare_emergency(RuntimeOrigin::root()));
			run_to_block(2);
			assert_eq!(deferred(), Some((h, 1, UpgradeBlocker::Emergency)));
			assert_ok!(Breakers::end_emergency(RuntimeOrigin::root()));
			run_to_block(3);
			assert_eq!(deferred(), Some((h, 1, UpgradeBlocker::LiquidationBacklog)));
			assert_eq!(code(), None);
			// The backlog worked off in block 3: block 3's end applies it.
			LiquidationWaiting::set(false);
			run_to_block(4);
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			System::assert_has_event(
				Event::DeferredUpgradeApplied { code_hash: h, since: 1, forced: false }.into(),
			);
		});
	}

	#[test]
	fn root_forces_or_drops_a_deferred_upgrade_and_nobody_else_can() {
		new_test_ext().execute_with(|| {
			assert_noop!(
				Breakers::apply_deferred_upgrade(RuntimeOrigin::root(), hash(b"runtime v2")),
				Error::<Test>::NoDeferredUpgrade
			);
			assert_noop!(
				Breakers::cancel_deferred_upgrade(RuntimeOrigin::root()),
				Error::<Test>::NoDeferredUpgrade
			);
			assert_ok!(Breakers::declare_emergency(RuntimeOrigin::root()));
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			let h = hash(b"runtime v2");
			// Neither a signed account nor the guardian may force or drop it.
			for origin in [RuntimeOrigin::signed(1), RuntimeOrigin::signed(GUARDIAN)] {
				assert_noop!(Breakers::apply_deferred_upgrade(origin.clone(), h), BadOrigin);
				assert_noop!(Breakers::cancel_deferred_upgrade(origin.clone()), BadOrigin);
				assert_noop!(Breakers::force_set_code(origin, b"runtime v9".to_vec()), BadOrigin);
			}
			// Root names what it forces: not what is deferred, refused.
			assert_noop!(
				Breakers::apply_deferred_upgrade(RuntimeOrigin::root(), hash(b"runtime v9")),
				Error::<Test>::DeferredUpgradeDiffers
			);
			// Root forces it through the emergency.
			assert_ok!(Breakers::apply_deferred_upgrade(RuntimeOrigin::root(), h));
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			assert_eq!(deferred(), None);
			System::assert_has_event(
				Event::DeferredUpgradeApplied { code_hash: h, since: 1, forced: true }.into(),
			);
			// A second one, dropped by Root: nothing applies, even once the emergency ends.
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v3".to_vec()));
			assert_ok!(Breakers::cancel_deferred_upgrade(RuntimeOrigin::root()));
			System::assert_last_event(
				Event::DeferredUpgradeDropped { code_hash: hash(b"runtime v3"), replaced: false }
					.into(),
			);
			assert_ok!(Breakers::end_emergency(RuntimeOrigin::root()));
			run_to_block(5);
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			assert_eq!(deferred(), None);
			assert!(!DeferredCode::<Test>::exists());
		});
	}

	#[test]
	fn a_newer_upgrade_replaces_a_deferred_one() {
		new_test_ext().execute_with(|| {
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			run_to_block(2);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v3".to_vec()));
			System::assert_has_event(
				Event::DeferredUpgradeDropped { code_hash: hash(b"runtime v2"), replaced: true }
					.into(),
			);
			assert_eq!(
				deferred(),
				Some((hash(b"runtime v3"), 2, UpgradeBlocker::LiquidationBacklog))
			);
			LiquidationWaiting::set(false);
			run_to_block(3);
			assert_eq!(code(), Some(b"runtime v3".to_vec()));
			// With nothing in the way a newer one applies at once and drops the deferred one.
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v4".to_vec()));
			LiquidationWaiting::set(false);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v5".to_vec()));
			assert_eq!(code(), Some(b"runtime v5".to_vec()));
			assert_eq!(deferred(), None);
			run_to_block(4);
			assert_eq!(code(), Some(b"runtime v5".to_vec()));
		});
	}

	#[test]
	fn try_state_catches_a_deferred_upgrade_whose_code_differs() {
		new_test_ext().execute_with(|| {
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			assert_ok!(Breakers::do_try_state());
			DeferredCode::<Test>::put(b"runtime v2 with a backdoor".to_vec());
			assert!(Breakers::do_try_state().is_err());
			DeferredCode::<Test>::kill();
			assert!(Breakers::do_try_state().is_err());
			DeferredCode::<Test>::put(b"runtime v2".to_vec());
			Deferred::<Test>::kill();
			assert!(Breakers::do_try_state().is_err());
			DeferredCode::<Test>::kill();
			assert_ok!(Breakers::do_try_state());
		});
	}

	#[test]
	fn a_backlog_holds_an_upgrade_for_max_upgrade_deferral_blocks_at_most() {
		new_test_ext().execute_with(|| {
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			// Deferred in block 1; MaxUpgradeDeferral 10: the ends of blocks 1-10 hold it.
			run_to_block(11);
			assert_eq!(code(), None);
			assert_eq!(deferred().map(|d| d.2), Some(UpgradeBlocker::LiquidationBacklog));
			// Block 11's end: 10 blocks old, the backlog no longer holds it.
			run_to_block(12);
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			System::assert_has_event(
				Event::DeferredUpgradeApplied {
					code_hash: hash(b"runtime v2"),
					since: 1,
					forced: false,
				}
				.into(),
			);
			// The emergency holds one however long.
			assert_ok!(Breakers::declare_emergency(RuntimeOrigin::root()));
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v3".to_vec()));
			run_to_block(100);
			assert_eq!(code(), Some(b"runtime v2".to_vec()));
			assert_eq!(deferred().map(|d| (d.1, d.2)), Some((12, UpgradeBlocker::Emergency)));
		});
	}

	#[test]
	fn a_deferred_upgrade_whose_code_went_missing_is_dropped_never_written() {
		new_test_ext().execute_with(|| {
			LiquidationWaiting::set(true);
			assert_ok!(<Breakers as SetCode<Test>>::set_code(b"runtime v2".to_vec()));
			// Behind the guard's back (a storage kill, a bad migration).
			DeferredCode::<Test>::kill();
			LiquidationWaiting::set(false);
			run_to_block(2);
			assert_eq!(code(), None, "no empty :code");
			assert_eq!(deferred(), None);
			System::assert_has_event(
				Event::DeferredUpgradeDropped { code_hash: hash(b"runtime v2"), replaced: false }
					.into(),
			);
		});
	}

	#[test]
	fn force_set_code_is_roots_alone() {
		new_test_ext().execute_with(|| {
			assert_ok!(Breakers::declare_emergency(RuntimeOrigin::root()));
			// (Root's own path checks the code's version: the runtime's governance tests.)
			for origin in [RuntimeOrigin::signed(1), RuntimeOrigin::signed(GUARDIAN)] {
				assert_noop!(Breakers::force_set_code(origin, b"runtime v2".to_vec()), BadOrigin);
			}
		});
	}
}
