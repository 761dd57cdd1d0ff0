//! At scale: positions bounded by money, not by a count; the liquidatable positions found from
//! the index (the pass reads what is due, not every position), most underwater first; the
//! silos taking turns, so one silo's backlog never delays another's liquidations.

use super::*;
use crate::{mock::MaxLiquidations, Position};
use bulwark_primitives::OnPriceUpdate;
use bulwark_primitives::SiloId;
use frame_support::traits::fungibles::Mutate;

/// `params()` with no fee, no funding and a skew scale so large that no fill moves off the
/// oracle price: every entry is exactly 100 per unit, so the numbers below are exact.
fn flat_params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams {
		trading_fee: Permill::zero(),
		max_funding_rate: FixedU128::zero(),
		skew_scale: crate::MAX_SIZE,
		max_long_size: crate::MAX_SIZE,
		max_short_size: crate::MAX_SIZE,
		..params()
	}
}

/// `market` in `silo` with [`flat_params`] over a pool of `pool`, at price 100.
fn flat_market(silo: SiloId, market: u32, pool: u128) {
	market_in(silo, market, flat_params(), pool);
}

/// A new aggregate for `market` at `price`, handed to the engine as the oracle does.
fn aggregate_at(market: u32, price: FixedU128) {
	MockPrices::set(market, price);
	PerpetualMargin::on_price_update(market, &MockPrices::aggregate(market));
}

/// Funds `who` with `margin` in `silo` and opens `size` in `market` at 100 with all of it.
fn open_with(silo: SiloId, market: u32, who: AccountId, size: i128, margin: u128) {
	assert_ok!(<Assets as Mutate<AccountId>>::mint_into(USD, &who, margin));
	assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(who), silo, USD, margin));
	let limit = if size > 0 { fixed(1_000) } else { FixedU128::zero() };
	assert_ok!(PerpetualMargin::trade(
		RuntimeOrigin::signed(who),
		market,
		size,
		margin,
		limit,
		false
	));
}

/// 20,000 positions of 10 units at 100, alternately long and short, the j-th long with margin
/// 110 + 5 * (j % 200). A buy fills a hair above 100 (buys round up), so each long's entry is
/// 1_001. A step to 70 leaves a long equity `margin + 700 - 1_001` against a maintenance
/// requirement of 5% of 700 = 35: liquidatable when its margin is below 336, i.e.
/// j % 200 <= 45, 46 of every 200 longs: L = 10_000 / 200 * 46 = 2_300. At 500 per block they
/// go in ceil(2_300 / 500) = 5 blocks after the aggregate (the bound allows one more), 500 in
/// each of the first four and 300 in the fifth, the most underwater first.
#[test]
fn twenty_thousand_positions_a_30_percent_step_liquidates_exactly_the_crossed_most_underwater_first(
) {
	new_test_ext().execute_with(|| {
		MaxLiquidations::set(500);
		flat_market(SILO, MARKET, 10_000_000);
		for i in 0..20_000u128 {
			let j = i / 2;
			let (size, margin) = if i % 2 == 0 { (10, 110 + 5 * (j % 200)) } else { (-10, 1_000) };
			open_with(SILO, MARKET, 1_000 + i, size, margin);
		}
		assert_eq!(Positions::<Test>::iter().count(), 20_000);
		// Two places each in the index.
		assert_eq!(PositionIndex::<Test>::iter_keys().count(), 40_000);
		System::reset_events();

		aggregate_at(MARKET, fixed(70));
		let due = PerpetualMargin::liquidatable(0, 1_000);
		assert_eq!(due.len(), 1_000);
		// Coverage (equity over maintenance) of every liquidatable position at 70, before any
		// liquidation.
		let state = Markets::<Test>::get(MARKET).expect("market");
		let coverage = |who: AccountId| {
			let position: Position = Positions::<Test>::get(who, MARKET).expect("open");
			PerpetualMargin::health(&state, &position, fixed(70)).expect("health")
		};
		let crossed: Vec<AccountId> = (0..20_000u128)
			.filter(|i| i % 2 == 0)
			.map(|i| 1_000 + i)
			.filter(|who| coverage(*who).liquidatable())
			.collect();
		assert_eq!(crossed.len(), 2_300);
		let before: alloc::collections::BTreeMap<AccountId, FixedI128> =
			crossed.iter().map(|who| (*who, coverage(*who).coverage())).collect();

		let mut per_block = Vec::new();
		let mut order = Vec::new();
		for block in 2..=7 {
			System::reset_events();
			run_to_block(block);
			let now = liquidated();
			per_block.push(now.len());
			order.extend(now);
		}
		assert_eq!(per_block, vec![500, 500, 500, 500, 300, 0]);
		let mut taken = order.clone();
		taken.sort();
		assert_eq!(taken, crossed);
		// Most underwater first, across all the blocks.
		assert!(order.windows(2).all(|pair| before[&pair[0]] <= before[&pair[1]]));
		assert!(PerpetualMargin::liquidatable(0, 10).is_empty());
		assert!(Watched::<Test>::get().is_empty());
	});
}

/// Silo 0's market crashes with 12 liquidatable longs, three blocks' worth at 4 per block, while
/// silo 1's market moves too and leaves 2 liquidatable: the silos take turns, so silo 1's two go
/// in the block after their aggregate, as they would with silo 0 quiet.
#[test]
fn one_silos_backlog_never_delays_another_silos_liquidations() {
	new_test_ext().execute_with(|| {
		MaxLiquidations::set(4);
		let (market_a, market_b, silo_b) = (MARKET, MARKET + 1, 1);
		assert_ok!(CollateralSilos::create_silo(RuntimeOrigin::root(), USD, silo_params()));
		for (market, silo) in [(market_a, SILO), (market_b, silo_b)] {
			flat_market(silo, market, 1_000_000);
		}
		// 10 units at 100 with 150 of margin: at 80, equity -50, all liquidatable.
		for i in 0..12 {
			open_with(SILO, market_a, 100 + i, 10, 150);
		}
		for i in 0..2 {
			open_with(silo_b, market_b, 200 + i, 10, 150);
		}
		aggregate_at(market_a, fixed(80));
		aggregate_at(market_b, fixed(80));
		System::reset_events();

		run_to_block(2);
		let block_2 = liquidated();
		// Silo 1's two are in block 2, between silo 0's turns.
		assert_eq!(block_2.len(), 4);
		assert!(block_2.contains(&200) && block_2.contains(&201));
		for block in 3..=5 {
			run_to_block(block);
		}
		assert_eq!(Positions::<Test>::iter().filter(|(_, m, _)| *m == market_a).count(), 0);
		assert!(Watched::<Test>::get().is_empty());
	});
}

#[test]
fn a_position_below_the_minimum_value_is_refused_and_tiers_stay_while_positions_are_open() {
	new_test_ext().execute_with(|| {
		let mut with_minimum = flat_params();
		with_minimum.min_position_value = 5_000;
		open_market(with_minimum, 10_000_000, &[ALICE, BOB], 100_000);
		// 40 units at 100 are worth 4_000 < 5_000; 50 are worth exactly 5_000.
		assert_noop!(buy(ALICE, 40, 1_000), Error::<Test>::PositionTooSmall);
		assert_ok!(buy(ALICE, 50, 1_000));
		// Reducing to 40 would leave 4_000; closing is always allowed.
		assert_noop!(sell(ALICE, 10, 0), Error::<Test>::PositionTooSmall);
		// Each position's liquidation book depends on its size tier: tiers are locked while
		// the market has positions, other parameters are not.
		let mut retiered = flat_params();
		retiered.size_tiers = BoundedVec::new();
		assert_noop!(
			PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, retiered.clone()),
			Error::<Test>::TiersLocked
		);
		assert_ok!(PerpetualMargin::set_market_params(
			RuntimeOrigin::root(),
			MARKET,
			flat_params()
		));
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		assert_ok!(PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, retiered));
		check_invariants();
	});
}

/// A position's places in the index follow it through every change: a trade, margin in and
/// out, a partial liquidation, a close.
#[test]
fn the_index_follows_each_position_through_every_change() {
	new_test_ext().execute_with(|| {
		open_market(flat_params(), 10_000_000, &[ALICE], 100_000);
		let places =
			|| PositionIndex::<Test>::iter_keys().filter(|(_, _, who)| *who == ALICE).count();
		assert_ok!(buy(ALICE, 1_000, 11_000));
		assert_eq!(places(), 2);
		check_invariants();
		assert_ok!(PerpetualMargin::add_margin(RuntimeOrigin::signed(ALICE), MARKET, 1_000));
		check_invariants();
		assert_ok!(PerpetualMargin::remove_margin(RuntimeOrigin::signed(ALICE), MARKET, 1_000));
		check_invariants();
		// At 93: equity 11_000 + 93_000 - 100_001 = 3_999 < 5% of 93_000.
		MockPrices::set(MARKET, fixed(93));
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		assert!(position(ALICE).size_units < 1_000);
		assert_eq!(places(), 2);
		check_invariants();
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		assert_eq!(places(), 0);
		check_invariants();
	});
}

/// Seeds `count` healthy positions directly (half long, half short, fully margined), indexed
/// and counted like traded ones: a market at scale without hours of trades.
fn seed(market: u32, count: u32) {
	let mut state = Markets::<Test>::get(market).expect("market");
	let index = state.accrual.funding_index;
	for i in 0..count {
		// Accounts apart per market: (market + 1) * 10^7 + i.
		let who = AccountId::from(market + 1) * 10_000_000 + AccountId::from(i);
		let size = if i % 2 == 0 { 10 } else { -10 };
		let position = Position {
			size_units: size,
			entry: 1_000 + u128::from(i % 7),
			margin: 1_000,
			funding_index: index,
		};
		Positions::<Test>::insert(who, market, position);
		PerpetualMargin::reindex(
			&who,
			market,
			&state.params.size_tiers,
			&Default::default(),
			&position,
		);
		PerpetualMargin::count_position(&mut state.open_interest, &position, true).expect("fits");
	}
	Markets::<Test>::insert(market, state);
}

/// Measurement, not a check (wall time is noisy): the aggregate's check and a pass liquidating
/// 100 positions, with 1,000 / 10,000 / 100,000 healthy positions beside them, and then with
/// 100,000 beside them and 900,000 more in three markets of another silo (1,000,000 in all),
/// best of 5,
/// as ratios to the 1,000 case. Run:
/// `cargo test --release -p pallet-perpetual-margin scale::cost_by_positions -- --ignored --nocapture`
#[test]
#[ignore]
fn cost_by_positions_in_the_market() {
	let mut baseline: Option<(f64, f64)> = None;
	for (count, elsewhere) in [(1_000u32, 0u32), (10_000, 0), (100_000, 0), (100_000, 300_000)] {
		new_test_ext().execute_with(|| {
			MaxLiquidations::set(100);
			flat_market(SILO, MARKET, 10_000_000);
			seed(MARKET, count);
			if elsewhere > 0 {
				// In another silo: the pass reads its own silo's marks, and that is not what
				// this measures.
				assert_ok!(CollateralSilos::create_silo(RuntimeOrigin::root(), USD, silo_params()));
				for other in [MARKET + 1, MARKET + 2, MARKET + 3] {
					flat_market(1, other, 1);
					seed(other, elsewhere);
				}
			}
			for i in 0..100u128 {
				open_with(SILO, MARKET, 100 + i, 10, 150);
			}
			let (mut check, mut pass) = (f64::MAX, f64::MAX);
			for _ in 0..5 {
				frame_support::storage::with_transaction(|| {
					MockPrices::set(MARKET, fixed(80));
					let aggregate = MockPrices::aggregate(MARKET);
					let start = std::time::Instant::now();
					PerpetualMargin::on_price_update(MARKET, &aggregate);
					check = check.min(start.elapsed().as_secs_f64());
					let start = std::time::Instant::now();
					let done = PerpetualMargin::liquidation_pass(
						&mut frame_support::weights::WeightMeter::new(),
					);
					pass = pass.min(start.elapsed().as_secs_f64());
					assert_eq!(done, 100);
					frame_support::storage::TransactionOutcome::Rollback(Ok::<
						(),
						sp_runtime::DispatchError,
					>(()))
				})
				.expect("rolled back");
			}
			let (check_1k, pass_1k) = *baseline.get_or_insert((check, pass));
			println!(
				"positions {count:>7} (+{:>7} elsewhere): on_price_update {:>8.1} us ({:.2}x), pass of 100 {:>8.1} us ({:.2}x)",
				3 * elsewhere,
				check * 1e6,
				check / check_1k,
				pass * 1e6,
				pass / pass_1k
			);
		});
	}
}

mod frontier_against_a_scan {
	use super::*;
	use proptest::prelude::*;

	/// Positions of any side, size tier (the 2x tier starts at 10_000 units), entry, margin and
	/// funding index, in a market whose funding index, volatility margin and price are any.
	fn positions() -> impl Strategy<Value = Vec<(i128, u32, u32, i64)>> {
		// (signed size, entry per unit in hundredths, margin as per-mille of entry, funding
		// index at settlement in hundredths)
		prop::collection::vec(
			(
				prop_oneof![10i128..30_000, -30_000i128..-10],
				8_000u32..12_000,
				1u32..500,
				-500i64..500,
			),
			1..60,
		)
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

		/// What the frontier yields is exactly what a scan of every position finds liquidatable,
		/// most underwater first, except positions within rounding of their requirement (the
		/// health check rounds each amount against the trader by at most one unit: a few units
		/// of slack in all), which it may leave for the next move.
		#[test]
		fn the_frontier_is_the_scan_most_underwater_first(
			entries in positions(),
			market_index in -500i64..500,
			volatility in 0u32..50,
			price in 60u32..140,
		) {
			new_test_ext().execute_with(|| {
				assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, params()));
				let mut state = Markets::<Test>::get(MARKET).expect("market");
				state.accrual.funding_index = FixedI128::saturating_from_rational(market_index, 100);
				state.accrual.volatility_margin = rational(volatility.into(), 1_000);
				Markets::<Test>::insert(MARKET, state.clone());
				let tiers = state.params.size_tiers.clone();
				for (i, (size, unit_entry, margin_share, index)) in entries.iter().enumerate() {
					let who = 1_000 + i as AccountId;
					let entry = size.unsigned_abs() * u128::from(*unit_entry) / 100;
					let position = Position {
						size_units: *size,
						entry,
						margin: entry * u128::from(*margin_share) / 1_000,
						funding_index: FixedI128::saturating_from_rational(*index, 100),
					};
					Positions::<Test>::insert(who, MARKET, position);
					PerpetualMargin::reindex(&who, MARKET, &tiers, &Default::default(), &position);
				}
				MockPrices::set(MARKET, fixed(price));
				let unit = fixed(price);
				let scan: Vec<(AccountId, crate::Health)> = Positions::<Test>::iter()
					.map(|(who, _, position)| {
						(who, PerpetualMargin::health(&state, &position, unit).expect("health"))
					})
					.collect();
				let yielded: Vec<AccountId> = crate::Frontier::<Test>::new([MARKET], false, 0)
					.map(|(_, who, _)| who)
					.collect();
				let health_of = |who: &AccountId| scan.iter().find(|(w, _)| w == who).expect("scanned").1;
				for who in &yielded {
					prop_assert!(health_of(who).liquidatable(), "{who} yielded but healthy");
				}
				for (who, health) in &scan {
					if health.liquidatable() && !yielded.contains(who) {
						let slack = health.maintenance as i128 - health.equity;
						prop_assert!(slack <= 3, "{who} liquidatable by {slack} but left out");
					}
				}
				// Most underwater first, up to the same rounding: two positions whose requirements
				// differ by a unit or two of rounding may come in either order (a unit of equity
				// or maintenance moves a coverage by about 1 / maintenance).
				for pair in yielded.windows(2) {
					let (first, next) = (health_of(&pair[0]), health_of(&pair[1]));
					let units = first.maintenance.min(next.maintenance).max(1);
					let rounding = FixedI128::saturating_from_rational(4, units as i128);
					prop_assert!(
						first.coverage() <= next.coverage() + rounding,
						"{:?} before {:?}",
						first.coverage(),
						next.coverage()
					);
				}
				Ok(())
			})?;
		}
	}
}

/// The same rule at the mock's own capacity (3 per block) with one position due in silo 1: the
/// scenario run once against the old shared queue, where silo 1's position waited behind silo
/// 0's twelve (block 2 liquidated three of silo 0's).
#[test]
fn at_three_per_block_a_quiet_silos_one_position_still_goes_first_block() {
	new_test_ext().execute_with(|| {
		let (market_a, market_b, silo_b) = (MARKET, MARKET + 1, 1);
		assert_ok!(CollateralSilos::create_silo(RuntimeOrigin::root(), USD, silo_params()));
		for (market, silo) in [(market_a, SILO), (market_b, silo_b)] {
			flat_market(silo, market, 1_000_000);
		}
		for i in 0..12 {
			open_with(SILO, market_a, 100 + i, 10, 150);
		}
		open_with(silo_b, market_b, 200, 10, 150);
		aggregate_at(market_a, fixed(80));
		aggregate_at(market_b, fixed(80));
		System::reset_events();
		run_to_block(2);
		let block_2 = liquidated();
		assert_eq!(block_2.len(), 3);
		assert!(block_2.contains(&200), "silo 1's position waited: {block_2:?}");
	});
}
