//! Settlement and outage exits: a market whose feed is gone ends at one deterministic price,
//! in bounded batches, with every margin released; owners may leave a long outage at the
//! outage price. Fee-free, funding-free market at price 100 (value scale 1); every number is
//! worked out in the comments.

use super::*;
use crate::{
	Rules, Settlement, SettlementPhase, SettlementReason, SettlementRules, Settlements, Settling,
};
use bulwark_primitives::OnPriceUpdate;

const LONGS: [AccountId; 3] = [10, 11, 12];
const SHORTS: [AccountId; 3] = [13, 14, 15];

fn quiet_params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams { max_funding_rate: FixedU128::zero(), ..fee_free_params() }
}

fn settled_events() -> Vec<(AccountId, i128, u128, u128, u128, u128, u128)> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::PerpetualMargin(Event::PositionSettled {
				who,
				realized,
				paid,
				claimed,
				forfeited,
				bad_debt,
				released,
				..
			}) => Some((who, realized, paid, claimed, forfeited, bad_debt, released)),
			_ => None,
		})
		.collect()
}

fn locked(who: AccountId) -> u128 {
	<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &who)
}

/// Everything of value in the silo: every account's free and locked margin, the pool, the
/// insurance fund and the claims owed.
fn silo_value(accounts: &[AccountId]) -> u128 {
	let books = books();
	accounts.iter().map(|who| free(*who) + locked(*who)).sum::<u128>()
		+ books.pool
		+ books.insurance
		+ books.claims
}

/// Alice long 1_000 and Bob short 1_000, both at 100.05 (the first buy's impact from skew 0 to
/// 1_000 is 0.05%; the sell back to skew 0 fills at the same premium): entries 100_050,
/// margins 20_000.
fn long_and_short(pool: u128) {
	open_market(quiet_params(), pool, &[ALICE, BOB], 100_000);
	assert_ok!(buy(ALICE, 1_000, 20_000));
	assert_ok!(sell(BOB, 1_000, 20_000));
	assert_eq!((position(ALICE).entry, position(BOB).entry), (100_050, 100_050));
}

#[test]
fn a_settlement_closes_losers_then_pays_winners_at_the_twap_and_releases_every_margin() {
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		let before = silo_value(&[ALICE, BOB]);
		// The feed dies at 130 after a TWAP of 120: the settlement's price is the TWAP.
		MockPrices::set(MARKET, fixed(130));
		MockPrices::set_twap(MARKET, fixed(120));
		MockPrices::set_stale(MARKET);
		assert_noop!(
			PerpetualMargin::settle_market(RuntimeOrigin::signed(ALICE), MARKET),
			DispatchError::BadOrigin
		);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		System::assert_last_event(
			Event::SettlementStarted {
				market: MARKET,
				price: fixed(120),
				reason: SettlementReason::Governance,
			}
			.into(),
		);
		assert_noop!(
			PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET),
			Error::<Test>::MarketSettling
		);
		// Nothing else acts on the market now.
		assert_noop!(buy(ALICE, 10, 0), Error::<Test>::MarketSettling);
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)),
			Error::<Test>::MarketSettling
		);
		assert_noop!(
			PerpetualMargin::add_margin(RuntimeOrigin::signed(ALICE), MARKET, 10),
			Error::<Test>::MarketSettling
		);
		assert_noop!(
			PerpetualMargin::remove_margin(RuntimeOrigin::signed(ALICE), MARKET, 10),
			Error::<Test>::MarketSettling
		);
		assert_noop!(
			PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), BOB, MARKET),
			Error::<Test>::MarketSettling
		);
		assert_noop!(
			PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, quiet_params()),
			Error::<Test>::MarketSettling
		);
		// The trader sees the position valued at the settlement price: 120_000 - 100_050.
		assert_eq!(health(ALICE).pnl, 19_950);

		run_to_block(2);
		// Losers first: Bob's -19_950 from his 20_000 margin, 50 released. Then the payout:
		// the pool (1_019_950) pays the winners' 19_950 in full; Alice is paid it and her
		// 20_000 released.
		assert_eq!(
			settled_events(),
			vec![(BOB, -19_950, 0, 0, 0, 0, 50), (ALICE, 19_950, 19_950, 0, 0, 0, 20_000)]
		);
		System::assert_has_event(
			Event::SettlementPayout {
				market: MARKET,
				winners_profit: 19_950,
				payout: FixedU128::one(),
			}
			.into(),
		);
		System::assert_last_event(
			Event::MarketSettled {
				market: MARKET,
				price: fixed(120),
				closed: 2,
				paid: 19_950,
				claimed: 0,
				forfeited: 0,
				bad_debt: 0,
			}
			.into(),
		);
		assert_eq!((free(ALICE), locked(ALICE)), (119_950, 0));
		assert_eq!((free(BOB), locked(BOB)), (80_050, 0));
		assert_eq!(books().pool, 1_000_000);
		assert_eq!(silo_value(&[ALICE, BOB]), before);
		assert!(!Markets::<Test>::contains_key(MARKET));
		assert!(Settling::<Test>::get().is_empty());
		let record = Settlements::<Test>::get(MARKET).expect("kept on record");
		assert_eq!(
			(record.phase, record.started_at, record.finished_at),
			(SettlementPhase::Settled, 1, Some(2))
		);
		// The id can be used again: the record goes with the new market.
		assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, params()));
		assert!(Settlements::<Test>::get(MARKET).is_none());
	});
}

#[test]
fn winners_share_what_the_pool_holds_pro_rata_and_losers_beyond_margin_go_down_the_waterfall() {
	new_test_ext().execute_with(|| {
		// A thin pool: 10_000.
		open_market(quiet_params(), 10_000, &[ALICE, BOB, CAROL], 100_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 10_000));
		// Carol buys 1_000 from skew 0 too: entry 100_050.
		assert_ok!(buy(CAROL, 1_000, 20_000));
		assert_eq!(position(CAROL).entry, 100_050);
		let before = silo_value(&[ALICE, BOB, CAROL]);
		MockPrices::set_twap(MARKET, fixed(150));
		MockPrices::set_stale(MARKET);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		run_to_block(3);
		// At 150: Bob loses 150_000 - 100_050 = 49_950; his 10_000 margin pays 10_000 into the
		// pool (20_000 now); the 39_950 beyond is bad debt: the insurance fund has none, so the
		// LPs take it (socialized: the pool never receives it). The winners' profit is
		// 2 x 49_950 = 99_900 against a pool of 20_000 and no claims: each is paid
		// floor(49_950 x 20_000 / 99_900) = 9_999 (payout 0.2002..., rounded down), forfeits
		// 39_951 and gets its margin back. Alice and Carol have equal keys: they come in the
		// order of their hashed accounts.
		let events = settled_events();
		assert_eq!(events[0], (BOB, -49_950, 0, 0, 0, 39_950, 0));
		System::assert_has_event(
			Event::SettlementPayout {
				market: MARKET,
				winners_profit: 99_900,
				payout: FixedU128::from_inner(200_200_200_200_200_200),
			}
			.into(),
		);
		let mut winners = events[1..].to_vec();
		winners.sort();
		assert_eq!(
			winners,
			[
				(ALICE, 49_950, 9_999, 0, 39_951, 0, 20_000),
				(CAROL, 49_950, 9_999, 0, 39_951, 0, 20_000)
			]
		);
		assert_eq!((books().pool, books().socialized_loss), (2, 39_950));
		// Nothing is created: Bob's 10_000 and the pool's 20_000 went to the winners.
		assert_eq!(silo_value(&[ALICE, BOB, CAROL]), before);
	});
}

#[test]
fn winners_are_paid_the_same_share_of_their_profit_when_the_pool_is_short() {
	new_test_ext().execute_with(|| {
		open_market(quiet_params(), 30_000, &[ALICE, BOB, CAROL], 100_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 60_000));
		assert_ok!(buy(CAROL, 500, 10_000));
		// Carol buys 500 from skew 0: impact 250 / 1_000_000, fill 100.025, entry 50_012.5
		// rounded up to 50_013.
		assert_eq!(position(CAROL).entry, 50_013);
		MockPrices::set_twap(MARKET, fixed(150));
		MockPrices::set_stale(MARKET);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		// Three walk steps and a close in block 2, the last close in block 3.
		run_to_block(3);
		// At 150 Bob loses 49_950 from his 60_000 (10_050 released): the pool holds 79_950.
		// Winners: Alice 49_950, Carol 75_000 - 50_013 = 24_987; 74_937 in all. Payout
		// 79_950 >= 74_937: in full. Carol first: more profit per unit (her deleverage book's
		// order).
		let events = settled_events();
		assert_eq!(events[0], (BOB, -49_950, 0, 0, 0, 0, 10_050));
		assert_eq!(events[1], (CAROL, 24_987, 24_987, 0, 0, 0, 10_000));
		assert_eq!(events[2], (ALICE, 49_950, 49_950, 0, 0, 0, 20_000));
		assert_eq!(books().pool, 79_950 - 74_937);
	});
	new_test_ext().execute_with(|| {
		open_market(quiet_params(), 30_000, &[ALICE, BOB, CAROL], 100_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 60_000));
		assert_ok!(buy(CAROL, 500, 10_000));
		MockPrices::set_twap(MARKET, fixed(200));
		MockPrices::set_stale(MARKET);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		// Three walk steps and a close in block 2, the last close in block 3.
		run_to_block(3);
		// At 200 Bob loses 99_950: 60_000 from his margin into the pool (90_000 now), 39_950
		// bad debt socialized (no insurance). Winners: Alice 99_950, Carol 100_000 - 50_013 =
		// 49_987; 149_937 in all. Payout 90_000 / 149_937 = 0.600252105884471478 (rounded
		// down); Carol is paid floor(49_987 x it) = 30_004, Alice floor(99_950 x it) = 59_995:
		// each 60.03% of its profit; 1 unit of rounding stays in the pool.
		let payout = FixedU128::from_rational(90_000, 149_937);
		assert_eq!(payout, FixedU128::from_inner(600_252_105_884_471_478));
		System::assert_has_event(
			Event::SettlementPayout { market: MARKET, winners_profit: 149_937, payout }.into(),
		);
		let events = settled_events();
		assert_eq!(events[0], (BOB, -99_950, 0, 0, 0, 39_950, 0));
		assert_eq!(events[1], (CAROL, 49_987, 30_004, 0, 19_983, 0, 10_000));
		assert_eq!(events[2], (ALICE, 99_950, 59_995, 0, 39_955, 0, 20_000));
		assert_eq!(books().pool, 1);
	});
}

#[test]
fn a_settlement_larger_than_a_batch_closes_each_position_once_over_several_blocks() {
	new_test_ext().execute_with(|| {
		let traders: Vec<AccountId> = LONGS.iter().chain(SHORTS.iter()).copied().collect();
		open_market(quiet_params(), 1_000_000, &traders, 100_000);
		for (i, who) in LONGS.iter().enumerate() {
			assert_ok!(buy(*who, 100 * (i as i128 + 1), 10_000));
		}
		for (i, who) in SHORTS.iter().enumerate() {
			assert_ok!(sell(*who, 100 * (i as i128 + 1), 10_000));
		}
		let before = silo_value(&traders);
		MockPrices::set_twap(MARKET, fixed(103));
		MockPrices::set_stale(MARKET);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		// The walk takes 6 entries (3 longs, all winners, counted; 3 shorts, all losers,
		// closed), then 3 winners are closed: 9 steps at 4 per block, blocks 2, 3 and 4.
		let mut closed_per_block = Vec::new();
		for block in 2..=4 {
			let so_far = settled_events().len();
			run_to_block(block);
			closed_per_block.push(settled_events().len() - so_far);
			if block < 4 {
				assert!(Markets::<Test>::contains_key(MARKET));
				assert_noop!(buy(ALICE, 10, 1_000), Error::<Test>::MarketSettling);
			}
		}
		// Block 2: 3 longs counted, 1 short closed; block 3: 2 shorts closed, then 2 winners;
		// block 4: the last winner.
		assert_eq!(closed_per_block, vec![1, 4, 1]);
		assert!(!Markets::<Test>::contains_key(MARKET));
		let record = Settlements::<Test>::get(MARKET).expect("settled");
		assert_eq!((record.closed, record.finished_at), (6, Some(4)));
		for who in &traders {
			assert_eq!(locked(*who), 0);
			assert!(Positions::<Test>::get(who, MARKET).is_none());
		}
		assert_eq!(PositionIndex::<Test>::iter_keys().count(), 0);
		assert_eq!(silo_value(&traders), before);
	});
}

#[test]
fn the_protocol_settles_a_market_stale_for_settle_after_stale_blocks() {
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		let rules = SettlementRules {
			settle_after_stale: 20,
			exit_after_stale: 10,
			exit_band: Permill::from_percent(5),
		};
		for bad in [
			SettlementRules { exit_after_stale: 0, ..rules },
			SettlementRules { exit_after_stale: 20, ..rules },
			SettlementRules { settle_after_stale: 14_401, ..rules },
			SettlementRules { exit_band: Permill::one(), ..rules },
		] {
			assert_noop!(
				PerpetualMargin::set_settlement_rules(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidSettlementRules
			);
		}
		assert_noop!(
			PerpetualMargin::set_settlement_rules(RuntimeOrigin::signed(ALICE), rules),
			DispatchError::BadOrigin
		);
		assert_ok!(PerpetualMargin::set_settlement_rules(RuntimeOrigin::root(), rules));
		assert_eq!(Rules::<Test>::get(), rules);
		// The last aggregate was in block 1; the oracle calls it Stale from then on. A second
		// market with no positions, as stale, is left alone: it locks nothing.
		market_in(SILO, MARKET + 1, quiet_params(), 1);
		MockPrices::set_stale(MARKET);
		MockPrices::set_stale(MARKET + 1);
		run_to_block(20);
		assert!(Settling::<Test>::get().is_empty());
		run_to_block(21);
		System::assert_has_event(
			Event::SettlementStarted {
				market: MARKET,
				price: fixed(100),
				reason: SettlementReason::StaleFeed,
			}
			.into(),
		);
		// Started and finished in the same pass: 3 steps.
		assert!(!Markets::<Test>::contains_key(MARKET));
		assert!(Markets::<Test>::contains_key(MARKET + 1));
		assert!(Settlements::<Test>::get(MARKET + 1).is_none());
		assert_eq!(
			Settlements::<Test>::get(MARKET).map(|s: Settlement<u64>| (s.closed, s.started_at)),
			Some((2, 21))
		);
	});
}

#[test]
fn a_settling_market_is_off_the_liquidation_pass_and_a_returning_feed_changes_nothing() {
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		// At 119 Bob (margin 20_000, loss 18_950, equity 1_050 < 5% of 119_000) is due.
		MockPrices::set(MARKET, fixed(119));
		PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
		assert_eq!(Watched::<Test>::get().to_vec(), vec![MARKET]);
		MockPrices::set_twap(MARKET, fixed(101));
		MockPrices::set_stale(MARKET);
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		assert!(Watched::<Test>::get().is_empty());
		assert!(PerpetualMargin::liquidatable(0, 10).is_empty());
		let funding = Markets::<Test>::get(MARKET).expect("market").accrual;
		// A price comes back: nothing is watched, funding stays frozen.
		MockPrices::set(MARKET, fixed(200));
		PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
		assert!(Watched::<Test>::get().is_empty());
		assert_eq!(Markets::<Test>::get(MARKET).expect("market").accrual, funding);
		run_to_block(2);
		// Settled at 101, not liquidated: Bob loses 101_000 - 100_050 = 950.
		assert!(liquidated().is_empty());
		assert_eq!(settled_events()[0], (BOB, -950, 0, 0, 0, 0, 19_050));
	});
}

#[test]
fn an_owner_leaves_a_long_outage_at_the_outage_price_never_better_than_settlement() {
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		// The feed dies in block 1 at 100; the TWAP is 110.
		MockPrices::set_twap(MARKET, fixed(110));
		MockPrices::set_stale(MARKET);
		MockStatus::price_unusable(MARKET);
		MockStatus::set_market(MARKET, MarketStatus::Halted);
		run_to_block(100);
		// 99 blocks Stale: locked, as before this rule.
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)),
			Error::<Test>::MarketHalted
		);
		run_to_block(101);
		// 100 blocks: Alice's long leaves at min(110, 100) x 0.95 = 95, within her limit of
		// 95; a limit of 96 refuses.
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(96)),
			Error::<Test>::PriceLimitExceeded
		);
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(ALICE),
			MARKET,
			fixed(95)
		));
		// PnL 95_000 - 100_050 = -5_050 from her 20_000: 14_950 released.
		System::assert_last_event(
			Event::ExitedInOutage {
				who: ALICE,
				market: MARKET,
				size_units: 1_000,
				price: fixed(95),
				realized: -5_050,
				paid: 0,
				claimed: 0,
				forfeited: 0,
				bad_debt: 0,
				released: 14_950,
			}
			.into(),
		);
		assert_eq!((free(ALICE), locked(ALICE)), (94_950, 0));
		// Bob's short leaves at max(110, 100) x 1.05 = 115.5: -15_450, 4_550 released.
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(BOB), MARKET, fixed(115)),
			Error::<Test>::PriceLimitExceeded
		);
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(BOB),
			MARKET,
			rational(231, 2)
		));
		assert_eq!((free(BOB), locked(BOB)), (84_550, 0));
		// Both paid the band: at settlement (110) they would have had -9_950 and +9_950.
		assert_eq!(books().pool, 1_000_000 + 5_050 + 15_450);
	});
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	const TRADERS: [AccountId; 6] = [10, 11, 12, 13, 14, 15];

	proptest! {
		#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

		/// Any book of positions (with fees and funding), any pool, any settlement price from
		/// -90% to +900%: every position closes exactly once, in batches, with `try_state`
		/// after each block; nothing in the silo is created or lost (free and locked margin,
		/// pool, insurance and claims together); a loser pays its margin and no more (the rest
		/// is bad debt), a winner's profit is split exactly into paid, claimed and forfeited,
		/// every winner keeps the same share of its profit (the payout, rounded down), and
		/// no margin stays locked.
		#[test]
		fn settlement_closes_every_position_once_and_conserves_the_silo(
			trades in prop::collection::vec((0..TRADERS.len(), -5_000i128..5_000, 1u32..=10), 1..12),
			pool in 1_000u128..2_000_000,
			percent in 10u128..=1_000,
			blocks in 0u64..30,
		) {
			new_test_ext().execute_with(|| {
				open_market(params(), pool, &TRADERS, 100_000);
				for (who, size, leverage) in trades {
					if size.unsigned_abs() < 10 {
						continue;
					}
					let margin = size.unsigned_abs() * 100 / u128::from(leverage) + 100;
					let limit = if size > 0 { fixed(1_000) } else { FixedU128::zero() };
					let _ = PerpetualMargin::trade(
						RuntimeOrigin::signed(TRADERS[who]), MARKET, size, margin, limit, false,
					);
				}
				run_to_block(1 + blocks);
				let open: Vec<_> = TRADERS
					.iter()
					.filter(|who| Positions::<Test>::contains_key(who, MARKET))
					.copied()
					.collect();
				let before = silo_value(&TRADERS);
				let margins: Vec<_> = open.iter().map(|who| (*who, position(*who).margin)).collect();
				MockPrices::set_twap(MARKET, rational(percent, 1));
				MockPrices::set_stale(MARKET);
				assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
				System::reset_events();
				let mut block = 1 + blocks;
				while Markets::<Test>::contains_key(MARKET) {
					block += 1;
					run_to_block(block);
					assert!(block < 100 + blocks, "settlement does not finish");
				}
				let closes = settled_events();
				assert_eq!(closes.len(), open.len());
				let payout = System::events()
					.into_iter()
					.find_map(|record| match record.event {
						RuntimeEvent::PerpetualMargin(Event::SettlementPayout { payout, .. }) => Some(payout),
						_ => None,
					})
					.expect("a payout");
				for (who, margin) in margins {
					let mine: Vec<_> = closes.iter().filter(|close| close.0 == who).collect();
					assert_eq!(mine.len(), 1);
					let (_, realized, paid, claimed, forfeited, bad_debt, released) = *mine[0];
					if realized > 0 {
						let profit = realized.unsigned_abs();
						assert_eq!(paid + claimed + forfeited, profit);
						assert_eq!(paid + claimed, payout.saturating_mul_int(profit));
						assert_eq!((bad_debt, released), (0, margin));
					} else {
						let loss = realized.unsigned_abs();
						assert_eq!((paid, claimed, forfeited), (0, 0, 0));
						assert_eq!(bad_debt, loss.saturating_sub(margin));
						assert_eq!(released, margin.saturating_sub(loss));
					}
					assert_eq!(locked(who), 0);
				}
				assert_eq!(silo_value(&TRADERS), before);
				assert_eq!(PositionIndex::<Test>::iter_keys().count(), 0);
			});
		}
	}
}

#[test]
fn governance_settles_a_live_market_at_its_last_price_not_its_twap() {
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		// The price is Fresh at 100 (the TWAP 120): a trader could open at 100 now and be
		// settled at 120. A live market settles at its last price.
		MockPrices::set_twap(MARKET, fixed(120));
		assert_ok!(PerpetualMargin::settle_market(RuntimeOrigin::root(), MARKET));
		System::assert_last_event(
			Event::SettlementStarted {
				market: MARKET,
				price: fixed(100),
				reason: SettlementReason::Governance,
			}
			.into(),
		);
	});
}

#[test]
fn lps_are_marked_at_the_worse_of_the_last_price_and_the_twap_while_a_feed_is_dead() {
	use bulwark_primitives::PositionMarks;
	new_test_ext().execute_with(|| {
		long_and_short(1_000_000);
		let owed = || <PerpetualMargin as PositionMarks>::marks(SILO, Permill::zero()).owed;
		let live = owed();
		MockPrices::set_twap(MARKET, fixed(120));
		// Fresh: the last price marks both sides; the TWAP is not a settlement price yet.
		assert_eq!(owed(), live);
		// Dead: the long (which the TWAP pays) is marked at 120, the short at 100: an LP who
		// leaves now is priced as if the market settles at the TWAP. Before this rule the
		// marks stayed at 100 and an LP could leave with Alice's coming profit.
		MockPrices::set_stale(MARKET);
		let dead = owed();
		MockPrices::set(MARKET, fixed(120));
		let long_at_120 = <PerpetualMargin as PositionMarks>::marks(SILO, Permill::zero()).owed;
		assert!(dead > live && dead >= long_at_120, "{live} {dead} {long_at_120}");
	});
}

#[test]
fn an_outage_exit_is_paid_only_the_share_the_pool_could_pay_all_its_winners() {
	use bulwark_primitives::PositionMarks;
	new_test_ext().execute_with(|| {
		// A thin pool (10_000): Alice's long is far in profit at 150 when the feed dies there.
		open_market(quiet_params(), 10_000, &[ALICE, BOB], 100_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 60_000));
		MockPrices::set(MARKET, fixed(150));
		MockPrices::set_stale(MARKET);
		MockStatus::price_unusable(MARKET);
		run_to_block(101);
		let owed = <PerpetualMargin as PositionMarks>::marks(SILO, Permill::zero()).owed;
		let cash = books().pool - books().claims;
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		// She leaves at 150 x 0.95 = 142.5: 142_500 - 100_050 = 42_450 of profit, of which she
		// keeps what a settlement of the silo would pay now: cash / owed (rounded down). Paid
		// in full (the rule before the review), she would have been owed more than the pool
		// holds, ahead of every winner who waits for the settlement.
		let payout = FixedU128::from_rational(cash, owed.max(42_450));
		let kept = payout.saturating_mul_int(42_450u128);
		let exit = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				RuntimeEvent::PerpetualMargin(Event::ExitedInOutage {
					realized,
					paid,
					claimed,
					forfeited,
					..
				}) => Some((realized, paid + claimed, forfeited)),
				_ => None,
			})
			.expect("exited");
		assert!(owed > cash, "the pool is short: {owed} owed, {cash} cash");
		assert_eq!(exit, (42_450, kept, 42_450 - kept));
		assert!(kept < cash);
	});
}
