//! Three incidents of the public record, replayed on the real runtime with deterministic price
//! paths: Black Thursday (ETH, March 2020), Compound's DAI oracle (November 2020) and dYdX's
//! YFI (November 2023). Mango (2022) and JELLY (2025) have files of their own. Each asserts who
//! was liquidated and in which block, the fills against the oracle, bad debt within the silo's
//! insurance and pool, that unrealized profit is never withdrawn, and that the other silo is
//! byte-identical. The figures are printed (run with `--nocapture`).

use super::{
	jelly::{books, deposit, silo_snapshot},
	margin::{account, end_block, margin_events, start_block},
	*,
};
use bulwark_primitives::{MarketId, MarketStatus};
use frame_support::{assert_noop, assert_ok};
use pallet_circuit_breaker::Reason;
use pallet_collateral_silos::Margin;
use pallet_perpetual_margin::{Event as MarginEvent, Markets, Positions};
use sp_runtime::{
	traits::{Saturating, Zero},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	FixedPointNumber, FixedU128,
};

const ETH: MarketId = genesis_config_presets::ETH_USD;
/// A market listed by governance for the replay, in silo 0 beside the preset's three.
const LISTED: MarketId = 4;
/// The market of the second silo, which every replay leaves untouched.
const OTHER: MarketId = 3;
const OTHER_SILO: u32 = 1;

fn dollars(amount: u128) -> u128 {
	amount * USDB
}

fn price_of(dollars: f64) -> FixedU128 {
	// Quoted to 10^-6 dollars, as an exchange would.
	FixedU128::from_rational((dollars * 1e6).round() as u128, 1_000_000)
}

/// `feeder`'s report of `price` for `market` in its open round.
fn report(feeder: Sr25519Keyring, market: MarketId, price: FixedU128) -> UncheckedExtrinsic {
	let round = pallet_price_oracle::Rounds::<Runtime>::get(market).expect("a feed").round;
	oracle_report_of(feeder, feeder, market, round, price)
}

/// The dev chain's one feeder (Alice) reports: an aggregate.
fn aggregate(market: MarketId, price: FixedU128) {
	assert_eq!(
		Executive::apply_extrinsic(report(Sr25519Keyring::Alice, market, price)),
		Ok(Ok(()))
	);
}

/// Governance lists `market` in `silo` with `params`, a feed like DOT's and its breakers, and
/// the oracle's first price; the market is opened.
fn list(
	market: MarketId,
	silo: u32,
	symbol: &[u8],
	params: pallet_perpetual_margin::MarketParamsOf<Runtime>,
	price: FixedU128,
	feeders: &[Sr25519Keyring],
) {
	let root = || RuntimeOrigin::root();
	let mut feed = genesis_config_presets::dev_feeds()[2].1.clone();
	feed.symbol = symbol.to_vec().try_into().expect("short");
	assert_ok!(PriceOracle::set_feed(root(), market, feed));
	assert_ok!(CircuitBreaker::track_market(root(), market));
	assert_ok!(PerpetualMargin::create_market(root(), market, silo, params));
	// The quorum (all of one, three of four) closes the round; a fourth report would open
	// the next round early.
	for feeder in feeders.iter().take(3) {
		assert_eq!(Executive::apply_extrinsic(report(*feeder, market, price)), Ok(Ok(())));
	}
	assert_ok!(CircuitBreaker::lift_market(root(), market));
}

/// Silo 1 with a market of its own, Dave's 50,000 USDB in its pool and Charlie long $2,000 of
/// it: the silo each replay must leave byte-identical.
fn the_other_silo(feeders: &[Sr25519Keyring]) {
	assert_ok!(CollateralSilos::create_silo(
		RuntimeOrigin::root(),
		USDB_ASSET_ID,
		genesis_config_presets::usdb_silo_params()
	));
	assert_ok!(CircuitBreaker::track_silo(RuntimeOrigin::root(), OTHER_SILO));
	let params = genesis_config_presets::dev_markets()[2].2.clone();
	list(
		OTHER,
		OTHER_SILO,
		b"OTHER-USD",
		params,
		FixedU128::saturating_from_integer(7u32),
		feeders,
	);
	let dave = account(Sr25519Keyring::Dave);
	assert_ok!(CollateralSilos::add_liquidity(
		RuntimeOrigin::signed(dave),
		OTHER_SILO,
		USDB_ASSET_ID,
		dollars(50_000),
		0
	));
	let charlie = account(Sr25519Keyring::Charlie);
	deposit(OTHER_SILO, &charlie, dollars(5_000));
	trade(&charlie, OTHER, 2_000, 500);
}

/// Size units (10^-8 coin) worth `notional` dollars at the market's oracle price.
fn size_worth(market: MarketId, notional: i128) -> i128 {
	let price = pallet_price_oracle::Prices::<Runtime>::get(market).expect("priced").price;
	let coins = FixedU128::saturating_from_integer(notional.unsigned_abs()).div(price);
	let units = coins.saturating_mul_int(100_000_000u128) as i128;
	if notional < 0 {
		-units
	} else {
		units
	}
}

/// `who` trades `notional` dollars (negative: sells) on `margin` dollars at any fill.
fn trade(who: &AccountId, market: MarketId, notional: i128, margin: u128) {
	let limit =
		if notional > 0 { FixedU128::saturating_from_integer(u32::MAX) } else { FixedU128::zero() };
	assert_ok!(PerpetualMargin::trade(
		RuntimeOrigin::signed(who.clone()),
		market,
		size_worth(market, notional),
		dollars(margin),
		limit,
		false
	));
}

/// A liquidation as the replays report it: block, who, size closed, the fill and the oracle's
/// unit price in that block, and the bad debt.
#[derive(Debug, PartialEq, Eq)]
struct Liquidation {
	block: BlockNumber,
	who: AccountId,
	closed: u128,
	fill: FixedU128,
	oracle: FixedU128,
	bad_debt: Balance,
}

/// The market's oracle price as a unit price (what fills are quoted in).
fn unit_price(market: MarketId) -> FixedU128 {
	let oracle = pallet_price_oracle::Prices::<Runtime>::get(market).expect("priced").price;
	let scale = Markets::<Runtime>::get(market).map(|m| m.params.value_scale).unwrap_or_default();
	oracle.saturating_mul(scale)
}

/// The liquidations of `market` in this block so far; `oracle`: the unit price when the block
/// started (what the protocol's pass, before any transaction, saw).
fn liquidations(market: MarketId, oracle: FixedU128) -> Vec<Liquidation> {
	let block = System::block_number();
	margin_events()
		.into_iter()
		.filter_map(|event| match event {
			MarginEvent::Liquidated { who, market: m, closed, price, bad_debt, .. }
				if m == market =>
			{
				Some(Liquidation { block, who, closed, fill: price, oracle, bad_debt })
			},
			_ => None,
		})
		.collect()
}

/// Per account: (first block, last block, liquidations, size closed, bad debt).
fn summary(
	liquidated: &[Liquidation],
	who: &AccountId,
) -> (BlockNumber, BlockNumber, usize, u128, Balance) {
	let mine: Vec<_> = liquidated.iter().filter(|l| &l.who == who).collect();
	(
		mine.first().map_or(0, |l| l.block),
		mine.last().map_or(0, |l| l.block),
		mine.len(),
		mine.iter().map(|l| l.closed).sum(),
		mine.iter().map(|l| l.bad_debt).sum(),
	)
}

/// `who`'s unrealized profit is never withdrawable: only the margin it did not lock is.
fn assert_only_free_margin_withdrawable(who: &AccountId) {
	let free = Margin::<Runtime>::get(0, who).free;
	assert_noop!(
		CollateralSilos::withdraw_margin(RuntimeOrigin::signed(who.clone()), 0, free + 1),
		pallet_collateral_silos::Error::<Runtime>::InsufficientFreeMargin
	);
}

/// Prints a replay's liquidations and what silo 0 went through; returns the bad debt.
fn print_losses(
	replay: &str,
	liquidated: &[Liquidation],
	before: &pallet_collateral_silos::SiloBooks,
	after: &pallet_collateral_silos::SiloBooks,
) -> Balance {
	for liquidation in liquidated {
		println!("{replay}: {liquidation:?}");
	}
	let bad_debt = liquidated.iter().map(|l| l.bad_debt).sum();
	println!(
		"{replay}: bad debt {bad_debt}, insurance {} -> {}, pool {} -> {}",
		before.insurance, after.insurance, before.pool, after.pool
	);
	bad_debt
}

/// Fills the rest of the block's normal-class length with 1 MiB remarks from AliceStash, until
/// the block refuses one: what a spammer does to keep everything else out. Returns how many fit.
fn fill_the_block() -> usize {
	let spammer = Sr25519Keyring::AliceStash;
	let mut included = 0;
	loop {
		let nonce = System::account_nonce(spammer.to_account_id());
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![7; 1 << 20] });
		match Executive::apply_extrinsic(signed_by(spammer, remark, nonce)) {
			Ok(Ok(())) => included += 1,
			Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)) => {
				return included
			},
			other => panic!("a remark gave {other:?}"),
		}
	}
}

/// Black Thursday, 12-13 March 2020: ETH fell 55% in two legs (194 → 111 in a day, to 88 the
/// next), while Ethereum's blocks were full and keepers' transactions did not get in. Here the
/// legs take 24 and 12 blocks (-2.3% and -1.9% a block, inside the breakers' bands), every block
/// filled to its normal-class limit by a spammer. Longs at 10x, 5x and 2.5x fall in order as
/// the price crosses them, each in the block after the aggregate that crossed it (the
/// protocol's pass runs before any transaction); the 1.6x long survives; the short's profit
/// cannot be withdrawn.
#[test]
fn black_thursday_full_blocks_do_not_delay_a_single_liquidation() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice;
		let [bob, dave, eve, ferdie] = [Sr25519Keyring::Bob, Sr25519Keyring::Dave, Sr25519Keyring::Eve, Sr25519Keyring::Ferdie].map(account);
		start_block(1);
		aggregate(ETH, price_of(194.0));
		assert_ok!(CircuitBreaker::lift_market(RuntimeOrigin::root(), ETH));
		the_other_silo(&[alice]);
		let charlie = account(Sr25519Keyring::Charlie);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(charlie.clone()), 0, USDB_ASSET_ID, dollars(200_000), 0));
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(charlie), 0, USDB_ASSET_ID, dollars(5_000)));
		for (who, notional, margin) in [(&bob, 20_000, 2_000), (&eve, 15_000, 3_000), (&ferdie, 10_000, 4_000), (&dave, 8_000, 5_000)] {
			deposit(0, who, dollars(10_000));
			trade(who, ETH, notional, margin);
		}
		let short = account(alice);
		deposit(0, &short, dollars(10_000));
		trade(&short, ETH, -20_000, 4_000);
		end_block();
		let other = silo_snapshot(OTHER_SILO);
		let before = books(0);
		println!("black thursday: silo 0 after block 1: {before:?}");

		let mut path = Vec::new();
		for k in 1..=24 {
			path.push(194.0 * (111.0f64 / 194.0).powf(f64::from(k) / 24.0));
		}
		path.extend([111.0; 10]);
		for k in 1..=12 {
			path.push(111.0 * (88.0f64 / 111.0).powf(f64::from(k) / 12.0));
		}
		path.extend([88.0; 5]);
		let mut liquidated = Vec::new();
		let mut spam = Vec::new();
		for (index, price) in path.iter().enumerate() {
			let block = index as u32 + 2;
			start_block(block);
			let then = unit_price(ETH);
			aggregate(ETH, price_of(*price));
			spam.push(fill_the_block());
			liquidated.extend(liquidations(ETH, then));
			assert_only_free_margin_withdrawable(&short);
			end_block();
		}
		println!("black thursday: MiB remarks per block {spam:?}");
		let after = books(0);
		println!("black thursday: silo 0 at the end: {after:?}");
		let bad_debt = print_losses("black thursday", &liquidated, &before, &after);
		let sizes = [&bob, &eve, &ferdie, &dave].map(|who| summary(&liquidated, who));
		println!("black thursday: (first, last, count, closed, bad debt) of Bob, Eve, Ferdie, Dave: {sizes:?}");
		assert!(spam.iter().all(|remarks| *remarks == 3), "every block full: {spam:?}");
		assert!(liquidated.iter().all(|l| l.fill == l.oracle), "every fill at the pass's oracle price");
		assert!(bad_debt <= before.insurance + before.pool);
		assert_eq!(after.socialized_loss, 0);
		assert!(Positions::<Runtime>::get(&dave, ETH).is_some(), "the 1.6x long survives");
		assert_eq!(silo_snapshot(OTHER_SILO), other, "silo 1 untouched");
		// Bob (10x) from block 5, the block after ETH's aggregate crossed his price (180.92 in
		// block 4), in 11 partial steps to the whole 10,309,278,350; Eve (5x) from block 10
		// in 20 to the whole 7,731,958,762; Ferdie (2.5x) from block 22 in 11, 8,020,219 left
		// open at the bottom; Dave (1.6x) never. No bad debt: each step sold before the next.
		assert_eq!(
			sizes.to_vec(),
			vec![
				(5, 17, 11, 10_309_278_350, 0),
				(10, 41, 20, 7_731_958_762, 0),
				(22, 47, 11, 5_146_618_956, 0),
				(0, 0, 0, 0, 0)
			]
		);
		assert_eq!(Positions::<Runtime>::get(&ferdie, ETH).map(|p| p.size_units), Some(8_020_219));
		assert_eq!((bad_debt, before.pool, after.pool), (0, 200_025_590_858, 208_537_413_677));
		assert_eq!((before.insurance, after.insurance), (5_010_967_508, 5_467_527_180));
	});
}

/// Compound's DAI, 26 November 2020: one exchange (Coinbase Pro) printed DAI at $1.30 for about
/// an hour, Compound's oracle took it, and $89M of loans were liquidated. Here DAI is listed on
/// the four-validator chain and one feeder's price is that exchange's, +30% for 60 blocks: the
/// median of the four is the honest price every round, the liar's outliers are counted, no
/// breaker trips and nobody is liquidated. Then, beyond the oracle's fault assumption (fewer
/// than a third of the feeders lie), two of four print 1.30 and report first for 5 blocks: the
/// median of the quorum is 1.30 and its spread (median absolute deviation) zero; the band
/// trips at once (ReduceOnly), and once the move has held (block 64) both shorts are
/// liquidated at 1.30, their bad debt within the silo's pool: what a majority of lying feeders
/// can do, shown rather than hidden.
#[test]
fn compound_dai_one_feeder_at_plus_30_percent_for_an_hour_liquidates_nobody() {
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let feeders = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];
		let honest = FixedU128::saturating_from_integer(1u32);
		let printed = FixedU128::saturating_from_rational(13u32, 10u32);
		start_block(1);
		the_other_silo(&feeders);
		let charlie = account(Sr25519Keyring::Charlie);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(charlie), 0, USDB_ASSET_ID, dollars(100_000), 0));
		// DAI: DOT's market (positions up to a million coins) at up to 20x (initial margin 5%,
		// maintenance 3%).
		let mut params = genesis_config_presets::dev_markets()[2].2.clone();
		params.max_leverage = FixedU128::saturating_from_integer(20u32);
		params.initial_margin = FixedU128::saturating_from_rational(5u32, 100u32);
		params.maintenance_margin = FixedU128::saturating_from_rational(3u32, 100u32);
		list(LISTED, 0, b"DAI-USD", params, honest, &feeders);
		// Shorts of DAI at 18x and 10x: a print of +3% and +7% would liquidate them.
		let [eve, ferdie] = [Sr25519Keyring::Eve, Sr25519Keyring::Ferdie].map(account);
		for (who, margin) in [(&eve, 1_100), (&ferdie, 2_000)] {
			deposit(0, who, dollars(5_000));
			trade(who, LISTED, -20_000, margin);
		}
		end_block();
		let other = silo_snapshot(OTHER_SILO);
		let liar: pallet_price_oracle::crypto::Public =
			genesis_config_presets::dev_oracle_key(Sr25519Keyring::Dave).expect("a dev validator").into();
		let outliers_before = pallet_price_oracle::FeederRecord::<Runtime>::get(&liar).outliers;
		let positions = || [&eve, &ferdie].map(|who| Positions::<Runtime>::get(who, LISTED));
		let opened = positions();

		let mut prices = Vec::new();
		let mut liquidated = Vec::new();
		for block in 2..=66 {
			start_block(block);
			let then = unit_price(LISTED);
			for feeder in &feeders[..3] {
				let seven = FixedU128::saturating_from_integer(7u32);
				assert_eq!(Executive::apply_extrinsic(report(*feeder, OTHER, seven)), Ok(Ok(())));
			}
			// Blocks 2-61: Dave's source prints 1.30; 62-66: Charlie's too. The liars report
			// first, and the round closes at its quorum (three of four): the worst order.
			let liars = if block <= 61 { 1 } else { 2 };
			for (index, feeder) in feeders.iter().rev().take(3).enumerate() {
				let price = if index < liars { printed } else { honest };
				assert_eq!(Executive::apply_extrinsic(report(*feeder, LISTED, price)), Ok(Ok(())));
			}
			let aggregate = pallet_price_oracle::Prices::<Runtime>::get(LISTED).expect("priced");
			prices.push((block, aggregate.price));
			liquidated.extend(liquidations(LISTED, then));
			end_block();
		}
		let outliers = pallet_price_oracle::FeederRecord::<Runtime>::get(&liar).outliers - outliers_before;
		let breaker = pallet_circuit_breaker::Markets::<Runtime>::get(LISTED).expect("tracked");
		println!("compound dai: aggregates {prices:?}");
		println!("compound dai: liar's outliers {outliers}, breaker {breaker:?}, liquidated {liquidated:?}");
		// One liar, 60 blocks: every aggregate the honest 1.00, 60 outliers on the liar's record.
		assert!(prices[..60].iter().all(|(_, price)| *price == honest));
		assert_eq!(outliers, 60);
		// Two liars from block 62: aggregates at 1.30, the band tripped (ReduceOnly).
		assert!(prices[60..].iter().all(|(_, price)| *price == printed));
		assert_eq!((breaker.automatic, breaker.reason), (MarketStatus::ReduceOnly, Some(Reason::PriceBand)));
		// Nobody liquidated while one lied; both shorts, whole, at 1.30 (unit price 0.013, the
		// oracle's) in block 64 once two lied.
		let unit = FixedU128::saturating_from_rational(13u32, 1_000u32);
		assert_eq!(
			liquidated,
			vec![
				Liquidation { block: 64, who: eve.clone(), closed: 2_000_000_000_000, fill: unit, oracle: unit, bad_debt: 4_911_999_509 },
				Liquidation { block: 64, who: ferdie.clone(), closed: 2_000_000_000_000, fill: unit, oracle: unit, bad_debt: 4_015_997_509 },
			]
		);
		assert!(opened.iter().all(Option::is_some) && positions().iter().all(Option::is_none));
		// The bad debt (8,928.00) beyond the insurance fund's fees (6.00) is the pool's: the LPs'
		// loss, inside silo 0.
		assert_eq!(books(0).socialized_loss, 8_921_998_218);
		assert_eq!(silo_snapshot(OTHER_SILO), other, "silo 1 untouched");
	});
}

/// The top of the YFI pump: 5,000 x 3.15.
fn top_price() -> f64 {
	5_000.0 * 3.15
}

/// dYdX's YFI, 16-17 November 2023: open interest in YFI ramped about 80x while its price rose
/// +215%, then the price fell 43% within the hour; the longs that came late were liquidated
/// with bad debt, and dYdX's insurance fund paid about $9M. Here YFI is listed in silo 0 (pool
/// 200,000, insurance 10,000) at $5,000; over 30 blocks the price rises to $15,750 while 10x
/// longs bring the open interest from $1,250 to the cap (half the pool), 80x; one more long is
/// refused at the cap. Then -43% in 6 blocks (-8.95% a block, inside the breakers' band): the
/// late longs are liquidated, each in the block after the aggregate that crossed it, their bad
/// debt paid by the insurance fund and then the pool, never beyond them; an early long's profit
/// is never withdrawable.
#[test]
fn dydx_yfi_an_80x_open_interest_ramp_and_a_43_percent_dump_stay_within_the_silo() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice;
		let traders = [
			Sr25519Keyring::Bob,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
			Sr25519Keyring::Ferdie,
		]
		.map(account);
		start_block(1);
		the_other_silo(&[alice]);
		let charlie = account(Sr25519Keyring::Charlie);
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(charlie.clone()),
			0,
			USDB_ASSET_ID,
			dollars(200_000),
			0
		));
		assert_ok!(CollateralSilos::fund_insurance(
			RuntimeOrigin::signed(charlie),
			0,
			USDB_ASSET_ID,
			dollars(10_000)
		));
		// YFI: ETH's parameters (up to 20x), positions up to 1,000 coins.
		let params = genesis_config_presets::dev_markets()[1].2.clone();
		list(LISTED, 0, b"YFI-USD", params, price_of(5_000.0), &[alice]);
		for who in &traders {
			deposit(0, who, dollars(50_000));
		}
		trade(&traders[0], LISTED, 1_250, 125);
		end_block();
		let other = silo_snapshot(OTHER_SILO);
		let before = books(0);
		let open_interest = || {
			let market = Markets::<Runtime>::get(LISTED).expect("listed");
			let price = pallet_price_oracle::Prices::<Runtime>::get(LISTED).expect("priced").price;
			price.saturating_mul_int(market.open_interest.long_size) / 100_000_000
		};
		let start_interest = open_interest();

		// The pump: +215% over 3,000 blocks (5 hours; +0.038% a block, so the price stays
		// within the breakers' 20% band of its one-hour TWAP: a faster pump is flagged and
		// stops new longs, as the test of Mango shows). Every 100 blocks the next trader tops
		// the open interest up to 1,250 x 80^(step/30) dollars at 10x; the last step would pass
		// the cap (half of the pool) and is refused.
		let mut ramp = Vec::new();
		for k in 1..=3_000u32 {
			let block = k + 1;
			start_block(block);
			aggregate(LISTED, price_of(5_000.0 * 3.15f64.powf(f64::from(k) / 3_000.0)));
			// The other silo's market stays priced (a dead feed would settle it).
			aggregate(OTHER, FixedU128::saturating_from_integer(7u32));
			if k % 100 == 0 {
				let step = k / 100;
				let target = 1_250.0 * 80f64.powf(f64::from(step) / 30.0);
				let more = (target - open_interest() as f64).max(0.0) as i128;
				let who = &traders[step as usize % traders.len()];
				let margin = (more / 10) as u128 + 1;
				let traded = PerpetualMargin::trade(
					RuntimeOrigin::signed(who.clone()),
					LISTED,
					size_worth(LISTED, more),
					dollars(margin),
					FixedU128::saturating_from_integer(u32::MAX),
					false,
				);
				ramp.push((block, more, traded, open_interest()));
			}
			end_block();
		}
		println!("dydx yfi: open interest (dollars) from {start_interest}: {ramp:?}");
		// At the cap: one more dollar of long is refused.
		start_block(3_002);
		aggregate(LISTED, price_of(top_price()));
		aggregate(OTHER, FixedU128::saturating_from_integer(7u32));
		assert_noop!(
			PerpetualMargin::trade(
				RuntimeOrigin::signed(traders[1].clone()),
				LISTED,
				size_worth(LISTED, 100),
				dollars(100),
				FixedU128::saturating_from_integer(u32::MAX),
				false
			),
			pallet_perpetual_margin::Error::<Runtime>::OpenInterestCapExceeded
		);
		end_block();

		let early = &traders[0];
		let top = top_price();
		let mut liquidated = Vec::new();
		for k in 1..=11u32 {
			let block = k + 3_002;
			start_block(block);
			let price = top * 0.57f64.powf(f64::from(k.min(6)) / 6.0);
			let then = unit_price(LISTED);
			aggregate(LISTED, price_of(price));
			aggregate(OTHER, FixedU128::saturating_from_integer(7u32));
			liquidated.extend(liquidations(LISTED, then));
			assert_only_free_margin_withdrawable(early);
			end_block();
		}
		let after = books(0);
		let bad_debt = print_losses("dydx yfi", &liquidated, &before, &after);
		let sizes = traders.each_ref().map(|who| summary(&liquidated, who));
		println!(
			"dydx yfi: (first, last, count, closed, bad debt) of Bob, Dave, Eve, Ferdie: {sizes:?}"
		);
		assert!(bad_debt <= before.insurance + before.pool);
		assert_eq!(after.socialized_loss, 0);
		assert_eq!(silo_snapshot(OTHER_SILO), other, "silo 1 untouched");
		// The ramp: 1,250 to 100,000 dollars of longs (80x), every step accepted, then refused.
		assert_eq!((start_interest, ramp.last().map(|step| step.3)), (1_250, Some(100_000)));
		assert!(ramp.iter().all(|step| step.2.is_ok()));
		assert!(
			liquidated.iter().all(|l| l.fill == l.oracle),
			"every fill at the pass's oracle price"
		);
		// The dump: Eve's and Dave's late longs in block 3,007 (after -17% in two aggregates),
		// Bob's and Ferdie's in 3,008, each whole in one step; 2,172.05 USDB of bad debt, paid
		// by the insurance fund (2,086.52) and the pool; the pool still ends up.
		assert_eq!(
			sizes.to_vec(),
			vec![
				(3_008, 3_008, 1, 167_001_667, 0),
				(3_007, 3_007, 1, 161_023_709, 366_702_650),
				(3_007, 3_007, 1, 179_380_150, 1_182_921_675),
				(3_008, 3_008, 1, 127_518_659, 622_422_078)
			]
		);
		assert_eq!(bad_debt, 2_172_046_403);
		assert_eq!((before.insurance, after.insurance), (10_000_187_500, 7_913_671_916));
		assert_eq!((before.pool, after.pool), (200_000_437_501, 209_655_328_084));
	});
}
