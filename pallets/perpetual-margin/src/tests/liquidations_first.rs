//! The liquidation priority layers: the protocol's pass at the start of the next block, the
//! validators' unsigned liquidations, the priority extension, and the genesis switch that turns
//! them off. Same market as the other tests (price 100, 10% initial, 5% maintenance), with
//! funding off where a test spans blocks, so every number carries over from one block to the
//! next.

use super::*;
use crate::{LiquidationMode, Mode, PrioritizeLiquidations, NOT_LIQUIDATABLE};
use bulwark_primitives::OnPriceUpdate;
use codec::{Decode, Encode};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo, Pays},
	traits::{Authorize, Hooks},
	weights::{Weight, WeightMeter},
};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionSource::External},
};

const DAVE: AccountId = 8;

/// `setup` with a market whose funding rate stays zero.
fn setup_without_funding(pool: u128) {
	let mut no_funding = params();
	no_funding.max_funding_rate = FixedU128::zero();
	open_market(no_funding, pool, &[ALICE, BOB, CAROL, DAVE], 100_000);
}

/// A new aggregate: the oracle's price and its `OnPriceUpdate` call, as in the runtime.
fn aggregate(price: FixedU128) {
	MockPrices::set(MARKET, price);
	PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
}

/// What the next block's pass would take, in its order.
fn queue() -> Vec<(AccountId, u32)> {
	let next = System::block_number() as usize + 1;
	crate::Frontier::<Test>::new(crate::Watched::<Test>::get(), true, next)
		.map(|(_, who, market)| (who, market))
		.collect()
}

fn liquidate_call(who: AccountId) -> RuntimeCall {
	RuntimeCall::PerpetualMargin(crate::Call::liquidate { who, market: MARKET })
}

#[test]
fn the_protocol_liquidates_what_a_price_queued_at_the_start_of_the_next_block() {
	new_test_ext().execute_with(|| {
		setup_without_funding(10_000_000);
		// As in `a_liquidation_closes_just_enough_and_pays_keeper_then_insurance`: entry 100_050,
		// margin 10_899, 20 of the fee to insurance.
		assert_ok!(buy(ALICE, 1_000, 11_000));
		aggregate(rational(938, 10));
		assert_eq!(queue(), vec![(ALICE, MARKET)]);
		// Nothing happens in block 1 itself.
		assert_eq!(position(ALICE).size_units, 1_000);

		run_to_block(2);
		// Same close as a keeper's (594 units, loss 3_713), but without a keeper the reward
		// (278) joins the penalty (557): 835 to the insurance fund, nothing to anyone else.
		System::assert_has_event(
			Event::Liquidated {
				who: ALICE,
				market: MARKET,
				keeper: None,
				closed: 594,
				size_units: 406,
				price: rational(938, 10),
				realized: -3_713,
				penalty: 835,
				reward: 0,
				bad_debt: 0,
			}
			.into(),
		);
		let p = position(ALICE);
		assert_eq!((p.size_units, p.entry, p.margin), (406, 40_620, 6_351));
		assert_eq!(books().insurance, 20 + 835);
		assert!(queue().is_empty());
	});
}

/// Four longs of 100 units with margins 1_500 (Alice), 1_100 (Bob), 1_300 (Carol) and 1_050
/// (Dave), bought in that order, then a gap to 88.
fn four_underwater_longs() {
	setup_without_funding(10_000_000);
	for (who, margin) in [(ALICE, 1_500), (BOB, 1_100), (CAROL, 1_300), (DAVE, 1_050)] {
		assert_ok!(buy(who, 100, margin));
	}
	aggregate(fixed(88));
}

#[test]
fn the_most_underwater_go_first_and_the_pass_stops_at_its_budget() {
	new_test_ext().execute_with(|| {
		four_underwater_longs();
		// Each buy adds 100 to the skew, so the fills are 100.005, 100.015, 100.025, 100.035:
		// entries 10_001 (rounded up from 10_000.5), 10_002 (10_001.5), 10_003 (10_002.5) and
		// 10_004 (10_003.5); fees 11 each. At 88 (value 8_800, maintenance 440):
		// equity Alice 1_489 - 1_201 = 288, Bob 1_089 - 1_202 = -113, Carol 1_289 - 1_203 = 86,
		// Dave 1_039 - 1_204 = -165. Most underwater first: Dave, Bob, Carol, Alice.
		let equity = |who| health(who).equity;
		assert_eq!(
			[equity(ALICE), equity(BOB), equity(CAROL), equity(DAVE)],
			[288, -113, 86, -165]
		);
		assert_eq!(queue(), vec![(DAVE, MARKET), (BOB, MARKET), (CAROL, MARKET), (ALICE, MARKET)]);

		// The mock allows 3 per block: Alice waits one block.
		run_to_block(2);
		assert_eq!(liquidated(), vec![DAVE, BOB, CAROL]);
		assert_eq!(queue(), vec![(ALICE, MARKET)]);
		run_to_block(3);
		assert_eq!(liquidated(), vec![DAVE, BOB, CAROL, ALICE]);
		assert!(queue().is_empty());
	});
}

#[test]
fn the_pass_takes_only_what_its_benchmarked_weight_leaves_room_for() {
	new_test_ext().execute_with(|| {
		four_underwater_longs();
		// The test weights: 5_000_000 for the pass, 60_000_000 per liquidation, and per
		// liquidation the silo's marks (`PositionMarks::marks_weight`).
		let marks = <PerpetualMargin as bulwark_primitives::PositionMarks>::marks_weight();
		assert_eq!(PerpetualMargin::pass_weight(1, 1), Weight::from_parts(65_000_000, 0) + marks);
		let two = PerpetualMargin::pass_weight(2, 1);
		let mut meter = WeightMeter::with_limit(two - Weight::from_parts(1, 0));
		assert_eq!(PerpetualMargin::liquidation_pass(&mut meter), 1);
		assert_eq!(meter.consumed(), PerpetualMargin::pass_weight(1, 1));
		assert_eq!(liquidated(), vec![DAVE]);
		// Not even the pass's own weight: nothing is read or done.
		let mut meter = WeightMeter::with_limit(Weight::from_parts(4_999_999, 0));
		assert_eq!(PerpetualMargin::liquidation_pass(&mut meter), 0);
		assert_eq!(meter.consumed(), Weight::zero());
		assert_eq!(queue().len(), 3);
		check_invariants();
	});
}

#[test]
fn a_position_that_recovered_is_not_taken_and_one_without_a_usable_price_waits_watched() {
	new_test_ext().execute_with(|| {
		setup_without_funding(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		aggregate(rational(938, 10));
		// The price comes back before the next block: nothing to liquidate.
		MockPrices::set(MARKET, fixed(100));
		run_to_block(2);
		assert!(liquidated().is_empty());
		assert!(queue().is_empty());
		assert_eq!(position(ALICE).margin, 10_899);

		// Due again, but the breakers no longer trust the price: the market stays watched, for
		// when a usable price returns; meanwhile no keeper may liquidate, and the view lists
		// no one.
		aggregate(rational(938, 10));
		MockStatus::price_unusable(MARKET);
		run_to_block(3);
		assert!(liquidated().is_empty());
		assert_eq!(crate::Watched::<Test>::get().into_inner(), vec![MARKET]);
		assert_eq!(PerpetualMargin::liquidatable(0, 10), vec![]);
		MockStatus::reset();
		assert_eq!(PerpetualMargin::liquidatable(0, 10), vec![(ALICE, MARKET)]);
	});
}

#[test]
fn validators_liquidate_unsigned_only_what_is_liquidatable() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		let call = crate::Call::<Test>::liquidate { who: ALICE, market: MARKET };
		let refused = Some(Err(InvalidTransaction::Custom(NOT_LIQUIDATABLE).into()));
		// Healthy at 100; no position (Bob); no market.
		assert_eq!(call.authorize(External), refused);
		let bob = crate::Call::<Test>::liquidate { who: BOB, market: MARKET };
		assert_eq!(bob.authorize(External), refused);
		let nowhere = crate::Call::<Test>::liquidate { who: ALICE, market: MARKET + 1 };
		assert_eq!(nowhere.authorize(External), refused);

		MockPrices::set(MARKET, rational(938, 10));
		let (valid, refund) = call.authorize(External).expect("authorized").expect("valid");
		assert_eq!(refund, Weight::zero());
		assert_eq!(valid.priority, LIQUIDATION_PRIORITY);
		assert_eq!(valid.provides, vec![("BulwarkLiquidation", (ALICE, MARKET)).encode()]);
		assert_eq!(valid.longevity, crate::LIQUIDATION_LONGEVITY);

		// Dispatched with the origin the authorization gives: no keeper, no fee.
		let post =
			PerpetualMargin::liquidate(frame_system::RawOrigin::Authorized.into(), ALICE, MARKET)
				.expect("liquidates");
		assert_eq!(post.pays_fee, Pays::No);
		assert!(System::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::PerpetualMargin(Event::Liquidated {
				keeper: None,
				penalty: 835,
				reward: 0,
				..
			})
		)));
		// Done: a copy of the same transaction is now refused.
		assert_eq!(call.authorize(External), refused);
		// No other origin liquidates.
		assert_noop!(
			PerpetualMargin::liquidate(RuntimeOrigin::none(), ALICE, MARKET),
			sp_runtime::DispatchError::BadOrigin
		);
		run_to_block(2);
	});
}

#[test]
fn a_signed_liquidation_gets_the_top_priority_only_when_it_would_liquidate() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		let extension = PrioritizeLiquidations::<Test>::new();
		let validate = |call: &RuntimeCall| {
			let info = call.get_dispatch_info();
			extension
				.validate_only(Some(KEEPER).into(), call, &info, 0, External, 0)
				.map(|(valid, ..)| valid)
		};
		let call = liquidate_call(ALICE);
		let info = call.get_dispatch_info();
		assert_eq!((info.class, info.pays_fee), (DispatchClass::Operational, Pays::Yes));

		// Healthy: no boost, no tag; it would compete like anything else and pay.
		let plain = validate(&call).expect("passes");
		assert_eq!((plain.priority, plain.provides.len()), (0, 0));
		let error = PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET)
			.expect_err("not liquidatable");
		assert_eq!(error.post_info.pays_fee, Pays::Yes);

		MockPrices::set(MARKET, rational(938, 10));
		let boosted = validate(&call).expect("passes");
		assert_eq!(boosted.priority, LIQUIDATION_PRIORITY);
		// The same tag as the validators' unsigned form: one per position in the pool.
		let unsigned = crate::Call::<Test>::liquidate { who: ALICE, market: MARKET }
			.authorize(External)
			.expect("authorized")
			.expect("valid")
			.0;
		assert_eq!(boosted.provides, unsigned.provides);
		// Other calls and unsigned liquidations pass through unchanged.
		let other = RuntimeCall::PerpetualMargin(crate::Call::deleverage { market: MARKET });
		assert_eq!(validate(&other).expect("passes").priority, 0);
		let authorized = extension
			.validate_only(frame_system::RawOrigin::Authorized.into(), &call, &info, 0, External, 0)
			.expect("passes")
			.0;
		assert_eq!(authorized.priority, 0);

		let post = PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET)
			.expect("liquidates");
		assert_eq!(post.pays_fee, Pays::No);
		assert_eq!(free(KEEPER), 278);
		run_to_block(2);
	});
}

#[test]
fn validators_workers_submit_what_the_next_pass_will_not_reach() {
	use sp_core::offchain::{
		testing::{TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	};
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.execute_with(|| {
		four_underwater_longs();
		// The pass takes Dave, Bob and Carol at the start of block 2; Alice is the workers'.
		PerpetualMargin::offchain_worker(1);
		let submitted: Vec<Extrinsic> = std::mem::take(&mut pool_state.write().transactions)
			.into_iter()
			.map(|bytes| Extrinsic::decode(&mut &bytes[..]).expect("an extrinsic"))
			.collect();
		assert_eq!(submitted.len(), 1);
		assert!(matches!(submitted[0].preamble, sp_runtime::generic::Preamble::General(..)));
		assert_eq!(submitted[0].function, liquidate_call(ALICE));

		// With the layers off, the workers stay out of it.
		Mode::<Test>::put(LiquidationMode::Unprioritized);
		PerpetualMargin::offchain_worker(1);
		assert!(pool_state.read().transactions.is_empty());
	});
}

#[test]
fn with_the_layers_off_a_liquidation_is_an_ordinary_transaction() {
	new_test_ext().execute_with(|| {
		setup_without_funding(10_000_000);
		Mode::<Test>::put(LiquidationMode::Unprioritized);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		aggregate(rational(938, 10));
		let call = liquidate_call(ALICE);
		let info = call.get_dispatch_info();
		assert_eq!(info.class, DispatchClass::Normal);
		// No unsigned form, no boost, no pass.
		let unsigned = crate::Call::<Test>::liquidate { who: ALICE, market: MARKET };
		assert_eq!(unsigned.authorize(External), Some(Err(InvalidTransaction::Call.into())));
		let plain = PrioritizeLiquidations::<Test>::new()
			.validate_only(Some(KEEPER).into(), &call, &info, 0, External, 0)
			.expect("passes")
			.0;
		assert_eq!(plain.priority, 0);
		run_to_block(3);
		assert!(liquidated().is_empty());
		// A signed keeper still can.
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		assert_eq!(liquidated(), vec![ALICE]);
		run_to_block(4);
	});
}
