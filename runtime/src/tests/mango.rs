//! Mango Markets, October 2022, replayed on the real runtime: every source of a market pumped
//! 24x over 20 blocks (+17.2% a block) against a long whose value then far exceeds the silo's
//! pool. What the long could realize and take out, block by block, during the pump, after it
//! held, and when it reverted; and what the LPs lost. The figures are printed (run with
//! `--nocapture`) and asserted exactly.

use super::{margin::*, *};
use bulwark_primitives::TradingStatus;
use frame_support::{
	assert_ok,
	storage::{with_transaction, TransactionOutcome},
	traits::fungibles::Inspect,
};
use pallet_circuit_breaker::Reason;
use pallet_collateral_silos::Event as SiloEvent;
use pallet_perpetual_margin::{Event as MarginEvent, Positions};
use sp_runtime::{traits::Zero, DispatchError, FixedPointNumber, FixedU128};

/// 67,000 x 24^(k/20), k = 1..20, rounded to the dollar.
const PUMP: [u64; 20] = [
	78_539, 92_065, 107_921, 126_508, 148_295, 173_835, 203_774, 238_869, 280_008, 328_232,
	384_761, 451_026, 528_703, 619_759, 726_496, 851_616, 998_285, 1_170_213, 1_371_752, 1_608_000,
];
/// The attacker's long: 0.7 BTC, $46,900 at 67,000 (within half of the $100,000 pool).
const LONG: i128 = 70_000_000;

fn eve() -> AccountId {
	account(Sr25519Keyring::Eve)
}

fn usdb(who: &AccountId) -> Balance {
	<Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, who)
}

/// What Eve would get, tried and rolled back: closing now, (realized PnL, profit paid now,
/// profit left as her claim), and then withdrawing all her free margin, what reaches her wallet.
fn eve_could() -> (i128, Balance, Balance, Balance) {
	with_transaction(|| {
		System::reset_events();
		let before = usdb(&eve());
		let closed =
			PerpetualMargin::close_position(RuntimeOrigin::signed(eve()), BTC, FixedU128::zero());
		assert_ok!(closed);
		let realized = margin_events()
			.into_iter()
			.find_map(|event| match event {
				MarginEvent::PositionChanged { realized, .. } => Some(realized),
				_ => None,
			})
			.expect("closed");
		let (paid, claimed) = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				RuntimeEvent::CollateralSilos(SiloEvent::ProfitRealized {
					paid, claimed, ..
				}) => Some((paid, claimed)),
				_ => None,
			})
			.unwrap_or_default();
		let free = pallet_collateral_silos::Margin::<Runtime>::get(0, eve()).free;
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(eve()), 0, free));
		let withdrawn = usdb(&eve()) - before;
		TransactionOutcome::Rollback(Ok::<_, DispatchError>((realized, paid, claimed, withdrawn)))
	})
	.expect("rolled back")
}

/// Block 1: BTC at 67,000 and open; Charlie's 100,000 USDB in the pool; Eve deposits 20,000
/// and goes long 0.7 BTC on 5,000 of margin.
fn eve_long() {
	bob_long_a_tenth_of_a_btc();
	assert_ok!(PerpetualMargin::close_position(
		RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
		BTC,
		FixedU128::zero()
	));
	assert_ok!(CollateralSilos::deposit_margin(
		RuntimeOrigin::signed(eve()),
		0,
		USDB_ASSET_ID,
		20_000 * USDB
	));
	assert_ok!(PerpetualMargin::trade(
		RuntimeOrigin::signed(eve()),
		BTC,
		LONG,
		5_000 * USDB,
		FixedU128::saturating_from_integer(68_000u32),
		false,
	));
	end_block();
}

/// The pump: blocks 2..=21, one aggregate each; returns what Eve could get in each block.
fn pump() -> Vec<(u32, u64, (i128, Balance, Balance, Balance))> {
	PUMP.iter()
		.enumerate()
		.map(|(k, price)| {
			let block = k as u32 + 2;
			start_block(block);
			aggregate(block, *price);
			let could = eve_could();
			end_block();
			(block, *price, could)
		})
		.collect()
}

fn pool() -> (Balance, Balance) {
	let books = pallet_collateral_silos::Silos::<Runtime>::get(0).expect("silo 0").books;
	(books.pool, books.claims)
}

#[test]
fn mango_a_pump_that_holds_pays_out_only_a_tenth_of_the_pool_per_hour() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		eve_long();
		let entry = Positions::<Runtime>::get(eve(), BTC).expect("long").entry;
		let (pool_before, _) = pool();
		println!("mango: Eve long 0.7 BTC, entry {entry}, pool {pool_before}");
		assert_eq!((entry, pool_before), (46_901_641_500, 100_021_105_599));
		let during = pump();
		for (block, price, could) in &during {
			println!("mango pump: block {block} at {price}: could realize/paid/claimed/withdraw {could:?}");
		}
		// Block 2, +17.2%: within the 20% band of the last aggregate and of the TWAP, a move
		// like any other: closing realizes 8,077.58 USDB, paid at once (within the hour's
		// allowance), and she could take out her deposit, margin and that profit.
		assert_eq!(during[0].2, (8_077_582_701, 8_077_582_701, 0, 28_026_642_267));
		// From block 3 the band is tripped and the market flagged: a close fills at no more than
		// where the move started (67,000): she realizes only her costs (-1.64 USDB), and from
		// block 8 on, the pool being short of the reserve her unrealized profit calls for,
		// withdrawals are rate-limited to a tenth of the pool.
		assert_eq!(during[1].2, (-1_641_508, 0, 0, 19_951_457_671));
		assert_eq!(during[19].2, (-1_641_939, 0, 0, 10_003_916_253));
		assert!(during[1..].iter().all(|(_, _, (realized, paid, ..))| *realized < 0 && *paid == 0));
		// The price holds at 24x; the band stops tripping once the last aggregate below the
		// band (block 19's) leaves its 10-block window (block 30), and its last trip holds
		// for 50 more blocks.
		let mut flagged_until = 0;
		for block in 22..=80u32 {
			start_block(block);
			aggregate(block, 1_608_000);
			if pallet_circuit_breaker::Pallet::<Runtime>::price_flagged(BTC) {
				flagged_until = block;
			}
			end_block();
		}
		start_block(81);
		aggregate(81, 1_608_000);
		let after = eve_could();
		println!("mango held: flagged until block {flagged_until}; block 81 could {after:?}");
		// The last band trip (block 29) held until block 79. At block 81 the close fills at the
		// price: a profit of 1,078,737.75 USDB, ten times the pool. The pool pays 10% of
		// itself (10,002.11) this hour; 1,068,735.64 is her claim; of her free margin she could
		// take 9,041.30 out now (a tenth of what the pool then holds).
		assert_eq!(flagged_until, 78);
		assert_eq!(after, (1_078_737_749_334, 10_002_110_559, 1_068_735_638_775, 9_041_296_882));
		// She closes for real.
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(eve()),
			BTC,
			FixedU128::zero()
		));
		let (pool_after, claims) = pool();
		let withdrawals = <CircuitBreaker as TradingStatus>::withdrawal_status(0);
		let reason = pallet_circuit_breaker::Silos::<Runtime>::get(0)
			.expect("watched")
			.withdrawals_reason;
		let lp_value = pool_after.saturating_sub(claims);
		println!(
			"mango held: pool {pool_before} -> {pool_after}, Eve's claim {claims}, LP value {lp_value}, withdrawals {withdrawals:?} ({reason:?})"
		);
		end_block();
		// The LPs: 10,002.11 (less fees earned) left the pool this hour; the rest of the profit
		// is owed to Eve as a claim, paid a tenth of the pool per hour as inflows allow. Were
		// the 24x real, the LPs' value would be gone (the claim exceeds the pool); a
		// manipulated pump leaves governance the hours the cap buys to settle the market.
		assert_eq!((pool_after, claims, lp_value), (90_412_968_829, 1_068_735_638_775, 0));
		assert_eq!(withdrawals, bulwark_primitives::WithdrawalStatus::RateLimited);
		assert_eq!(reason, Some(Reason::ReserveShortfall));
	});
}

#[test]
fn mango_a_pump_that_reverts_pays_nothing_above_the_pre_pump_price() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		eve_long();
		let during = pump();
		start_block(22);
		aggregate(22, 67_000);
		let reverted = eve_could();
		println!("mango revert: block 22 at 67,000 could {reverted:?}");
		end_block();
		// Back at 67,000: she closes at a loss of her costs. At no block since the band tripped
		// (3..=22) could she realize anything above the pre-pump price; the one profit on offer
		// was block 2's, a +17.2% move within the band, paid like any real move.
		assert_eq!(reverted, (-1_642_018, 0, 0, 10_003_916_261));
		assert!(during[1..].iter().all(|(_, _, (realized, paid, ..))| *realized < 0 && *paid == 0));
		assert_eq!(during[0].2 .1, 8_077_582_701);
	});
}

/// Eve closes for real in block 22, the price still at the top and flagged: the close fills at
/// where the move started, and what the pump would have paid beyond it is held. Returns (her
/// realized PnL, the amount held, the block it falls due in).
fn eve_closes_at_the_flagged_top() -> (i128, Balance, BlockNumber) {
	start_block(22);
	aggregate(22, 1_608_000);
	assert!(pallet_circuit_breaker::Pallet::<Runtime>::price_flagged(BTC));
	System::reset_events();
	assert_ok!(PerpetualMargin::close_position(
		RuntimeOrigin::signed(eve()),
		BTC,
		FixedU128::zero()
	));
	let events = margin_events();
	let realized = events
		.iter()
		.find_map(|event| match event {
			MarginEvent::PositionChanged { realized, .. } => Some(*realized),
			_ => None,
		})
		.expect("closed");
	let (amount, due) = events
		.iter()
		.find_map(|event| match event {
			MarginEvent::ProfitHeld { amount, due, .. } => Some((*amount, *due)),
			_ => None,
		})
		.expect("held");
	end_block();
	(realized, amount, due)
}

/// Blocks `from..=to`, one aggregate at `units` each; returns what was judged.
fn hold_until(from: u32, to: u32, units: u64) -> Vec<(FixedU128, Balance, Balance, Balance)> {
	let mut judged = Vec::new();
	for block in from..=to {
		start_block(block);
		aggregate(block, units);
		judged.extend(margin_events().into_iter().filter_map(|event| match event {
			MarginEvent::HeldProfitJudged { price, held, paid, claimed, .. } => {
				Some((price, held, paid, claimed))
			},
			_ => None,
		}));
		end_block();
	}
	judged
}

fn held_in_silo() -> Balance {
	pallet_collateral_silos::HeldProfit::<Runtime>::get(0)
}

#[test]
fn mango_a_close_at_the_flagged_top_is_held_and_paid_at_the_hours_twap_if_the_pump_holds() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		eve_long();
		pump();
		let (pool_before, _) = pool();
		let (realized, held, due) = eve_closes_at_the_flagged_top();
		println!("mango held close: realized {realized}, held {held}, due {due}");
		// She realizes her costs (-1.64 USDB); the 1,078,739.40 USDB the top would have paid is
		// held, due an hour later, and counted by the silo as its pool's debt.
		assert_eq!((realized, held, due), (-1_642_018, 1_078_739_396_000, 622));
		assert_eq!(held_in_silo(), held);
		// The price holds for the hour. Judged once, at block 622, at the lower of the oracle's
		// TWAP and its last price: the TWAP, $1,046,199.21 (an average over an hour's time
		// constant, so a pump that held one hour counts about 63% of its way). Worth 0.7 x
		// (1,046,199.21 - 67,000) = 685,439.45 USDB of the 1,078,739.40 held: the pool pays a
		// tenth of itself this hour (10,003.92), 675,435.53 is her claim, in order, and
		// 393,299.95 stays with the LPs.
		let judged = hold_until(23, 622, 1_608_000);
		let (pool_after, claims) = pool();
		println!(
			"mango held judged: {judged:?}; pool {pool_before} -> {pool_after}, claims {claims}"
		);
		let twap_unit = FixedU128::from_inner(10_461_992_146_478_525_550_277);
		assert_eq!(judged, vec![(twap_unit, held, 10_003_916_261, 675_435_533_992)]);
		assert_eq!(held_in_silo(), 0);
		assert_eq!((pool_after, claims), (90_035_246_356, 675_435_533_992));
	});
}

#[test]
fn mango_a_close_at_the_flagged_top_of_a_pump_that_reverts_is_paid_nothing_above_the_pre_pump_price(
) {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		eve_long();
		pump();
		let (pool_before, _) = pool();
		let (realized, held, due) = eve_closes_at_the_flagged_top();
		let free = pallet_collateral_silos::Margin::<Runtime>::get(0, eve()).free;
		// Back at 67,000 from block 23 for the hour.
		let judged = hold_until(23, due, 67_000);
		let (pool_after, claims) = pool();
		println!("mango reverted held: {realized} {held} judged {judged:?}; pool {pool_before} -> {pool_after}, claims {claims}");
		// Judged at 67,000 (the last price, below the TWAP the pump lifted): her fill was no
		// better, so nothing is paid; the whole 1,078,739.40 stays in the pool, which earned
		// the fees of the hour besides.
		assert_eq!((realized, held), (-1_642_018, 1_078_739_396_000));
		assert_eq!(judged, vec![(FixedU128::saturating_from_integer(670u32), held, 0, 0)]);
		assert_eq!((pool_before, pool_after), (100_021_105_599, 100_039_162_617));
		assert_eq!(pallet_collateral_silos::Margin::<Runtime>::get(0, eve()).free, free);
		assert_eq!((held_in_silo(), claims), (0, 0));
	});
}
