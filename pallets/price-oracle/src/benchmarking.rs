//! Benchmarks of every call, of pool validation, of aggregation up to `MaxFeeders` reports, and
//! of the start-of-block pass over `MaxMarkets` feeds.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::Authorize;
use frame_system::RawOrigin;
use sp_runtime::{FixedPointNumber, Perbill, Permill};

/// A feed at the size limits: `MaxSources` sources, URLs and paths of maximum length.
fn max_feed<T: Config>() -> FeedOf<T> {
	let url_len = T::MaxUrlLen::get() as usize;
	let mut url = b"https://".to_vec();
	url.resize(url_len.max(8), b'a');
	let path_len = T::MaxPathLen::get() as usize;
	let path = vec![b'p'; path_len.max(1)];
	let source = Source {
		url: url.try_into().expect("sized to the bound"),
		price_path: path.try_into().expect("sized to the bound"),
	};
	let sources = vec![source; T::MaxSources::get() as usize];
	FeedConfig {
		symbol: b"BENCH-USD".to_vec().try_into().expect("short symbol"),
		min_sources: sources.len() as u32,
		sources: sources.try_into().expect("sized to the bound"),
		max_source_deviation: Perbill::from_percent(10),
		min_price: FixedU128::from_inner(1),
		max_price: FixedU128::saturating_from_integer(1_000_000_000u64),
	}
}

/// `count` feeder keys generated in the benchmark keystore, installed as the feeder set.
fn install_feeders<T: Config>(count: u32) -> Vec<T::AuthorityId> {
	let mut keys: Vec<T::AuthorityId> =
		(0..count).map(|_| T::AuthorityId::generate_pair(None)).collect();
	keys.sort();
	Feeders::<T>::put(BoundedVec::<_, T::MaxFeeders>::truncate_from(keys.clone()));
	keys
}

/// Every feeder must report before a round closes, so rounds can be filled to the maximum.
fn require_all_feeders<T: Config>() {
	Params::<T>::mutate(|params| {
		params.quorum_numerator = 1;
		params.quorum_denominator = 1;
	});
}

/// Market 0 with a feed, a previous aggregate from `blocks_ago`, and `reports` of `feeders`
/// already in the open round, alternating far from and at 100 so the aggregate has outliers.
fn market_with_round<T: Config>(feeders: &[T::AuthorityId], reports: usize) -> MarketId {
	let market = 0;
	Pallet::<T>::do_set_feed(market, max_feed::<T>()).expect("valid feed");
	let now = frame_system::Pallet::<T>::block_number();
	Prices::<T>::insert(
		market,
		MarketPrice {
			price: FixedU128::saturating_from_integer(90u32),
			round: 1,
			updated_at: now,
			timestamp: 0,
			reports: 1,
			twap: FixedU128::saturating_from_integer(95u32),
			variance: FixedU128::from_rational(1, 1000),
			status: PriceStatus::Stale,
			spread: Default::default(),
		},
	);
	let filled = feeders
		.iter()
		.take(reports)
		.enumerate()
		.map(|(i, feeder)| (feeder.clone(), FixedU128::saturating_from_integer(100 + 50 * (i % 2))))
		.collect::<Vec<_>>();
	Rounds::<T>::insert(
		market,
		OpenRound {
			round: 2,
			first_report_at: (!filled.is_empty()).then_some(now),
			reports: BoundedVec::truncate_from(filled),
		},
	);
	market
}

fn signed_report<T: Config>(
	market: MarketId,
	feeder: &T::AuthorityId,
) -> (ReportOf<T>, SignatureOf<T>) {
	let report = PriceReport {
		market,
		round: 2,
		price: FixedU128::saturating_from_integer(100u32),
		feeder: feeder.clone(),
	};
	let signature = feeder.sign(&Pallet::<T>::report_payload(&report)).expect("benchmark key");
	(report, signature)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn authorize_submit_report() -> Result<(), BenchmarkError> {
		let feeders = install_feeders::<T>(T::MaxFeeders::get());
		require_all_feeders::<T>();
		let market = market_with_round::<T>(&feeders, feeders.len() - 1);
		let last = feeders.last().expect("MaxFeeders > 0");
		let (report, signature) = signed_report::<T>(market, last);
		let call = Call::<T>::submit_report { report, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_report is authorized")?
				.map_err(|_| "a valid report")?;
		}
		Ok(())
	}

	#[benchmark]
	fn submit_report_collect() {
		let feeders = install_feeders::<T>(T::MaxFeeders::get());
		require_all_feeders::<T>();
		let reports = feeders.len().saturating_sub(2);
		let market = market_with_round::<T>(&feeders, reports);
		let (report, signature) = signed_report::<T>(market, &feeders[reports]);
		#[extrinsic_call]
		submit_report(RawOrigin::Authorized, report, signature);
		assert_eq!(Rounds::<T>::get(market).map(|r| r.reports.len()), Some(reports + 1));
	}

	#[benchmark]
	fn submit_report_aggregate(f: Linear<1, { T::MaxFeeders::get() }>) {
		let feeders = install_feeders::<T>(f);
		require_all_feeders::<T>();
		let market = market_with_round::<T>(&feeders, f as usize - 1);
		let (report, signature) = signed_report::<T>(market, &feeders[f as usize - 1]);
		#[extrinsic_call]
		submit_report(RawOrigin::Authorized, report, signature);
		assert_eq!(Prices::<T>::get(market).map(|p| p.reports), Some(f));
	}

	#[benchmark]
	fn set_feed() {
		let feed = max_feed::<T>();
		#[extrinsic_call]
		_(RawOrigin::Root, 0, feed);
		assert!(Feeds::<T>::contains_key(0));
	}

	#[benchmark]
	fn remove_feed() {
		let feeders = install_feeders::<T>(T::MaxFeeders::get());
		let market = market_with_round::<T>(&feeders, feeders.len() - 1);
		#[extrinsic_call]
		_(RawOrigin::Root, market);
		assert!(!Feeds::<T>::contains_key(market));
	}

	#[benchmark]
	fn add_feeder(f: Linear<1, { T::MaxFeeders::get() - 1 }>) {
		install_feeders::<T>(f);
		let new = T::AuthorityId::generate_pair(None);
		#[extrinsic_call]
		_(RawOrigin::Root, new);
		assert_eq!(Feeders::<T>::decode_len(), Some(f as usize + 1));
	}

	#[benchmark]
	fn remove_feeder(f: Linear<2, { T::MaxFeeders::get() }>) {
		let feeders = install_feeders::<T>(f);
		#[extrinsic_call]
		_(RawOrigin::Root, feeders[0].clone());
		assert_eq!(Feeders::<T>::decode_len(), Some(f as usize - 1));
	}

	#[benchmark]
	fn set_params() {
		let params = OracleParams {
			stale_after: 20u32.into(),
			volatility_decay: Permill::from_percent(90),
			..Params::<T>::get()
		};
		#[extrinsic_call]
		_(RawOrigin::Root, params);
		assert_eq!(Params::<T>::get(), params);
	}

	#[benchmark]
	fn on_initialize(m: Linear<0, { T::MaxMarkets::get() }>) {
		let feeders = install_feeders::<T>(T::MaxFeeders::get());
		for market in 0..m {
			Pallet::<T>::do_set_feed(market, max_feed::<T>()).expect("valid feed");
			Prices::<T>::insert(
				market,
				MarketPrice {
					price: FixedU128::one(),
					round: 1,
					updated_at: Zero::zero(),
					timestamp: 0,
					reports: 1,
					twap: FixedU128::one(),
					variance: FixedU128::zero(),
					status: PriceStatus::Fresh,
					spread: Default::default(),
				},
			);
			// One report 10x off: the round is eligible for a degraded close by everything but
			// agreement, so the pass does all the work of judging it (median, spread, outliers)
			// and then abandons it. A degraded close is charged on top, as a full aggregate.
			let mut reports =
				feeders.iter().map(|f| (f.clone(), FixedU128::one())).collect::<Vec<_>>();
			if let Some((_, price)) = reports.last_mut() {
				*price = FixedU128::from_u32(10);
			}
			Rounds::<T>::insert(
				market,
				OpenRound {
					round: 2,
					first_report_at: Some(Zero::zero()),
					reports: BoundedVec::truncate_from(reports),
				},
			);
		}
		// Late enough that every market turns Stale and every round times out.
		let now: BlockNumberFor<T> = 1_000u32.into();
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::check_markets(now);
		}
		for market in 0..m {
			assert_eq!(Prices::<T>::get(market).map(|p| p.status), Some(PriceStatus::Stale));
			assert_eq!(Rounds::<T>::get(market).map(|r| (r.round, r.reports.len())), Some((3, 0)));
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
