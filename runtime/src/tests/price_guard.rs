//! Liquidations at a flagged price, in the real runtime (oracle reports, the breakers' price
//! guard, the margin engine's pass and the pool): a one-aggregate wick liquidates no one, a
//! confirmed crash liquidates in the block after confirmation at the price kinder to the
//! owner, and a round the feeders did not agree on liquidates no one.

use super::{margin::*, *};
use frame_support::assert_ok;
use pallet_circuit_breaker::{Event as BreakerEvent, PriceGuards, Reason};
use pallet_perpetual_margin::{Event as MarginEvent, Positions, Watched, NOT_LIQUIDATABLE};
use sp_runtime::{
	traits::Zero,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	FixedPointNumber, FixedU128, Perbill,
};

fn breaker_events() -> Vec<BreakerEvent<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::CircuitBreaker(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn liquidations() -> usize {
	margin_events().iter().filter(|event| matches!(event, MarginEvent::Liquidated { .. })).count()
}

fn dollars(units: u64) -> FixedU128 {
	FixedU128::saturating_from_integer(units)
}

/// What a keeper's unsigned liquidation of Bob gets from the pool when he is not due.
fn refused() -> Result<sp_runtime::transaction_validity::ValidTransaction, TransactionValidityError>
{
	Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(NOT_LIQUIDATABLE)))
}

#[test]
fn a_one_aggregate_wick_that_reverts_liquidates_no_one() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		bob_long_a_tenth_of_a_btc();
		let opened = Positions::<Runtime>::get(&bob, BTC).expect("open");
		end_block();

		// Block 2: one aggregate 25% down (50,250), far below Bob's liquidation price
		// (58,797.77). Beyond the 20% band of the last aggregate and of the TWAP: held. Nothing
		// is watched, no keeper may liquidate him, the view lists no one.
		start_block(2);
		aggregate(2, 50_250);
		assert!(breaker_events().contains(&BreakerEvent::PriceHeld {
			market: BTC,
			price: dollars(50_250),
			reason: Reason::UnconfirmedMove,
		}));
		let guard = PriceGuards::<Runtime>::get(BTC).expect("a guard");
		assert_eq!(
			(guard.long, guard.short, guard.pending),
			(dollars(67_000), dollars(67_000), Some(dollars(50_250)))
		);
		assert!(Watched::<Runtime>::get().is_empty());
		assert!(PerpetualMargin::liquidatable(0, 10).is_empty());
		assert_eq!(validate(liquidate_unsigned(&bob)), refused());
		// Bob himself: judged as a keeper would, he is not liquidatable, but selling at the wick
		// (no better than the flag's bounds) would lose more than his margin: he cannot close
		// either. Adding margin he can, as in every state.
		let close = || {
			PerpetualMargin::close_position(
				RuntimeOrigin::signed(bob.clone()),
				BTC,
				FixedU128::zero(),
			)
		};
		assert_eq!(
			frame_support::storage::with_transaction(|| {
				frame_support::storage::TransactionOutcome::Rollback(Ok::<
					_,
					sp_runtime::DispatchError,
				>(close()))
			}),
			Ok(Err(pallet_perpetual_margin::Error::<Runtime>::InsufficientMargin.into()))
		);
		assert!(frame_support::storage::with_transaction(|| {
			let added = PerpetualMargin::add_margin(RuntimeOrigin::signed(bob.clone()), BTC, USDB);
			frame_support::storage::TransactionOutcome::Rollback(
				Ok::<_, sp_runtime::DispatchError>(added),
			)
		})
		.expect("rolled back")
		.is_ok());
		end_block();

		// Block 3: the pass finds nothing; the price is back (66,900): trusted at once.
		start_block(3);
		aggregate(3, 66_900);
		assert_eq!(liquidations(), 0);
		let guard = PriceGuards::<Runtime>::get(BTC).expect("a guard");
		assert_eq!(
			(guard.long, guard.short, guard.pending),
			(dollars(66_900), dollars(66_900), None)
		);
		end_block();
		start_block(4);
		end_block();
		assert_eq!(liquidations(), 0);
		// Bob's position is exactly as he opened it.
		assert_eq!(Positions::<Runtime>::get(&bob, BTC), Some(opened));
	});
}

#[test]
fn a_crash_confirmed_by_a_second_aggregate_liquidates_in_the_next_block_at_the_price_kinder_to_the_owner(
) {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		bob_long_a_tenth_of_a_btc();
		end_block();

		// Block 2: -22% (52,260): held.
		start_block(2);
		aggregate(2, 52_260);
		assert!(Watched::<Runtime>::get().is_empty());
		end_block();

		// Block 3: -25% (50,250): beyond the band on the same side, so the move is confirmed.
		// Longs are liquidated at the higher of the two (52,260), shorts at the lower.
		start_block(3);
		aggregate(3, 50_250);
		// The pass ran before the aggregate, with nothing watched.
		assert_eq!(liquidations(), 0);
		assert!(breaker_events().contains(&BreakerEvent::MoveConfirmed {
			market: BTC,
			long: dollars(52_260),
			short: dollars(50_250),
		}));
		assert_eq!(Watched::<Runtime>::get().into_inner(), vec![BTC]);
		assert_eq!(PerpetualMargin::liquidatable(0, 10), vec![(bob.clone(), BTC)]);
		assert!(validate(liquidate_unsigned(&bob)).is_ok());
		end_block();

		// Block 4: the protocol's pass liquidates Bob first thing, at 52,260 (522.6 units per
		// satoshi): value 5,226,000,000 against an entry of 6,700,033,500, a price loss of
		// 1,474,033,500 (and the funding he owes) beyond his 996,649,983 of margin.
		start_block(4);
		// An empty block: the pass runs as the block ends.
		Executive::finalize_block();
		let liquidated = margin_events()
			.into_iter()
			.find_map(|event| match event {
				MarginEvent::Liquidated { who, keeper, closed, size_units: size, price, realized, bad_debt, .. } =>
					Some((who, keeper, closed, size, price, realized, bad_debt)),
				_ => None,
			})
			.expect("liquidated in block 4");
		let (who, keeper, closed, size, price, realized, bad_debt) = liquidated;
		assert_eq!((who, keeper, closed, size), (bob.clone(), None, TENTH_OF_A_BTC as u128, 0));
		assert_eq!(price, FixedU128::from_rational(5_226, 10));
		// The funding he owes over the three blocks: one unit.
		assert_eq!(realized, -1_474_033_501);
		assert_eq!(bad_debt, 1_474_033_501 - 996_649_983);
		println!("confirmed crash: Bob liquidated in block 4 at 52,260, realized {realized}, bad debt {bad_debt}");
		assert!(Positions::<Runtime>::get(&bob, BTC).is_none());
		PerpetualMargin::do_try_state().expect("margin invariants");
		CollateralSilos::do_try_state().expect("silo invariants");
	});
}

#[test]
fn a_round_the_feeders_did_not_agree_on_liquidates_no_one() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		bob_long_a_tenth_of_a_btc();
		// Three feeders: Alice, Bob and Charlie's oracle keys; a quorum of two.
		for feeder in [Sr25519Keyring::Bob, Sr25519Keyring::Charlie] {
			let key =
				genesis_config_presets::dev_oracle_key(feeder).expect("a dev validator").into();
			assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), key));
		}
		end_block();

		// Block 2: Alice reports 67,000, Bob 50,000: the median is 58,500, below Bob's
		// liquidation price and within the band, but the two disagree by 8,500 each side of it
		// (a spread of 14.5%, beyond the 1% bound): a wide round, held.
		start_block(2);
		let report = |feeder, units| {
			let xt = oracle_report(feeder, feeder, 2, units);
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		};
		report(Sr25519Keyring::Alice, 67_000);
		report(Sr25519Keyring::Bob, 50_000);
		let price = pallet_price_oracle::Prices::<Runtime>::get(BTC).expect("aggregated");
		assert_eq!(price.price, dollars(58_500));
		assert_eq!(price.spread, Perbill::from_rational(8_500u32, 58_500));
		assert!(breaker_events().contains(&BreakerEvent::PriceHeld {
			market: BTC,
			price: dollars(58_500),
			reason: Reason::WideRound,
		}));
		assert!(Watched::<Runtime>::get().is_empty());
		assert!(PerpetualMargin::liquidatable(0, 10).is_empty());
		assert_eq!(validate(liquidate_unsigned(&bob)), refused());
		end_block();

		// Block 3: the feeders agree again at 66,950 and 67,010 (a spread of 0.04%).
		start_block(3);
		let report = |feeder, units| {
			let xt = oracle_report(feeder, feeder, 3, units);
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		};
		report(Sr25519Keyring::Alice, 66_950);
		report(Sr25519Keyring::Charlie, 67_010);
		assert_eq!(liquidations(), 0);
		assert_eq!(PriceGuards::<Runtime>::get(BTC).expect("a guard").pending, None);
		end_block();
		start_block(4);
		end_block();
		assert_eq!(liquidations(), 0);
		assert!(Positions::<Runtime>::get(&bob, BTC).is_some());
	});
}
