//! Hyperliquid JELLY, March 2025, replayed on the real runtime with the settlement rule: a
//! large short in a thin market, the price pumped +400% in 30 blocks (+5.51% a block), then the
//! feed dies. The short is liquidated as the pump crosses it, the market is settled by the
//! protocol once its price has been Stale for `settle_after_stale` blocks, at the TWAP of its
//! last good window; every margin is released; the loss stays in JELLY's silo within its
//! insurance fund and pool; silo 0 (BTC, with a live position) is byte-identical. The figures
//! are printed (run with `--nocapture`) and asserted exactly.

use super::{margin::*, *};
use bulwark_primitives::MarketId;
use frame_support::{assert_noop, assert_ok, traits::fungibles::Inspect};
use pallet_collateral_silos::{
	ClaimCursors, LpShares, LpWithdrawals, Margin, ProfitClaims, RateWindows, Silos,
	WithdrawalQueue,
};
use pallet_perpetual_margin::{
	Event as MarginEvent, Markets, Positions, SettlementPhase, SettlementReason, Settlements,
};
use sp_runtime::{traits::Zero, FixedPointNumber, FixedU128};

const JELLY: MarketId = 3;
const JELLY_SILO: u32 = 1;
/// The pump: 0.0095 x 5^(k/30), k = 0..=30; the feed's last aggregate is at k = 30 (0.0475).
const BLOCKS_OF_PUMP: u32 = 30;

fn jelly_price(k: u32) -> FixedU128 {
	let price = 0.0095f64 * 5f64.powf(f64::from(k) / f64::from(BLOCKS_OF_PUMP));
	// Rounded to 10^-8 dollars, as an exchange quotes it.
	FixedU128::from_rational((price * 1e8).round() as u128, 100_000_000)
}

fn jelly_aggregate(round: u32, price: FixedU128) {
	let report =
		oracle_report_of(Sr25519Keyring::Alice, Sr25519Keyring::Alice, JELLY, round, price);
	assert_eq!(Executive::apply_extrinsic(report), Ok(Ok(())));
}

/// Everything silo `silo` holds in storage, encoded, and its account's USDB.
pub(super) fn silo_snapshot(silo: u32) -> Vec<u8> {
	let mut bytes = Silos::<Runtime>::get(silo).encode();
	let mut margins: Vec<_> = Margin::<Runtime>::iter_prefix(silo).collect();
	margins.sort_by(|a, b| a.0.cmp(&b.0));
	bytes.extend(margins.encode());
	let mut shares: Vec<_> = LpShares::<Runtime>::iter_prefix(silo).collect();
	shares.sort_by(|a, b| a.0.cmp(&b.0));
	bytes.extend(shares.encode());
	let mut claims: Vec<_> = ProfitClaims::<Runtime>::iter_prefix(silo).collect();
	claims.sort_by_key(|(key, _)| *key);
	bytes.extend(claims.encode());
	let mut lp_withdrawals: Vec<_> = LpWithdrawals::<Runtime>::iter_prefix(silo).collect();
	lp_withdrawals.sort_by(|a, b| a.0.cmp(&b.0));
	bytes.extend(lp_withdrawals.encode());
	bytes.extend(WithdrawalQueue::<Runtime>::get(silo).encode());
	bytes.extend(ClaimCursors::<Runtime>::get(silo).encode());
	bytes.extend(RateWindows::<Runtime>::get(silo).encode());
	let account = CollateralSilos::account_of(silo);
	bytes.extend(<Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, &account).encode());
	bytes
}

pub(super) fn books(silo: u32) -> pallet_collateral_silos::SiloBooks {
	Silos::<Runtime>::get(silo).expect("silo").books
}

fn locked(silo: u32, who: &AccountId) -> u128 {
	Margin::<Runtime>::get(silo, who).locked
}

pub(super) fn deposit(silo: u32, who: &AccountId, amount: u128) {
	assert_ok!(CollateralSilos::deposit_margin(
		RuntimeOrigin::signed(who.clone()),
		silo,
		USDB_ASSET_ID,
		amount
	));
}

/// Coins of JELLY (10^8 size units each) worth `dollars` at 0.0095.
fn coins_worth(dollars: u128) -> i128 {
	(dollars * 100_000_000 * 10_000 / 95) as i128
}

/// Block 1: silo 0 as the dev chain has it with Bob long 0.1 BTC; governance lists JELLY in a
/// silo of its own (its feed, its breakers, a market like DOT's but for positions up to 10^7
/// coins); Dave's 100,000 USDB in its pool and 5,000 in its insurance fund; Eve short $40,000 of
/// JELLY on 8,000 of margin, Ferdie long $10,000 on 2,000, Charlie long $2,000 on 500.
fn list_jelly_and_open() {
	bob_long_a_tenth_of_a_btc();
	let root = || RuntimeOrigin::root();
	assert_ok!(CollateralSilos::create_silo(
		root(),
		USDB_ASSET_ID,
		genesis_config_presets::usdb_silo_params()
	));
	assert_ok!(CircuitBreaker::track_silo(root(), JELLY_SILO));
	let mut feed = genesis_config_presets::dev_feeds()[2].1.clone();
	feed.symbol = b"JELLY-USD".to_vec().try_into().expect("short");
	assert_ok!(PriceOracle::set_feed(root(), JELLY, feed));
	assert_ok!(CircuitBreaker::track_market(root(), JELLY));
	let params = crate::harness::thin_market_params();
	assert_ok!(PerpetualMargin::create_market(root(), JELLY, JELLY_SILO, params));
	let dave = account(Sr25519Keyring::Dave);
	assert_ok!(CollateralSilos::add_liquidity(
		RuntimeOrigin::signed(dave.clone()),
		JELLY_SILO,
		USDB_ASSET_ID,
		100_000 * USDB,
		0
	));
	assert_ok!(CollateralSilos::fund_insurance(
		RuntimeOrigin::signed(dave),
		JELLY_SILO,
		USDB_ASSET_ID,
		5_000 * USDB
	));
	jelly_aggregate(1, jelly_price(0));
	assert_ok!(CircuitBreaker::lift_market(root(), JELLY));
	let trade = |who: Sr25519Keyring, dollars: u128, margin: u128, long: bool| {
		let who = account(who);
		deposit(JELLY_SILO, &who, 10_000 * USDB);
		let size = coins_worth(dollars);
		let (delta, limit) = if long {
			(size, FixedU128::saturating_from_integer(1u32))
		} else {
			(-size, FixedU128::zero())
		};
		assert_ok!(PerpetualMargin::trade(
			RuntimeOrigin::signed(who),
			JELLY,
			delta,
			margin * USDB,
			limit,
			false
		));
	};
	trade(Sr25519Keyring::Eve, 40_000, 8_000, false);
	trade(Sr25519Keyring::Ferdie, 10_000, 2_000, true);
	trade(Sr25519Keyring::Charlie, 2_000, 500, true);
	end_block();
}

#[test]
fn jelly_a_pumped_short_is_liquidated_and_the_dead_market_settled_at_its_last_twap() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		list_jelly_and_open();
		let eve = account(Sr25519Keyring::Eve);
		let ferdie = account(Sr25519Keyring::Ferdie);
		let charlie = account(Sr25519Keyring::Charlie);
		let silo_0 = silo_snapshot(0);
		let jelly_before = books(JELLY_SILO);
		println!("jelly: silo 1 after block 1: {jelly_before:?}");

		// The pump: BTC's feed goes on (round = block), JELLY's rises +5.51% a block.
		let mut liquidations = Vec::new();
		for k in 1..=BLOCKS_OF_PUMP {
			let block = k + 1;
			start_block(block);
			aggregate(block, 67_000);
			jelly_aggregate(k + 1, jelly_price(k));
			for event in margin_events() {
				if let MarginEvent::Liquidated { who, market: JELLY, closed, price, bad_debt, .. } =
					event
				{
					liquidations.push((block, who, closed, price, bad_debt));
				}
			}
			// Unrealized profit is never withdrawable: Ferdie's free margin is what he did not
			// lock, whatever his long is worth.
			let free = Margin::<Runtime>::get(JELLY_SILO, &ferdie).free;
			assert_eq!(free, 8_000 * USDB);
			end_block();
		}
		for (block, who, closed, price, bad_debt) in &liquidations {
			println!("jelly liquidation: block {block} {who:?} closed {closed} at {price:?} bad debt {bad_debt}");
		}
		// Eve is first due on the aggregate of block 4 (+17.5%): from block 5 on, each block's
		// pass takes her back to initial margin at the previous block's aggregate (a unit
		// price is the dollar price / 100), until block 19 closes what is left. No bad debt:
		// the pump never outran the pass.
		assert_eq!(liquidations.len(), 15);
		for (i, (block, who, _, price, bad_debt)) in liquidations.iter().enumerate() {
			assert_eq!((*block, who, *bad_debt), (i as u32 + 5, &eve, 0));
			let aggregate = jelly_price(*block - 2);
			assert_eq!(*price, aggregate / FixedU128::saturating_from_integer(100u32));
		}
		assert_eq!(liquidations[0].2, 388_992_956_222_938);
		assert!(Positions::<Runtime>::get(&eve, JELLY).is_none());
		let oracle = pallet_price_oracle::Prices::<Runtime>::get(JELLY).expect("price");
		println!("jelly: last aggregate {:?} in block {}, TWAP {:?}", oracle.price, oracle.updated_at, oracle.twap);

		// The feed dies. BTC's goes on; JELLY's price ages. Before `exit_after_stale` (100)
		// blocks Ferdie is locked (Halted after 50); from then on Charlie may leave at the
		// outage price.
		let last_block = BLOCKS_OF_PUMP + 1;
		let rules = pallet_perpetual_margin::Rules::<Runtime>::get();
		let settle_at = last_block + rules.settle_after_stale;
		let mut exit = None;
		let mut settled_events = Vec::new();
		for block in last_block + 1..=settle_at {
			start_block(block);
			aggregate(block, 67_000);
			if block == last_block + 99 {
				assert_noop!(
					PerpetualMargin::close_position(
						RuntimeOrigin::signed(charlie.clone()),
						JELLY,
						FixedU128::zero()
					),
					pallet_perpetual_margin::Error::<Runtime>::MarketHalted
				);
			}
			if block == last_block + 100 {
				assert_ok!(PerpetualMargin::close_position(
					RuntimeOrigin::signed(charlie.clone()),
					JELLY,
					FixedU128::zero()
				));
				exit = margin_events().into_iter().find_map(|event| match event {
					MarginEvent::ExitedInOutage { price, realized, released, .. } =>
						Some((price, realized, released)),
					_ => None,
				});
			}
			assert_eq!(Markets::<Runtime>::contains_key(JELLY), block < settle_at);
			settled_events.extend(margin_events().into_iter().filter(|event| {
				matches!(
					event,
					MarginEvent::SettlementStarted { .. } |
						MarginEvent::PositionSettled { .. } |
						MarginEvent::SettlementPayout { .. } |
						MarginEvent::MarketSettled { .. }
				)
			}));
			end_block();
		}
		println!("jelly: Charlie's outage exit {exit:?}");
		for event in &settled_events {
			println!("jelly settlement: {event:?}");
		}
		let settlement = Settlements::<Runtime>::get(JELLY).expect("settled");
		println!("jelly: {settlement:?}");
		let after = books(JELLY_SILO);
		println!("jelly: silo 1 after: {after:?}");
		// The pump's last aggregate was 0.0475 (5x); the TWAP of the last 600-block window moved
		// 7% (0.0095 for 570 blocks, the pump for 30): settled there, Ferdie's $10,000 long
		// makes 737.13 USDB, not the ~$40,000 the last price would have paid. Charlie's outage
		// exit at block 131 was at that TWAP less 5%: +39.17 USDB on $2,000.
		assert_eq!(oracle.twap, FixedU128::from_inner(10_165_335_068_928_747));
		assert_eq!(
			exit,
			Some((FixedU128::from_inner(96_570_683_154_823), 39_170_877, 499_003_052))
		);
		let closes: Vec<_> = settled_events
			.iter()
			.filter_map(|event| match event {
				MarginEvent::PositionSettled { who, realized, paid, claimed, released, .. } =>
					Some((who.clone(), *realized, *paid, *claimed, *released)),
				_ => None,
			})
			.collect();
		assert_eq!(closes, vec![(ferdie.clone(), 737_129_923, 737_129_923, 0, 1_995_018_421)]);
		// Silo 1 ends with its LPs' pool up 6,612.43 USDB (Eve's losses and fees less the longs'
		// profit) and its insurance up 591.31 (penalties, fee shares): the loss of the pump
		// stayed in the silo, and no margin is locked there.
		assert_eq!(
			(after.pool, after.insurance, after.trader_locked, after.claims, after.socialized_loss),
			(106_630_588_379, 5_599_087_442, 0, 0, 0)
		);
		assert_eq!(settlement.reason, SettlementReason::StaleFeed);
		assert_eq!(settlement.phase, SettlementPhase::Settled);
		assert_eq!(settlement.price, oracle.twap);
		assert_eq!((settlement.started_at, settlement.finished_at), (settle_at, Some(settle_at)));
		for who in [&eve, &ferdie, &charlie] {
			assert_eq!(locked(JELLY_SILO, who), 0);
			assert!(Positions::<Runtime>::get(who, JELLY).is_none());
		}
		assert_eq!(silo_snapshot(0), silo_0, "silo 0 untouched");

		// Silo 1 has no market left: governance winds it down, its insurance joins the pool,
		// everyone leaves at once (no cooldown, no rate limit: no position is left to back),
		// and it closes empty.
		let block = settle_at + 1;
		start_block(block);
		aggregate(block, 67_000);
		assert_ok!(CollateralSilos::wind_down(RuntimeOrigin::root(), JELLY_SILO));
		let pool = books(JELLY_SILO).pool;
		assert_eq!(pool, 106_630_588_379 + 5_599_087_442);
		let dave = account(Sr25519Keyring::Dave);
		let mut out = Vec::new();
		for who in [&eve, &ferdie, &charlie] {
			let free = Margin::<Runtime>::get(JELLY_SILO, who).free;
			let before = <Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, who);
			assert_ok!(CollateralSilos::withdraw_margin(
				RuntimeOrigin::signed(who.clone()),
				JELLY_SILO,
				free
			));
			out.push(<Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, who) - before);
		}
		let shares = pallet_collateral_silos::LpShares::<Runtime>::get(JELLY_SILO, &dave);
		let before = <Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, &dave);
		assert_ok!(CollateralSilos::request_liquidity_withdrawal(
			RuntimeOrigin::signed(dave.clone()),
			JELLY_SILO,
			shares
		));
		assert_ok!(CollateralSilos::claim_liquidity_withdrawal(
			RuntimeOrigin::signed(dave.clone()),
			JELLY_SILO,
			0
		));
		out.push(<Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, &dave) - before);
		println!("jelly wind-down: Eve, Ferdie, Charlie, Dave took out {out:?}");
		// Eve keeps 2,000.00 of her 10,000 (her short's losses and penalties went to the pool
		// and the fund); Ferdie and Charlie their deposits and profits. Dave, the only LP,
		// takes the whole pool: 105,000 in (liquidity and insurance), 112,229.68 out.
		assert_eq!(out, vec![2_000_001_906, 10_732_148_344, 10_038_173_929, 112_229_675_821]);
		assert_eq!(out[3], pool);
		assert_ok!(CollateralSilos::close_silo(RuntimeOrigin::signed(dave), JELLY_SILO));
		let account = CollateralSilos::account_of(JELLY_SILO);
		assert_eq!(<Assets as Inspect<AccountId>>::balance(USDB_ASSET_ID, &account), 0);
		end_block();
		assert_eq!(silo_snapshot(0), silo_0, "silo 0 untouched");
	});
}
