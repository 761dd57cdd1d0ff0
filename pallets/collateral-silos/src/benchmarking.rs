//! Benchmarks of every call and of the per-block payout, for `benchmark pallet`.

use super::*;
use crate::Pallet as SilosPallet;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_runtime::Permill;

/// The asset, the account that funds benchmarks, and hooks a runtime provides.
pub trait BenchmarkHelper<AssetId, AccountId> {
	/// An existing collateral asset whose minimum balance is at most 100_000.
	fn asset() -> AssetId;
	/// Gives `who` `amount` of the asset.
	fn fund(asset: AssetId, who: &AccountId, amount: Balance);
	/// Makes the silo's withdrawals rate-limited (the breakers' job in a runtime).
	fn rate_limit(silo: SiloId);
}

fn params<T: Config>(asset: T::AssetId) -> SiloParams<BlockNumberFor<T>> {
	SiloParams {
		max_total_deposits: u128::MAX / 4,
		max_account_deposit: u128::MAX / 4,
		// The silo refuses a dust limit below the asset's own minimum balance.
		min_amount: T::Assets::minimum_balance(asset).max(1_000),
		insurance_target: 1_000_000,
		insurance_fee_share: Permill::from_percent(30),
		withdrawal_limit: Permill::from_percent(10),
		withdrawal_window: 10u32.into(),
		lp_cooldown: 0u32.into(),
		reserve_move: Permill::from_percent(20),
	}
}

fn silo_with_pool<T: Config>() -> (SiloId, T::AssetId) {
	let asset = T::BenchHelper::asset();
	let silo = NextSiloId::<T>::get();
	SilosPallet::<T>::create_silo(RawOrigin::Root.into(), asset, params::<T>(asset))
		.expect("benchmark silo");
	let lp: T::AccountId = account("lp", 0, 0);
	T::BenchHelper::fund(asset, &lp, 10_000_000_000);
	SilosPallet::<T>::add_liquidity(RawOrigin::Signed(lp).into(), silo, asset, 1_000_000_000, 0)
		.expect("benchmark pool");
	(silo, asset)
}

#[benchmarks(where T: Config<BenchHelper: BenchmarkHelper<T::AssetId, T::AccountId>>)]
mod benches {
	use super::*;

	#[benchmark]
	fn create_silo() {
		let asset = T::BenchHelper::asset();
		#[extrinsic_call]
		_(RawOrigin::Root, asset, params::<T>(asset));
		assert!(Silos::<T>::contains_key(0));
	}

	#[benchmark]
	fn set_silo_params() {
		let (silo, asset) = silo_with_pool::<T>();
		#[extrinsic_call]
		_(RawOrigin::Root, silo, params::<T>(asset));
	}

	#[benchmark]
	fn deposit_margin() {
		let (silo, asset) = silo_with_pool::<T>();
		let trader: T::AccountId = whitelisted_caller();
		T::BenchHelper::fund(asset, &trader, 1_000_000);
		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), silo, asset, 100_000);
		assert_eq!(Margin::<T>::get(silo, &trader).free, 100_000);
	}

	#[benchmark]
	fn withdraw_margin() {
		// The worst case: rate-limited, paid in part and queued in part.
		let (silo, asset) = silo_with_pool::<T>();
		let trader: T::AccountId = whitelisted_caller();
		T::BenchHelper::fund(asset, &trader, 1_000_000_000);
		SilosPallet::<T>::deposit_margin(
			RawOrigin::Signed(trader.clone()).into(),
			silo,
			asset,
			500_000_000,
		)
		.expect("deposit");
		T::BenchHelper::rate_limit(silo);
		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), silo, 200_000_000);
		assert_eq!(Margin::<T>::get(silo, &trader).free, 300_000_000);
	}

	#[benchmark]
	fn add_liquidity() {
		let (silo, asset) = silo_with_pool::<T>();
		let lp: T::AccountId = whitelisted_caller();
		T::BenchHelper::fund(asset, &lp, 1_000_000);
		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), silo, asset, 100_000, 1);
		assert!(LpShares::<T>::get(silo, &lp) > 0);
	}

	#[benchmark]
	fn request_liquidity_withdrawal() {
		// The worst case: a second request adding to the first.
		let (silo, _) = silo_with_pool::<T>();
		let lp: T::AccountId = account("lp", 0, 0);
		let held = LpShares::<T>::get(silo, &lp);
		SilosPallet::<T>::request_liquidity_withdrawal(
			RawOrigin::Signed(lp.clone()).into(),
			silo,
			held / 4,
		)
		.expect("first request");
		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), silo, held / 4);
		assert_eq!(LpShares::<T>::get(silo, &lp), held - held / 4 * 2);
	}

	#[benchmark]
	fn cancel_liquidity_withdrawal() {
		let (silo, _) = silo_with_pool::<T>();
		let lp: T::AccountId = account("lp", 0, 0);
		let held = LpShares::<T>::get(silo, &lp);
		SilosPallet::<T>::request_liquidity_withdrawal(
			RawOrigin::Signed(lp.clone()).into(),
			silo,
			held / 2,
		)
		.expect("request");
		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), silo);
		assert_eq!(LpShares::<T>::get(silo, &lp), held);
	}

	#[benchmark]
	fn claim_liquidity_withdrawal() {
		// The worst case: rate-limited, so what the claim pays is paid in part and queued in
		// part.
		let (silo, _) = silo_with_pool::<T>();
		let lp: T::AccountId = account("lp", 0, 0);
		let held = LpShares::<T>::get(silo, &lp);
		SilosPallet::<T>::request_liquidity_withdrawal(
			RawOrigin::Signed(lp.clone()).into(),
			silo,
			held / 5,
		)
		.expect("request");
		T::BenchHelper::rate_limit(silo);
		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), silo, 1);
		assert!(LpWithdrawals::<T>::get(silo, &lp).is_none());
	}

	#[benchmark]
	fn fund_insurance() {
		let (silo, asset) = silo_with_pool::<T>();
		let donor: T::AccountId = whitelisted_caller();
		T::BenchHelper::fund(asset, &donor, 1_000_000);
		#[extrinsic_call]
		_(RawOrigin::Signed(donor), silo, asset, 100_000);
	}

	/// A silo with a pool and an insurance fund winds down.
	#[benchmark]
	fn wind_down() {
		let (silo, asset) = silo_with_pool::<T>();
		let donor: T::AccountId = account("donor", 0, 0);
		T::BenchHelper::fund(asset, &donor, 10_000_000);
		SilosPallet::<T>::fund_insurance(RawOrigin::Signed(donor).into(), silo, asset, 1_000_000)
			.expect("benchmark insurance");
		#[extrinsic_call]
		_(RawOrigin::Root, silo);
		assert!(crate::Ends::<T>::contains_key(silo));
	}

	/// A wound-down silo whose LP left closes.
	#[benchmark]
	fn close_silo() {
		let (silo, _) = silo_with_pool::<T>();
		SilosPallet::<T>::wind_down(RawOrigin::Root.into(), silo).expect("winds down");
		let lp: T::AccountId = account("lp", 0, 0);
		let shares = LpShares::<T>::get(silo, &lp);
		SilosPallet::<T>::request_liquidity_withdrawal(
			RawOrigin::Signed(lp.clone()).into(),
			silo,
			shares,
		)
		.expect("request");
		SilosPallet::<T>::claim_liquidity_withdrawal(RawOrigin::Signed(lp.clone()).into(), silo, 0)
			.expect("claim");
		#[extrinsic_call]
		_(RawOrigin::Signed(lp), silo);
		assert!(matches!(crate::Ends::<T>::get(silo), Some(crate::SiloEnd::Closed { .. })));
	}

	#[benchmark]
	fn sweep_surplus() {
		let (silo, asset) = silo_with_pool::<T>();
		T::BenchHelper::fund(asset, &SilosPallet::<T>::account_of(silo), 500_000);
		#[extrinsic_call]
		_(RawOrigin::Root, silo);
	}

	#[benchmark]
	// `s` stops one short of MaxSilos: a runtime's genesis may already hold a silo. The weight
	// is linear in `s`, so the last one is extrapolated.
	fn pay_queued(
		s: Linear<1, { T::MaxSilos::get().saturating_sub(1) }>,
		p: Linear<0, { T::MaxPayoutsPerSilo::get() }>,
	) {
		// `s` silos with a queue of `p` entries each (and at least one), all payable now.
		for _ in 0..s {
			let (silo, asset) = silo_with_pool::<T>();
			for i in 0..p.max(1).min(T::MaxQueuedWithdrawals::get()) {
				let who: T::AccountId = account("trader", i, silo);
				T::BenchHelper::fund(asset, &who, 10_000_000);
				SilosPallet::<T>::deposit_margin(
					RawOrigin::Signed(who.clone()).into(),
					silo,
					asset,
					1_000_000,
				)
				.expect("deposit");
				WithdrawalQueue::<T>::mutate(silo, |queue| {
					queue.try_push(QueuedWithdrawal { who: who.clone(), amount: 1_000_000 })
				})
				.expect("room in the queue");
				Margin::<T>::mutate(silo, &who, |m| m.free = 0);
				Silos::<T>::mutate(silo, |state| {
					if let Some(state) = state {
						state.books.trader_free -= 1_000_000;
						state.books.queued += 1_000_000;
					}
				});
			}
			SilosWithQueue::<T>::mutate(|silos| silos.try_push(silo)).expect("room in the index");
		}
		#[block]
		{
			SilosPallet::<T>::on_initialize(frame_system::Pallet::<T>::block_number());
		}
	}

	#[benchmark]
	// `s` stops one short of MaxSilos, as for `pay_queued`.
	fn pay_claims(
		s: Linear<1, { T::MaxSilos::get().saturating_sub(1) }>,
		p: Linear<0, { T::MaxPayoutsPerSilo::get() }>,
	) {
		// `s` silos with `p` claims each (and at least one), all payable now.
		for _ in 0..s {
			let (silo, _) = silo_with_pool::<T>();
			let mut state = Silos::<T>::get(silo).expect("the silo");
			for i in 0..p.max(1) {
				let who: T::AccountId = account("winner", i, silo);
				SilosPallet::<T>::record_claim(silo, &mut state, &who, 1_000_000).expect("claim");
			}
			Silos::<T>::insert(silo, state);
		}
		let silos = NextSiloId::<T>::get();
		#[block]
		{
			for silo in 0..silos {
				SilosPallet::<T>::pay_claims(silo, T::MaxPayoutsPerSilo::get());
			}
		}
	}

	#[benchmark]
	fn check_books(s: Linear<1, { T::MaxSilos::get().saturating_sub(1) }>) {
		for _ in 0..s {
			silo_with_pool::<T>();
		}
		let silos = NextSiloId::<T>::get();
		#[block]
		{
			for silo in 0..silos {
				SilosPallet::<T>::check_books(silo);
			}
		}
	}

	impl_benchmark_test_suite!(SilosPallet, crate::mock::new_test_ext(), crate::mock::Test);
}
