//! Weights of the silos pallet.
//!
//! INTERIM: these are not yet generated. They count each call's storage reads and writes (from
//! the code) at the runtime's `DbWeight` and add a fixed compute allowance of 100 µs per call and
//! 60 µs per queued payout, above the measured cost of comparable pallet-assets transfers. They
//! are to be replaced by `bulwark-node benchmark pallet --pallet pallet_collateral_silos` output
//! (the benchmarks in `benchmarking.rs` are the ones to run).

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn create_silo() -> Weight;
	fn set_silo_params() -> Weight;
	fn deposit_margin() -> Weight;
	fn withdraw_margin() -> Weight;
	fn add_liquidity() -> Weight;
	fn remove_liquidity() -> Weight;
	fn fund_insurance() -> Weight;
	fn sweep_surplus() -> Weight;
	/// The per-block payout of queued withdrawals: `s` silos with a queue, `p` payouts made.
	fn pay_queued(s: u32, p: u32) -> Weight;
}

const CALL_COMPUTE: u64 = 100_000_000;
const PAYOUT_COMPUTE: u64 = 60_000_000;
/// Proof size of one silo record and one asset account, rounded up.
const PROOF_PER_ITEM: u64 = 4_096;

/// Weights against the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

fn call<T: frame_system::Config>(reads: u64, writes: u64) -> Weight {
	Weight::from_parts(CALL_COMPUTE, reads.saturating_mul(PROOF_PER_ITEM))
		.saturating_add(T::DbWeight::get().reads_writes(reads, writes))
}

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_silo() -> Weight {
		// Asset details, NextSiloId, asset minimum balance | Silos, NextSiloId.
		call::<T>(3, 2)
	}
	fn set_silo_params() -> Weight {
		call::<T>(2, 1)
	}
	fn deposit_margin() -> Weight {
		// Silo, margin, asset details, two asset accounts | the same but asset details.
		call::<T>(5, 4)
	}
	fn withdraw_margin() -> Weight {
		// Silo, margin, queue, window, payout index, asset details, two asset accounts | all.
		call::<T>(8, 7)
	}
	fn add_liquidity() -> Weight {
		call::<T>(5, 4)
	}
	fn remove_liquidity() -> Weight {
		call::<T>(8, 7)
	}
	fn fund_insurance() -> Weight {
		call::<T>(4, 3)
	}
	fn sweep_surplus() -> Weight {
		call::<T>(2, 1)
	}
	fn pay_queued(s: u32, p: u32) -> Weight {
		// Index | per silo: silo, queue, window | per payout: two asset accounts, margin.
		let per_silo = T::DbWeight::get().reads_writes(3, 3);
		let per_payout = Weight::from_parts(PAYOUT_COMPUTE, 3 * PROOF_PER_ITEM)
			.saturating_add(T::DbWeight::get().reads_writes(3, 3));
		T::DbWeight::get()
			.reads(1)
			.saturating_add(per_silo.saturating_mul(s.into()))
			.saturating_add(per_payout.saturating_mul(p.into()))
	}
}

/// For tests: the same shape, against `()` database weights.
impl WeightInfo for () {
	fn create_silo() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn set_silo_params() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn deposit_margin() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn withdraw_margin() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn add_liquidity() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn remove_liquidity() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn fund_insurance() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn sweep_surplus() -> Weight {
		Weight::from_parts(CALL_COMPUTE, 0)
	}
	fn pay_queued(_s: u32, p: u32) -> Weight {
		Weight::from_parts(PAYOUT_COMPUTE.saturating_mul(p.into()), 0)
	}
}
