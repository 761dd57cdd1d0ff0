//! On-chain behaviour (pool validation, rounds, aggregation, staleness, statistics, governance
//! bad input) and the offchain worker against mocked HTTP.

use crate::{mock::*, *};
use bulwark_primitives::{Aggregate, OnPriceUpdate, PriceFeed, PriceStatus};
use codec::Decode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{Authorize, UnfilteredDispatchable},
};
use sp_core::offchain::{
	testing::{self, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_runtime::{
	traits::BadOrigin,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	DispatchError, FixedPointNumber, FixedU128, Perbill, Permill,
};

fn p(units: u64) -> FixedU128 {
	FixedU128::saturating_from_integer(units)
}

fn report(round: u32, price: FixedU128, feeder: crypto::Public) -> ReportOf<Test> {
	PriceReport { market: BTC, round, price, feeder }
}

fn sign(report: &ReportOf<Test>, signer: &crypto::Public) -> SignatureOf<Test> {
	signer.sign(&PriceOracle::report_payload(report)).expect("key in the test keystore")
}

/// Why a report did not take effect.
#[derive(Debug, PartialEq)]
enum Refused {
	/// By pool validation (the `authorize` of the call): it never reaches a block.
	Pool(TransactionValidityError),
	/// By the call itself.
	Call(DispatchError),
}

fn pool(code: u8) -> Refused {
	Refused::Pool(TransactionValidityError::Invalid(InvalidTransaction::Custom(code)))
}

/// What the pool and then the block do with a signed report.
fn submit_with(report: ReportOf<Test>, signature: SignatureOf<Test>) -> Result<(), Refused> {
	let call = Call::<Test>::submit_report { report, signature };
	call.authorize(TransactionSource::External)
		.expect("submit_report is an authorized call")
		.map_err(Refused::Pool)?;
	call.dispatch_bypass_filter(frame_system::Origin::<Test>::Authorized.into())
		.map(|_| ())
		.map_err(|e| Refused::Call(e.error))
}

fn submit(round: u32, price: FixedU128, feeder: crypto::Public) -> Result<(), Refused> {
	let report = report(round, price, feeder.clone());
	let signature = sign(&report, &feeder);
	submit_with(report, signature)
}

fn last_price() -> MarketPrice<u64> {
	Prices::<Test>::get(BTC).expect("an aggregate exists")
}

#[test]
fn a_quorum_of_reports_makes_the_median_the_price() {
	new_test_ext().execute_with(|| {
		// Four feeders, 2/3 quorum: three reports needed.
		assert_ok!(submit(1, p(100), alice()));
		assert_ok!(submit(1, p(104), bob()));
		assert_eq!(Prices::<Test>::get(BTC), None);
		assert_eq!(price_updates(), vec![]);
		assert_ok!(submit(1, p(101), charlie()));

		let price = last_price();
		assert_eq!(price.price, p(101));
		assert_eq!((price.round, price.updated_at, price.reports), (1, 1, 3));
		assert_eq!(price.timestamp, 6_000);
		assert_eq!(price.status, PriceStatus::Fresh);
		System::assert_has_event(
			Event::PriceAggregated {
				market: BTC,
				round: 1,
				price: p(101),
				reports: 3,
				// 100, 104, 101: deviations 1, 3, 0 from 101 -> MAD 1 -> 1/101.
				spread: Perbill::from_rational(1u32, 101),
			}
			.into(),
		);
		assert_eq!(price_updates(), vec![(BTC, p(101))]);
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().round, 2);
		// The late fourth report is for a closed round: refused in the pool.
		assert_eq!(submit(1, p(101), dave()), Err(pool(3)));
		let info = PriceOracle::price(BTC).unwrap();
		assert_eq!((info.price, info.age, info.status), (p(101), 0, PriceStatus::Fresh));
	});
}

#[test]
fn no_quorum_no_price() {
	new_test_ext().execute_with(|| {
		assert_ok!(submit(1, p(100), alice()));
		assert_ok!(submit(1, p(100), bob()));
		run_to_block(4);
		assert_eq!(Prices::<Test>::get(BTC), None);
		assert_eq!(PriceOracle::price(BTC), None);
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().reports.len(), 2);
	});
}

#[test]
fn pool_refuses_strangers_forgeries_replays_and_junk() {
	new_test_ext().execute_with(|| {
		// Eve signs correctly but is no feeder.
		assert_eq!(submit(1, p(100), eve()), Err(pool(2)));
		// Eve signs a report that claims to be Alice's.
		let forged = report(1, p(100), alice());
		let eves = sign(&forged, &eve());
		assert_eq!(
			submit_with(forged.clone(), eves),
			Err(Refused::Pool(InvalidTransaction::BadProof.into()))
		);
		// Alice's signature over another price does not cover this one.
		let signed_other = sign(&report(1, p(200), alice()), &alice());
		assert_eq!(
			submit_with(forged, signed_other),
			Err(Refused::Pool(InvalidTransaction::BadProof.into()))
		);
		// Two rounds ahead, an unknown market, a price outside the band.
		assert_eq!(submit(3, p(100), alice()), Err(pool(3)));
		let unknown = PriceReport { market: 7, round: 1, price: p(100), feeder: alice() };
		let signature = sign(&unknown, &alice());
		assert_eq!(submit_with(unknown, signature), Err(pool(1)));
		assert_eq!(submit(1, p(10_000_001), alice()), Err(pool(5)));
		assert_eq!(submit(1, FixedU128::zero(), alice()), Err(pool(5)));
		// Nothing of that reached the round.
		assert!(Rounds::<Test>::get(BTC).unwrap().reports.is_empty());

		// A second report in the same round, even with another price, is refused.
		assert_ok!(submit(1, p(100), alice()));
		assert_eq!(submit(1, p(100), alice()), Err(pool(4)));
		assert_eq!(submit(1, p(120), alice()), Err(pool(4)));
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().reports.len(), 1);
	});
}

#[test]
fn a_report_signed_for_another_chain_is_refused() {
	new_test_ext().execute_with(|| {
		let genesis = frame_system::Pallet::<Test>::block_hash(0);
		assert_ne!(genesis, Default::default(), "the mock chain has a genesis hash");
		let honest = report(1, p(100), alice());
		// The same feeder key, the same report, signed on a chain with another genesis.
		let other_genesis = sp_core::H256::repeat_byte(0x42);
		let elsewhere = alice()
			.sign(&(REPORT_CONTEXT, other_genesis, &honest).encode())
			.expect("key in the test keystore");
		assert_eq!(
			submit_with(honest.clone(), elsewhere),
			Err(Refused::Pool(InvalidTransaction::BadProof.into()))
		);
		// The payload without any genesis (what feeders signed before) is refused too.
		let unbound =
			alice().sign(&(REPORT_CONTEXT, &honest).encode()).expect("key in the test keystore");
		assert_eq!(
			submit_with(honest.clone(), unbound),
			Err(Refused::Pool(InvalidTransaction::BadProof.into()))
		);
		assert!(Rounds::<Test>::get(BTC).unwrap().reports.is_empty());
		// Signed for this chain, it enters.
		assert_eq!(
			PriceOracle::report_payload(&honest),
			(REPORT_CONTEXT, genesis, &honest).encode()
		);
		assert_ok!(submit(1, p(100), alice()));
	});
}

#[test]
fn valid_reports_are_operational_free_high_priority_and_deduplicated() {
	new_test_ext().execute_with(|| {
		let first = report(1, p(100), alice());
		let call = Call::<Test>::submit_report { signature: sign(&first, &alice()), report: first };
		let (validity, refund) = call.authorize(TransactionSource::External).unwrap().unwrap();
		assert_eq!(validity.priority, u64::MAX / 2);
		assert!(validity.propagate);
		assert_eq!(validity.longevity, 5);
		assert_eq!(refund, Weight::zero());
		// Another price from the same feeder in the same round provides the same tag: the pool
		// keeps one of them.
		let second = report(1, p(101), alice());
		let other =
			Call::<Test>::submit_report { signature: sign(&second, &alice()), report: second };
		let (other_validity, _) = other.authorize(TransactionSource::External).unwrap().unwrap();
		assert_eq!(validity.provides, other_validity.provides);
		let info = call.get_dispatch_info();
		assert_eq!(info.class, frame_support::dispatch::DispatchClass::Operational);
		assert_eq!(info.pays_fee, frame_support::dispatch::Pays::No);
		// Only an authorized origin may dispatch it.
		assert_noop!(
			call.dispatch_bypass_filter(RuntimeOrigin::signed(1)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_report_for_the_next_round_waits_in_the_pool_and_never_enters_a_block_early() {
	new_test_ext().execute_with(|| {
		let next = report(2, p(100), alice());
		let call = Call::<Test>::submit_report { signature: sign(&next, &alice()), report: next };
		// The pool keeps it as a future transaction: it requires its round to be open.
		let (validity, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
		assert_eq!(validity.requires, vec![("BulwarkOracle", (b"round-open", BTC, 2u32)).encode()]);
		// A block may not take it while round 1 is open.
		assert_eq!(call.authorize(TransactionSource::InBlock), Some(Err(pool_error(3))));
		// Junk is still junk one round ahead: a stranger, a bad price, a forged signature.
		assert_eq!(submit(2, p(100), eve()), Err(pool(2)));
		assert_eq!(submit(2, p(10_000_001), alice()), Err(pool(5)));
		let forged = report(2, p(100), alice());
		assert_eq!(
			submit_with(forged.clone(), sign(&forged, &eve())),
			Err(Refused::Pool(InvalidTransaction::BadProof.into()))
		);
		// Round 1 closes: revalidation finds round 2 open and the report ready.
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder));
		}
		let (ready, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
		assert!(ready.requires.is_empty());
		assert_eq!(ready.provides, validity.provides);
	});
}

fn pool_error(code: u8) -> TransactionValidityError {
	TransactionValidityError::Invalid(InvalidTransaction::Custom(code))
}

#[test]
fn one_lying_feeder_does_not_move_the_aggregate() {
	new_test_ext().execute_with(|| {
		assert_ok!(submit(1, p(100), alice()));
		assert_ok!(submit(1, p(1_000), bob()));
		assert_ok!(submit(1, p(102), charlie()));
		// Sorted [100, 102, 1000]: the median is an honest value.
		assert_eq!(last_price().price, p(102));
		assert_eq!(FeederRecord::<Test>::get(bob()), FeederStats { reports: 1, outliers: 1 });
		assert_eq!(FeederRecord::<Test>::get(alice()), FeederStats { reports: 1, outliers: 0 });
		System::assert_has_event(
			Event::OutlierReport {
				market: BTC,
				round: 1,
				feeder: bob(),
				price: p(1_000),
				aggregate: p(102),
			}
			.into(),
		);

		// Round 2 with all four, the liar at 1/10th: [10, 100, 101, 102] -> (100 + 101) / 2.
		run_to_block(2);
		assert_ok!(submit(2, p(10), bob()));
		assert_ok!(submit(2, p(100), alice()));
		assert_ok!(submit(2, p(101), dave()));
		// Quorum (3) reached with [10, 100, 101]: median 100.
		assert_eq!(last_price().price, p(100));
		assert_eq!(FeederRecord::<Test>::get(bob()), FeederStats { reports: 2, outliers: 2 });
	});
}

#[test]
fn stale_after_n_blocks_without_quorum_and_fresh_again() {
	new_test_ext().execute_with(|| {
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder));
		}
		// stale_after = 10: still Fresh at age 9 (block 10), Stale at age 10 (block 11).
		run_to_block(10);
		assert_eq!(PriceOracle::price(BTC).unwrap().status, PriceStatus::Fresh);
		assert_eq!(PriceOracle::price(BTC).unwrap().age, 9);
		run_to_block(11);
		assert_eq!(last_price().status, PriceStatus::Stale);
		System::assert_has_event(Event::MarketStale { market: BTC, last_update: 1 }.into());
		let info = PriceOracle::price(BTC).unwrap();
		assert_eq!((info.price, info.age, info.status), (p(100), 10, PriceStatus::Stale));

		// A quorum returns in block 12.
		run_to_block(12);
		for feeder in [bob(), charlie(), dave()] {
			assert_ok!(submit(2, p(90), feeder));
		}
		assert_eq!(last_price().status, PriceStatus::Fresh);
		System::assert_has_event(Event::MarketFresh { market: BTC }.into());
		let info = PriceOracle::price(BTC).unwrap();
		assert_eq!((info.price, info.age, info.status), (p(90), 0, PriceStatus::Fresh));
	});
}

#[test]
fn a_round_without_quorum_is_abandoned_after_its_timeout() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		assert_ok!(submit(1, p(100), alice()));
		assert_ok!(submit(1, p(100), bob()));
		// round_timeout = 5: the round opened in block 2 is dropped at the start of block 7.
		run_to_block(6);
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().round, 1);
		run_to_block(7);
		System::assert_has_event(
			Event::RoundAbandoned { market: BTC, round: 1, reports: 2 }.into(),
		);
		let open = Rounds::<Test>::get(BTC).unwrap();
		assert_eq!((open.round, open.reports.len(), open.first_report_at), (2, 0, None));
		// The old round is closed; the new one counts fresh reports only.
		assert_eq!(submit(1, p(100), charlie()), Err(pool(3)));
		assert_ok!(submit(2, p(50), alice()));
		assert_ok!(submit(2, p(51), bob()));
		assert_ok!(submit(2, p(52), charlie()));
		assert_eq!(last_price().price, p(51));
	});
}

fn submit_for(
	market: MarketId,
	round: u32,
	price: FixedU128,
	feeder: crypto::Public,
) -> Result<(), Refused> {
	let report = PriceReport { market, round, price, feeder: feeder.clone() };
	let signature = sign(&report, &feeder);
	submit_with(report, signature)
}

/// A full-quorum aggregate of 100 in block 1, then only Alice and Bob report: the market is
/// Stale at the start of block 11 (age 10).
fn two_feeders_left() {
	for feeder in [alice(), bob(), charlie()] {
		assert_ok!(submit(1, p(100), feeder));
	}
	run_to_block(11);
	assert_eq!(last_price().status, PriceStatus::Stale);
}

#[test]
fn two_of_four_agreeing_feeders_keep_a_stale_market_priced_degraded() {
	new_test_ext().execute_with(|| {
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder));
		}
		// While the market is Fresh, a round short of its quorum is abandoned as before.
		run_to_block(2);
		assert_ok!(submit(2, p(101), alice()));
		assert_ok!(submit(2, p(101), bob()));
		run_to_block(7);
		System::assert_has_event(
			Event::RoundAbandoned { market: BTC, round: 2, reports: 2 }.into(),
		);
		assert_eq!((last_price().price, last_price().status), (p(100), PriceStatus::Fresh));

		// Round 3's reports come in block 8. The market goes Stale at the start of block 11, and
		// the same pass closes round 3 degraded, at the median of its two agreeing reports, as
		// old as its first report (block 8).
		run_to_block(8);
		assert_ok!(submit(3, p(102), alice()));
		assert_ok!(submit(3, FixedU128::from_rational(10_201, 100), bob()));
		run_to_block(10);
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().round, 3);
		run_to_block(11);
		System::assert_has_event(Event::MarketStale { market: BTC, last_update: 1 }.into());
		let median = FixedU128::from_rational(20_401, 200);
		let price = last_price();
		assert_eq!(price.price, median);
		assert_eq!((price.round, price.updated_at, price.reports), (3, 8, 2));
		assert_eq!(price.status, PriceStatus::Degraded);
		// 102 and 102.01: each 0.005 from 102.005.
		let spread = Perbill::from_rational(5u32, 102_005);
		assert_eq!(price.spread, spread);
		System::assert_has_event(
			Event::PriceAggregated { market: BTC, round: 3, price: median, reports: 2, spread }
				.into(),
		);
		System::assert_has_event(
			Event::DegradedRound { market: BTC, round: 3, reports: 2, quorum: 3 }.into(),
		);
		assert!(!System::events()
			.iter()
			.any(|record| record.event == Event::MarketFresh { market: BTC }.into()));
		assert_eq!(price_updates(), vec![(BTC, p(100)), (BTC, median)]);
		let info = PriceOracle::price(BTC).unwrap();
		assert_eq!((info.price, info.age, info.status), (median, 3, PriceStatus::Degraded));
		assert_eq!(FeederRecord::<Test>::get(alice()), FeederStats { reports: 2, outliers: 0 });
		assert_eq!(FeederRecord::<Test>::get(charlie()), FeederStats { reports: 1, outliers: 0 });
		let open = Rounds::<Test>::get(BTC).unwrap();
		assert_eq!((open.round, open.reports.len(), open.first_report_at), (4, 0, None));

		// While Degraded, the next round of the two closes a block after its reports.
		assert_ok!(submit(4, p(104), alice()));
		assert_ok!(submit(4, p(104), bob()));
		assert_eq!(last_price().round, 3);
		run_to_block(12);
		System::assert_has_event(
			Event::DegradedRound { market: BTC, round: 4, reports: 2, quorum: 3 }.into(),
		);
		assert_eq!((last_price().price, last_price().updated_at), (p(104), 11));

		// A Degraded price ages like any other: Stale 10 blocks after its reports.
		run_to_block(20);
		assert_eq!(PriceOracle::price(BTC).unwrap().status, PriceStatus::Degraded);
		run_to_block(21);
		System::assert_has_event(Event::MarketStale { market: BTC, last_update: 11 }.into());
		assert_eq!(last_price().status, PriceStatus::Stale);

		// A full quorum makes it Fresh again.
		for feeder in [alice(), bob(), dave()] {
			assert_ok!(submit(5, p(103), feeder));
		}
		assert_eq!((last_price().price, last_price().status), (p(103), PriceStatus::Fresh));
		System::assert_has_event(Event::MarketFresh { market: BTC }.into());
	});
}

#[test]
fn a_full_quorum_ends_a_degraded_period_with_market_fresh() {
	new_test_ext().execute_with(|| {
		two_feeders_left();
		assert_ok!(submit(2, p(100), alice()));
		assert_ok!(submit(2, p(100), bob()));
		run_to_block(12);
		assert_eq!(last_price().status, PriceStatus::Degraded);
		run_to_block(13);
		for feeder in [bob(), charlie(), dave()] {
			assert_ok!(submit(3, p(99), feeder));
		}
		assert_eq!((last_price().price, last_price().status), (p(99), PriceStatus::Fresh));
		System::assert_has_event(Event::MarketFresh { market: BTC }.into());
		assert!(!System::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::PriceOracle(Event::DegradedRound { .. })
		)));
	});
}

#[test]
fn a_degraded_round_needs_half_the_feeders_all_agreeing() {
	new_test_ext().execute_with(|| {
		two_feeders_left();
		let abandoned = |round: u32, reports: u32, at: u64| {
			run_to_block(at - 1);
			assert_eq!(Rounds::<Test>::get(BTC).unwrap().round, round);
			run_to_block(at);
			System::assert_has_event(Event::RoundAbandoned { market: BTC, round, reports }.into());
			assert_eq!((last_price().price, last_price().status), (p(100), PriceStatus::Stale));
		};
		// One feeder alone (of four) is not half: it waits, then times out.
		assert_ok!(submit(2, p(100), alice()));
		abandoned(2, 1, 16);
		// An honest feeder and a 10x liar: the liar blocks the round instead of moving the
		// price to 550.
		assert_ok!(submit(3, p(100), alice()));
		assert_ok!(submit(3, p(1_000), bob()));
		abandoned(3, 2, 21);
		// 100 and 102.2: a spread of 1.09%, beyond the 1% bound.
		assert_ok!(submit(4, p(100), alice()));
		assert_ok!(submit(4, FixedU128::from_rational(1_022, 10), bob()));
		abandoned(4, 2, 26);
		// Three of four, one of them 10% off: the spread is 0, but one is an outlier.
		Params::<Test>::mutate(|params| params.quorum_numerator = 3);
		assert_eq!(math::quorum(4, 3, 3), 4);
		assert_ok!(submit(5, p(100), alice()));
		assert_ok!(submit(5, p(100), bob()));
		assert_ok!(submit(5, p(110), charlie()));
		abandoned(5, 3, 31);
		assert_eq!(price_updates(), vec![(BTC, p(100))]);
		for feeder in [alice(), bob()] {
			assert_eq!(FeederRecord::<Test>::get(feeder), FeederStats { reports: 1, outliers: 0 });
		}
	});
}

/// The limit of the rule, shown rather than hidden: beside one honest feeder, a liar moves a
/// degraded price by up to the spread bound (1%): at most half their distance, which is at
/// most twice the bound.
#[test]
fn a_liar_beside_one_honest_feeder_moves_a_degraded_price_by_at_most_the_spread_bound() {
	new_test_ext().execute_with(|| {
		two_feeders_left();
		// 100 and 101.9: spread 0.95 / 100.95 = 0.94%: closes at 100.95, 0.95% above honest.
		assert_ok!(submit(2, p(100), alice()));
		assert_ok!(submit(2, FixedU128::from_rational(1_019, 10), bob()));
		run_to_block(12);
		let price = last_price();
		assert_eq!(
			(price.price, price.status),
			(FixedU128::from_rational(10_095, 100), PriceStatus::Degraded)
		);
		assert_eq!(price.spread, Perbill::from_rational(95u32, 10_095));
		// One step further (102.1 against 100: 1.04%) and the round is abandoned.
		assert_ok!(submit(3, p(100), alice()));
		assert_ok!(submit(3, FixedU128::from_rational(1_021, 10), bob()));
		run_to_block(17);
		System::assert_has_event(
			Event::RoundAbandoned { market: BTC, round: 3, reports: 2 }.into(),
		);
		assert_eq!(last_price().price, FixedU128::from_rational(10_095, 100));
	});
}

#[test]
fn every_eligible_market_closes_in_one_pass_and_the_pass_pays_for_each() {
	new_test_ext().execute_with(|| {
		const ETH: MarketId = 1;
		assert_ok!(PriceOracle::set_feed(RuntimeOrigin::root(), ETH, btc_feed()));
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder.clone()));
			assert_ok!(submit_for(ETH, 1, p(3_000), feeder));
		}
		run_to_block(11);
		for feeder in [alice(), bob()] {
			assert_ok!(submit(2, p(100), feeder.clone()));
			assert_ok!(submit_for(ETH, 2, p(3_000), feeder));
		}
		System::set_block_number(12);
		let pass = <PriceOracle as frame_support::traits::Hooks<u64>>::on_initialize(12);
		let two_closes = <() as WeightInfo>::on_initialize(2)
			.saturating_add(PriceOracle::max_aggregate_weight().saturating_mul(2));
		assert_eq!(pass, two_closes);
		assert_eq!(max_aggregate_weight_parts(), (40_000_000 + 5_000_000 * 8 + 1_000_000, 0));
		for market in [BTC, ETH] {
			let price = Prices::<Test>::get(market).unwrap();
			assert_eq!((price.status, price.updated_at), (PriceStatus::Degraded, 11));
		}
		assert_ok!(PriceOracle::do_try_state());
		// A pass with nothing to close costs the pass alone.
		System::set_block_number(13);
		let pass = <PriceOracle as frame_support::traits::Hooks<u64>>::on_initialize(13);
		assert_eq!(pass, <() as WeightInfo>::on_initialize(2));
	});
}

fn max_aggregate_weight_parts() -> (u64, u64) {
	let weight = PriceOracle::max_aggregate_weight();
	(weight.ref_time(), weight.proof_size())
}

#[test]
fn twap_and_volatility_match_hand_computed_values() {
	new_test_ext().execute_with(|| {
		let params = OracleParams {
			twap_window: 10,
			volatility_decay: Permill::from_percent(90),
			..Params::<Test>::get()
		};
		assert_ok!(PriceOracle::set_params(RuntimeOrigin::root(), params));
		let aggregate = |round: u32, price: FixedU128| {
			for feeder in [alice(), bob(), charlie()] {
				assert_ok!(submit(round, price, feeder));
			}
		};
		// Block 1: 100. First aggregate: TWAP = price, variance 0.
		aggregate(1, p(100));
		assert_eq!((last_price().twap, last_price().variance), (p(100), FixedU128::zero()));
		// Block 3: 110. TWAP: 100 held 2 of 10 blocks -> (100*8 + 100*2)/10 = 100.
		// Variance: r = 0.1, r^2 / 2 blocks = 0.005; 0.9*0 + 0.1*0.005 = 0.0005.
		run_to_block(3);
		aggregate(2, p(110));
		assert_eq!(last_price().twap, p(100));
		assert_eq!(last_price().variance, FixedU128::from_rational(5, 10_000));
		// Block 4: 99. TWAP: 110 held 1 block -> (100*9 + 110*1)/10 = 101.
		// Variance: r = 11/110 = 0.1, r^2 = 0.01; 0.9*0.0005 + 0.1*0.01 = 0.00145.
		run_to_block(4);
		aggregate(3, p(99));
		assert_eq!(PriceOracle::twap(BTC), Some(p(101)));
		assert_eq!(last_price().variance, FixedU128::from_rational(145, 100_000));
		// Volatility = sqrt(0.00145) = 0.038078865529319...
		let volatility = PriceOracle::volatility(BTC).unwrap();
		let expected = FixedU128::from_inner(38_078_865_529_319_000);
		let error =
			if volatility > expected { volatility - expected } else { expected - volatility };
		assert!(error < FixedU128::from_inner(1_000), "volatility {volatility:?}");
	});
}

#[test]
fn an_aggregate_hands_over_the_round_block_and_volatility_the_oracle_then_reports() {
	new_test_ext().execute_with(|| {
		let params = OracleParams {
			round_timeout: 2,
			volatility_decay: Permill::from_percent(75),
			..Params::<Test>::get()
		};
		assert_ok!(PriceOracle::set_params(RuntimeOrigin::root(), params));
		// Block 1, round 1: the first aggregate has no change behind it: volatility 0.
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder));
		}
		let first = Aggregate {
			price: p(100),
			round: 1,
			block: 1,
			volatility: FixedU128::zero(),
			spread: Perbill::zero(),
			wide: false,
		};
		assert_eq!(aggregates(), vec![(BTC, first)]);
		// Round 2 opens in block 2 without a quorum and is abandoned at the start of block 4.
		run_to_block(2);
		assert_ok!(submit(2, p(100), alice()));
		run_to_block(5);
		// Block 5, round 3: 100 -> 120 over 4 blocks: r = 0.2, r^2 / 4 = 0.01;
		// variance 0.75*0 + 0.25*0.01 = 0.0025, volatility sqrt(0.0025) = 0.05.
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(3, p(120), feeder));
		}
		let second = Aggregate {
			price: p(120),
			round: 3,
			block: 5,
			volatility: FixedU128::from_rational(5, 100),
			spread: Perbill::zero(),
			wide: false,
		};
		assert_eq!(aggregates(), vec![(BTC, first), (BTC, second)]);
		assert_eq!(price_updates(), vec![(BTC, p(100)), (BTC, p(120))]);
		// The oracle then reports exactly what it handed over.
		let stored = last_price();
		assert_eq!((stored.price, stored.round, stored.updated_at), (p(120), 3, 5));
		assert_eq!(stored.variance, FixedU128::from_rational(25, 10_000));
		assert_eq!(PriceOracle::volatility(BTC), Some(FixedU128::from_rational(5, 100)));
		let info = PriceOracle::price(BTC).unwrap();
		assert_eq!((info.price, info.updated_at, info.age), (p(120), 5, 0));
	});
}

#[test]
fn each_round_records_its_spread_and_a_wide_round_is_flagged() {
	new_test_ext().execute_with(|| {
		// 100, 101, 99: deviations 0, 1, 1 -> MAD 1 -> 1%: at the bound, not beyond it.
		for (feeder, price) in [(alice(), p(100)), (bob(), p(101)), (charlie(), p(99))] {
			assert_ok!(submit(1, price, feeder));
		}
		assert_eq!(last_price().spread, Perbill::from_percent(1));
		assert_eq!(PriceOracle::price(BTC).unwrap().spread, Perbill::from_percent(1));
		assert_eq!(aggregates()[0].1.spread, Perbill::from_percent(1));
		assert!(!aggregates()[0].1.wide);
		System::assert_has_event(
			Event::PriceAggregated {
				market: BTC,
				round: 1,
				price: p(100),
				reports: 3,
				spread: Perbill::from_percent(1),
			}
			.into(),
		);
		// A lone liar (10x) among agreeing feeders does not widen a round.
		run_to_block(2);
		for (feeder, price) in [(alice(), p(100)), (bob(), p(1_000)), (charlie(), p(100))] {
			assert_ok!(submit(2, price, feeder));
		}
		assert_eq!(last_price().spread, Perbill::zero());
		// 90, 100, 112: deviations 10, 0, 12 -> MAD 10 -> 10%: wide.
		run_to_block(3);
		for (feeder, price) in [(alice(), p(90)), (bob(), p(100)), (charlie(), p(112))] {
			assert_ok!(submit(3, price, feeder));
		}
		let stored = last_price();
		assert_eq!((stored.price, stored.spread), (p(100), Perbill::from_percent(10)));
		let handed = aggregates()[2].1;
		assert_eq!((handed.spread, handed.wide), (Perbill::from_percent(10), true));
		System::assert_has_event(
			Event::WideRound { market: BTC, round: 3, spread: Perbill::from_percent(10) }.into(),
		);
		// The bound is governed, and must be above zero.
		let params = Params::<Test>::get();
		assert_noop!(
			PriceOracle::set_params(
				RuntimeOrigin::root(),
				OracleParams { max_spread: Perbill::zero(), ..params }
			),
			Error::<Test>::BadSpread
		);
	});
}

#[test]
fn governance_sets_feeds_feeders_and_params_with_bounds() {
	new_test_ext().execute_with(|| {
		let set = |feed: FeedOf<Test>| PriceOracle::set_feed(RuntimeOrigin::root(), 1, feed);
		assert_noop!(PriceOracle::set_feed(RuntimeOrigin::signed(1), 1, btc_feed()), BadOrigin);
		assert_noop!(
			set(FeedOf::<Test> { sources: Default::default(), ..btc_feed() }),
			Error::<Test>::NoSources
		);
		assert_noop!(
			set(FeedOf::<Test> { min_sources: 0, ..btc_feed() }),
			Error::<Test>::BadMinSources
		);
		assert_noop!(
			set(FeedOf::<Test> { min_sources: 4, ..btc_feed() }),
			Error::<Test>::BadMinSources
		);
		assert_noop!(
			set(FeedOf::<Test> { min_price: FixedU128::zero(), ..btc_feed() }),
			Error::<Test>::BadPriceBand
		);
		assert_noop!(
			set(FeedOf::<Test> { min_price: p(5), max_price: p(5), ..btc_feed() }),
			Error::<Test>::BadPriceBand
		);
		let mut bad_url = btc_feed();
		bad_url.sources[1] = source("ftp://example.test/price", "price");
		assert_noop!(set(bad_url), Error::<Test>::BadUrl);
		let mut spaced_url = btc_feed();
		spaced_url.sources[0] = source("http://a.test/p rice", "price");
		assert_noop!(set(spaced_url), Error::<Test>::BadUrl);
		let mut bad_path = btc_feed();
		bad_path.sources[2] = source("http://a.test/", "data..amount");
		assert_noop!(set(bad_path), Error::<Test>::BadPricePath);
		assert_noop!(
			set(FeedOf::<Test> { symbol: Default::default(), ..btc_feed() }),
			Error::<Test>::BadSymbol
		);
		// MaxMarkets = 3: markets 1 and 2 fit next to BTC, a fourth does not.
		assert_ok!(set(btc_feed()));
		assert_ok!(PriceOracle::set_feed(RuntimeOrigin::root(), 2, btc_feed()));
		assert_noop!(
			PriceOracle::set_feed(RuntimeOrigin::root(), 3, btc_feed()),
			Error::<Test>::TooManyMarkets
		);
		// Replacing an existing feed is not a new market.
		assert_ok!(PriceOracle::set_feed(RuntimeOrigin::root(), 2, btc_feed()));

		// Params out of bounds.
		let good = Params::<Test>::get();
		let set_params = |params| PriceOracle::set_params(RuntimeOrigin::root(), params);
		assert_noop!(set_params(OracleParams { stale_after: 0, ..good }), Error::<Test>::BadWindow);
		assert_noop!(set_params(OracleParams { twap_window: 0, ..good }), Error::<Test>::BadWindow);
		assert_noop!(
			set_params(OracleParams { report_interval: 14_401, ..good }),
			Error::<Test>::BadWindow
		);
		assert_noop!(
			set_params(OracleParams { quorum_numerator: 0, ..good }),
			Error::<Test>::BadQuorum
		);
		assert_noop!(
			set_params(OracleParams { quorum_numerator: 4, quorum_denominator: 3, ..good }),
			Error::<Test>::BadQuorum
		);
		assert_noop!(
			set_params(OracleParams { volatility_decay: Permill::one(), ..good }),
			Error::<Test>::BadDecay
		);
		assert_noop!(
			set_params(OracleParams { http_deadline_ms: 50, ..good }),
			Error::<Test>::BadDeadline
		);
		assert_noop!(PriceOracle::set_params(RuntimeOrigin::signed(1), good), BadOrigin);

		// Feeders.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), alice()),
			Error::<Test>::AlreadyFeeder
		);
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), eve()),
			Error::<Test>::NotFeeder
		);
		assert_noop!(PriceOracle::add_feeder(RuntimeOrigin::signed(1), eve()), BadOrigin);
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), eve()));
		for seed in ["//F1", "//F2", "//F3"] {
			assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), key(seed)));
		}
		// MaxFeeders = 8.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), key("//F4")),
			Error::<Test>::TooManyFeeders
		);
		for feeder in [alice(), bob(), charlie(), dave(), eve(), key("//F1"), key("//F2")] {
			assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), feeder));
		}
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), key("//F3")),
			Error::<Test>::LastFeeder
		);
	});
}

#[test]
fn a_removed_feed_keeps_its_price_stale_and_takes_no_reports() {
	new_test_ext().execute_with(|| {
		for feeder in [alice(), bob(), charlie()] {
			assert_ok!(submit(1, p(100), feeder));
		}
		assert_ok!(submit(2, p(100), alice()));
		assert_noop!(
			PriceOracle::remove_feed(RuntimeOrigin::root(), 9),
			Error::<Test>::UnknownMarket
		);
		assert_ok!(PriceOracle::remove_feed(RuntimeOrigin::root(), BTC));
		assert_eq!(PriceOracle::price(BTC).unwrap().status, PriceStatus::Stale);
		assert_eq!(submit(2, p(100), bob()), Err(pool(1)));
		// Set again: numbering continues after the abandoned round 2.
		assert_ok!(PriceOracle::set_feed(RuntimeOrigin::root(), BTC, btc_feed()));
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().round, 3);
		assert_eq!(submit(2, p(100), bob()), Err(pool(3)));
	});
}

#[test]
fn a_removed_feeder_loses_its_vote_and_the_quorum_shrinks() {
	new_test_ext().execute_with(|| {
		assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), dave()));
		assert_eq!(submit(1, p(100), dave()), Err(pool(2)));
		// Three feeders: 2/3 of 3 = 2 reports.
		assert_ok!(submit(1, p(100), alice()));
		assert_ok!(submit(1, p(102), bob()));
		assert_eq!(last_price().price, p(101));
	});
}

// ---- offchain worker against mocked HTTP ----------------------------------------------------

struct Offchain {
	ext: sp_io::TestExternalities,
	state: std::sync::Arc<parking_lot::RwLock<testing::OffchainState>>,
	pool: std::sync::Arc<parking_lot::RwLock<testing::PoolState>>,
}

/// A node holding only Alice's oracle key, with mocked HTTP and a test pool.
fn offchain_node() -> Offchain {
	let mut ext = new_test_ext_with_keys(&["//Alice"]);
	let (offchain, state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	Offchain { ext, state, pool: pool_state }
}

fn binance(price: &str) -> Vec<u8> {
	format!(r#"{{"symbol":"BTCUSDT","price":"{price}"}}"#).into_bytes()
}
fn coinbase(price: &str) -> Vec<u8> {
	format!(r#"{{"data":{{"base":"BTC","currency":"USD","amount":"{price}"}}}}"#).into_bytes()
}
fn kraken(price: &str) -> Vec<u8> {
	format!(r#"{{"error":[],"result":{{"XXBTZUSD":{{"c":["{price}","0.01"]}}}}}}"#).into_bytes()
}

impl Offchain {
	fn expect(&self, url: &str, body: Vec<u8>) {
		self.state.write().expect_request(testing::PendingRequest {
			method: "GET".into(),
			uri: url.into(),
			response: Some(body),
			sent: true,
			..Default::default()
		});
	}

	/// Serves the three sources' answers, runs the worker, returns the submitted reports.
	fn run(&mut self, bodies: [Vec<u8>; 3]) -> Vec<(ReportOf<Test>, SignatureOf<Test>)> {
		for (url, body) in SOURCE_URLS.iter().zip(bodies) {
			self.expect(url, body);
		}
		self.run_worker()
	}

	fn run_worker(&mut self) -> Vec<(ReportOf<Test>, SignatureOf<Test>)> {
		self.ext.execute_with(|| PriceOracle::offchain_worker(System::block_number()));
		let submitted = std::mem::take(&mut self.pool.write().transactions);
		submitted
			.into_iter()
			.map(|bytes| {
				let xt = Extrinsic::decode(&mut &bytes[..]).expect("a valid extrinsic");
				assert!(
					matches!(xt.preamble, sp_runtime::generic::Preamble::General(..)),
					"an authorized general transaction"
				);
				match xt.function {
					RuntimeCall::PriceOracle(Call::submit_report { report, signature }) => {
						(report, signature)
					},
					other => panic!("unexpected call {other:?}"),
				}
			})
			.collect()
	}
}

#[test]
fn the_worker_reports_the_median_of_its_sources_with_a_valid_signature() {
	let mut node = offchain_node();
	let reports = node.run([binance("67000.00"), coinbase("67010.50"), kraken("66990.1")]);
	assert_eq!(reports.len(), 1);
	let (report, signature) = reports[0].clone();
	assert_eq!(report, PriceReport { market: BTC, round: 1, price: p(67_000), feeder: alice() });
	// The pool and the block take it: signed over this chain's genesis.
	node.ext.execute_with(|| {
		assert!(alice().verify(&PriceOracle::report_payload(&report), &signature));
		assert_ok!(submit_with(report, signature));
		assert_eq!(Rounds::<Test>::get(BTC).unwrap().reports.len(), 1);
	});
	// Alice has reported in round 1: the next run asks nobody and submits nothing.
	assert!(node.run_worker().is_empty());
}

#[test]
fn dead_and_lying_sources_are_skipped() {
	// A source that closes without a body is dead; two agreeing ones are enough.
	let mut node = offchain_node();
	let reports = node.run([binance("100"), Vec::new(), kraken("102")]);
	assert_eq!(reports[0].0.price, p(101));
	// A source lying 10x is dropped as an outlier: the median of the other two is reported.
	let mut node = offchain_node();
	let reports = node.run([binance("100"), coinbase("1000"), kraken("102")]);
	assert_eq!(reports[0].0.price, p(101));
}

#[test]
fn garbage_answers_are_skipped_without_panic() {
	let ten_megabytes = {
		let mut body = br#"{"price":""#.to_vec();
		body.resize(10 * 1024 * 1024, b'7');
		body.extend_from_slice(br#""}"#);
		body
	};
	let garbage: [Vec<u8>; 6] = [
		b"<html><body>502 Bad Gateway</body></html>".to_vec(),
		b"\x00\xff\xfe garbage".to_vec(),
		br#"{"price":"-67000"}"#.to_vec(),
		br#"{"price":"0"}"#.to_vec(),
		br#"{"price":"#.to_vec(),
		ten_megabytes,
	];
	for bad in garbage {
		// One bad source among two good ones: still a report.
		let mut node = offchain_node();
		let reports = node.run([bad.clone(), coinbase("100"), kraken("102")]);
		assert_eq!(reports.len(), 1);
		assert_eq!(reports[0].0.price, p(101));
		// Two bad sources: fewer than min_sources (2) answered, no report.
		let mut node = offchain_node();
		let reports = node.run([bad.clone(), coinbase("100"), bad]);
		assert!(reports.is_empty());
	}
}

#[test]
fn too_few_agreeing_sources_means_no_report() {
	let mut node = offchain_node();
	// Two answer, but 100 and 1000 are each 82% from their median of 550.
	assert!(node.run([binance("100"), coinbase("1000"), Vec::new()]).is_empty());
	let mut node = offchain_node();
	assert!(node.run([Vec::new(), Vec::new(), Vec::new()]).is_empty());
}

#[test]
fn an_operator_override_points_one_source_elsewhere_on_this_node_only() {
	let mut node = offchain_node();
	let local = "http://127.0.0.1:8101/coinbase/v2/prices/BTC-USD/spot";
	node.ext.execute_with(|| {
		sp_io::offchain::local_storage_set(
			sp_core::offchain::StorageKind::PERSISTENT,
			&source_override_key(BTC, 1),
			local.as_bytes(),
		);
	});
	node.expect(SOURCE_URLS[0], binance("100"));
	node.expect(local, coinbase("101"));
	node.expect(SOURCE_URLS[2], kraken("102"));
	let reports = node.run_worker();
	assert_eq!(reports[0].0.price, p(101));
	// On chain the feed is unchanged.
	node.ext.execute_with(|| {
		assert_eq!(
			Feeds::<Test>::get(BTC).unwrap().sources[1].url.to_vec(),
			SOURCE_URLS[1].as_bytes()
		);
	});
}

#[test]
fn a_node_without_a_feeder_key_does_nothing() {
	let mut ext = new_test_ext_with_keys(&["//Eve"]);
	let (offchain, _state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	// No request is expected: an unexpected one would not be answered and fail the test.
	ext.execute_with(|| PriceOracle::offchain_worker(1));
	assert!(pool_state.read().transactions.is_empty());
}

#[test]
fn the_worker_runs_only_every_report_interval() {
	let mut node = offchain_node();
	node.ext.execute_with(|| {
		let params = OracleParams { report_interval: 3, ..Params::<Test>::get() };
		assert_ok!(PriceOracle::set_params(RuntimeOrigin::root(), params));
		run_to_block(2);
	});
	// Block 2: 2 % 3 != 0, nothing asked.
	assert!(node.run_worker().is_empty());
	node.ext.execute_with(|| run_to_block(3));
	assert_eq!(node.run([binance("100"), coinbase("100"), kraken("100")]).len(), 1);
}

#[test]
fn signed_reports_never_panic_on_arbitrary_prices() {
	use proptest::prelude::*;
	// The band is [1, 10_000_000]: inner values [1e18, 1e25]. Three in four draws land inside it,
	// so the acceptance and aggregation paths run as often as the refusal path.
	let (low, high) =
		(FixedU128::from_u32(1).into_inner(), FixedU128::from_u32(10_000_000).into_inner());
	let price = prop_oneof![3 => low..=high, 1 => 1u128..u128::MAX];
	proptest!(ProptestConfig::with_cases(200), |(prices in proptest::collection::vec(price, 3))| {
		new_test_ext().execute_with(|| {
			for (price, feeder) in prices.iter().zip([alice(), bob(), charlie()]) {
				let in_band = (low..=high).contains(price);
				let outcome = submit(1, FixedU128::from_inner(*price), feeder);
				prop_assert_eq!(outcome, if in_band { Ok(()) } else { Err(pool(5)) });
			}
			// Three reports of four feeders make the quorum: the median is the price.
			if prices.iter().all(|price| (low..=high).contains(price)) {
				let mut sorted = prices.clone();
				sorted.sort();
				prop_assert_eq!(last_price().price, FixedU128::from_inner(sorted[1]));
			} else {
				prop_assert_eq!(Prices::<Test>::get(BTC), None);
			}
			PriceOracle::do_try_state().expect("invariants hold");
			Ok(())
		})?;
	});
}

#[test]
fn the_call_weight_covers_aggregation_at_max_feeders() {
	// `MaxFeeders` (8) feeders and a quorum of all of them: the last report aggregates the
	// largest round there can be. Every report's actual weight must be within what the pool
	// and the block were told beforehand, and each is charged for what it did.
	let seeds = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie", "//One", "//Two"];
	new_test_ext_with_keys(&seeds).execute_with(|| {
		for seed in &seeds[4..] {
			assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), key(seed)));
		}
		assert_eq!(Feeders::<Test>::get().len(), 8, "the set is at MaxFeeders");
		let mut params = Params::<Test>::get();
		(params.quorum_numerator, params.quorum_denominator) = (1, 1);
		assert_ok!(PriceOracle::set_params(RuntimeOrigin::root(), params));

		let collect = <() as WeightInfo>::submit_report_collect();
		let aggregate_all = <() as WeightInfo>::submit_report_aggregate(8)
			.saturating_add(RecordUpdates::max_weight());
		for (index, seed) in seeds.iter().enumerate() {
			let feeder = key(seed);
			let report = report(1, p(100 + index as u64), feeder.clone());
			let call = Call::<Test>::submit_report { signature: sign(&report, &feeder), report };
			let declared = call.get_dispatch_info().call_weight;
			let post = call
				.dispatch_bypass_filter(frame_system::Origin::<Test>::Authorized.into())
				.expect("a valid report");
			let actual = post.actual_weight.expect("the call reports what it used");
			assert!(actual.all_lte(declared), "report {index}: {actual:?} > {declared:?}");
			let last = index + 1 == seeds.len();
			assert_eq!(actual, if last { aggregate_all } else { collect });
		}
		// The eighth report closed the round with all eight: 100..=107, an even count, so the
		// median is the mean of the middle two, 103.5.
		assert_eq!(last_price().reports, 8);
		assert_eq!(last_price().price, FixedU128::from_rational(207, 2));
	});
}

#[test]
fn the_feeders_follow_the_validator_set_the_session_hands_over() {
	use frame_support::traits::OneSessionHandler;
	new_test_ext().execute_with(|| {
		let accounts = [1u64, 2, 3];
		let session = |keys: Vec<crypto::Public>| accounts.iter().zip(keys);
		// Genesis: the validators' oracle keys become the feeders, sorted.
		<PriceOracle as OneSessionHandler<u64>>::on_genesis_session(session(vec![
			charlie(),
			alice(),
			bob(),
		]));
		let mut expected = vec![alice(), bob(), charlie()];
		expected.sort();
		assert_eq!(Feeders::<Test>::get().into_inner(), expected);
		// A session whose set did not change changes nothing.
		<PriceOracle as OneSessionHandler<u64>>::on_new_session(
			false,
			session(vec![eve()]),
			session(vec![eve()]),
		);
		assert_eq!(Feeders::<Test>::get().into_inner(), expected);
		// A new set replaces the feeders, and says so.
		<PriceOracle as OneSessionHandler<u64>>::on_new_session(
			true,
			session(vec![dave(), eve()]),
			session(vec![dave(), eve()]),
		);
		let mut expected = vec![dave(), eve()];
		expected.sort();
		assert_eq!(Feeders::<Test>::get().into_inner(), expected);
		System::assert_last_event(Event::FeedersFollowValidators { feeders: 2 }.into());
	});
}
