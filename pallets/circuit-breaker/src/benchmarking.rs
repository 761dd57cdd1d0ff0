//! Benchmarks of every call, of the hooks the oracle and the silos call, and of the
//! start-of-block pass over `MaxMarkets` markets and `MaxSilos` silos.

use super::*;
use bulwark_primitives::Aggregate;
use frame_benchmarking::v2::*;

/// Exactly `count` markets watched (genesis may have tracked some).
fn track_markets<T: Config>(count: u32) {
	let _ = Markets::<T>::clear(u32::MAX, None);
	for market in 0..count {
		Pallet::<T>::do_track_market(market).expect("within MaxMarkets");
	}
}

/// Exactly `count` silos watched.
fn track_silos<T: Config>(count: u32) {
	let _ = Silos::<T>::clear(u32::MAX, None);
	for silo in 0..count {
		Pallet::<T>::do_track_silo(silo).expect("within MaxSilos");
	}
}

/// A full band window of samples, none far enough to trip.
fn fill_samples<T: Config>(market: MarketId) {
	let samples = T::MaxBandSamples::get();
	Markets::<T>::mutate(market, |state| {
		if let Some(state) = state {
			for i in 0..samples {
				let _ = state.samples.try_push((i.into(), FixedU128::from_u32(100)));
			}
		}
	});
	Params::<T>::mutate(|params| params.band_window = samples.into());
	frame_system::Pallet::<T>::set_block_number(samples.into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn trip_market() -> Result<(), BenchmarkError> {
		track_markets::<T>(1);
		let origin =
			T::TripOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, MarketStatus::Halted);
		assert_eq!(Pallet::<T>::market_status(0), MarketStatus::Halted);
		Ok(())
	}

	#[benchmark]
	fn trip_silo() -> Result<(), BenchmarkError> {
		track_silos::<T>(1);
		let origin =
			T::TripOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, WithdrawalStatus::Frozen, true);
		assert_eq!(Pallet::<T>::withdrawal_status(0), WithdrawalStatus::Frozen);
		Ok(())
	}

	#[benchmark]
	fn declare_emergency() -> Result<(), BenchmarkError> {
		let origin =
			T::TripOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin);
		assert!(Emergency::<T>::get());
		Ok(())
	}

	#[benchmark]
	fn lift_market() -> Result<(), BenchmarkError> {
		track_markets::<T>(1);
		Markets::<T>::mutate(0, |state| {
			if let Some(state) = state {
				state.manual = MarketStatus::Halted;
			}
		});
		let origin =
			T::LiftOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert_eq!(Pallet::<T>::market_status(0), MarketStatus::Normal);
		Ok(())
	}

	#[benchmark]
	fn lift_silo() -> Result<(), BenchmarkError> {
		track_silos::<T>(1);
		let origin =
			T::LiftOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		Ok(())
	}

	#[benchmark]
	fn end_emergency() -> Result<(), BenchmarkError> {
		Emergency::<T>::put(true);
		let origin =
			T::LiftOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin);
		assert!(!Emergency::<T>::get());
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let params = BreakerParams { recovery_blocks: 30u32.into(), ..Params::<T>::get() };
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);
		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	#[benchmark]
	fn track_market() -> Result<(), BenchmarkError> {
		track_markets::<T>(T::MaxMarkets::get() - 1);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let market = T::MaxMarkets::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, market);
		assert!(Markets::<T>::contains_key(market));
		Ok(())
	}

	#[benchmark]
	fn untrack_market() -> Result<(), BenchmarkError> {
		track_markets::<T>(1);
		fill_samples::<T>(0);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert!(!Markets::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn track_silo() -> Result<(), BenchmarkError> {
		track_silos::<T>(T::MaxSilos::get() - 1);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let silo = T::MaxSilos::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, silo);
		assert!(Silos::<T>::contains_key(silo));
		Ok(())
	}

	#[benchmark]
	fn untrack_silo() -> Result<(), BenchmarkError> {
		track_silos::<T>(1);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert!(!Silos::<T>::contains_key(0));
		Ok(())
	}

	/// A full window of samples, and the new aggregate trips the band; the market's price guard
	/// holds it (a jump from its last aggregate), which flags the market and sets its anchor.
	#[benchmark]
	fn on_price_update() {
		track_markets::<T>(1);
		fill_samples::<T>(0);
		let hundred = FixedU128::from_u32(100);
		PriceGuards::<T>::insert(
			0,
			PriceGuard {
				reference: hundred,
				last: hundred,
				pending: None,
				long: hundred,
				short: hundred,
				anchor: None,
				held: 0,
			},
		);
		let aggregate = Aggregate {
			price: FixedU128::from_u32(1_000),
			round: 0,
			block: frame_system::Pallet::<T>::block_number(),
			volatility: FixedU128::zero(),
			spread: Default::default(),
			wide: false,
		};
		#[block]
		{
			Pallet::<T>::on_price_update(0, &aggregate);
		}
		assert_eq!(Markets::<T>::get(0).map(|m| m.automatic), Some(MarketStatus::ReduceOnly));
		assert_eq!(PriceGuards::<T>::get(0).and_then(|guard| guard.anchor), Some(hundred));
	}

	/// A notice that trips the silo: profit paid out (the heaviest: the window, the profit
	/// paid and the pool read), then bad debt; the bound of any one notice.
	#[benchmark]
	fn on_silo_event() {
		track_silos::<T>(1);
		#[block]
		{
			Pallet::<T>::on_profit_paid(0, 1);
			Pallet::<T>::on_bad_debt(0, 1);
		}
		assert_eq!(Pallet::<T>::withdrawal_status(0), WithdrawalStatus::RateLimited);
	}

	/// Every market moves (a stale oracle trips it) and every silo is re-evaluated.
	#[benchmark]
	fn on_initialize(m: Linear<0, { T::MaxMarkets::get() }>, s: Linear<0, { T::MaxSilos::get() }>) {
		// Markets the oracle has never priced are Stale: each trips.
		track_markets::<T>(0);
		for market in 0..m {
			Pallet::<T>::do_track_market(market + 1_000).expect("within MaxMarkets");
		}
		track_silos::<T>(s);
		let now: BlockNumberFor<T> = 1_000u32.into();
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
