//! Property tests: random sequences of deposits, withdrawals, liquidity changes, PnL
//! settlements, fees, liquidations and breaker changes across three silos (two of them on the
//! same asset).

use super::*;
use crate::{RateWindows, SilosWithQueue};
use codec::Encode;
use proptest::prelude::*;

const SILOS: u32 = 3;
/// Silo 0 and silo 2 hold the same asset; silo 1 another.
const ASSETS: [u32; 3] = [USD, EUR, USD];
const ACTORS: u128 = 6;

#[derive(Clone, Debug)]
enum Op {
	Deposit { silo: u32, who: u128, amount: u128 },
	Withdraw { silo: u32, who: u128, amount: u128 },
	AddLiquidity { silo: u32, who: u128, amount: u128 },
	RemoveLiquidity { silo: u32, who: u128, percent: u8 },
	Lock { silo: u32, who: u128, amount: u128 },
	Release { silo: u32, who: u128, amount: u128 },
	Profit { silo: u32, who: u128, amount: u128 },
	Loss { silo: u32, who: u128, amount: u128 },
	Fee { silo: u32, who: u128, amount: u128 },
	Liquidate { silo: u32, who: u128, keeper: u128, penalty: u128, reward: u128 },
	Insure { silo: u32, who: u128, amount: u128 },
	Status { silo: u32, status: u8 },
	Pnl { silo: u32, pnl: i128 },
	NextBlock,
}

fn op() -> impl Strategy<Value = Op> {
	let silo = 0..SILOS;
	let who = 1..=ACTORS;
	// Small enough that no actor ever runs out of assets (60 ops x 10_000 < START): whether an
	// operation succeeds then depends only on its own silo.
	let amount = 0u128..10_000;
	prop_oneof![
		(silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Deposit {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Withdraw {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), amount.clone())
			.prop_map(|(silo, who, amount)| Op::AddLiquidity { silo, who, amount }),
		(silo.clone(), who.clone(), 0u8..=100)
			.prop_map(|(silo, who, percent)| Op::RemoveLiquidity { silo, who, percent }),
		(silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Lock {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Release {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), 0u128..50_000).prop_map(|(silo, who, amount)| Op::Profit {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), 0u128..50_000).prop_map(|(silo, who, amount)| Op::Loss {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), 0u128..2_000).prop_map(|(silo, who, amount)| Op::Fee {
			silo,
			who,
			amount
		}),
		(silo.clone(), who.clone(), who.clone(), 0u128..2_000, 0u128..2_000).prop_map(
			|(silo, who, keeper, penalty, reward)| Op::Liquidate {
				silo,
				who,
				keeper,
				penalty,
				reward
			}
		),
		(silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Insure {
			silo,
			who,
			amount
		}),
		(silo.clone(), 0u8..3).prop_map(|(silo, status)| Op::Status { silo, status }),
		(silo.clone(), -30_000i128..30_000).prop_map(|(silo, pnl)| Op::Pnl { silo, pnl }),
		Just(Op::NextBlock),
	]
}

/// Applies one operation; failures are allowed (and must change nothing, which the
/// invariants then check).
fn apply(op: &Op) {
	match op.clone() {
		Op::Deposit { silo, who, amount } => {
			let _ = CollateralSilos::deposit_margin(
				RuntimeOrigin::signed(who),
				silo,
				ASSETS[silo as usize],
				amount,
			);
		},
		Op::Withdraw { silo, who, amount } => {
			let _ = CollateralSilos::withdraw_margin(RuntimeOrigin::signed(who), silo, amount);
		},
		Op::AddLiquidity { silo, who, amount } => {
			let _ = CollateralSilos::add_liquidity(
				RuntimeOrigin::signed(who),
				silo,
				ASSETS[silo as usize],
				amount,
			);
		},
		Op::RemoveLiquidity { silo, who, percent } => {
			let shares = LpShares::<Test>::get(silo, who) * percent as u128 / 100;
			let _ = CollateralSilos::remove_liquidity(RuntimeOrigin::signed(who), silo, shares);
		},
		Op::Lock { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::lock_margin(silo, &who, amount);
		},
		Op::Release { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::release_margin(silo, &who, amount);
		},
		Op::Profit { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::realize_profit(silo, &who, amount);
		},
		Op::Loss { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::realize_loss(silo, &who, amount);
		},
		Op::Fee { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::charge_fee(silo, &who, amount);
		},
		Op::Liquidate { silo, who, keeper, penalty, reward } => {
			let _ = <CollateralSilos as SiloLedger<_>>::pay_liquidation(
				silo, &who, penalty, &keeper, reward,
			);
		},
		Op::Insure { silo, who, amount } => {
			let _ = CollateralSilos::fund_insurance(
				RuntimeOrigin::signed(who),
				silo,
				ASSETS[silo as usize],
				amount,
			);
		},
		Op::Status { silo, status } => MockStatus::set(
			silo,
			[WithdrawalStatus::Normal, WithdrawalStatus::RateLimited, WithdrawalStatus::Frozen]
				[status as usize],
		),
		Op::Pnl { silo, pnl } => MockPnl::set(silo, pnl),
		Op::NextBlock => run_to_block(System::block_number() + 1),
	}
}

fn setup() {
	for asset in ASSETS {
		create(asset);
	}
}

/// Everything stored about one silo, encoded: its record, every trader's margin and LP's
/// shares in it, its queue, its window, and what its account holds.
fn silo_storage(silo: u32) -> Vec<u8> {
	let mut bytes = Silos::<Test>::get(silo).encode();
	let mut margins: Vec<_> = Margin::<Test>::iter_prefix(silo).collect();
	margins.sort_by_key(|(who, _)| *who);
	bytes.extend(margins.encode());
	let mut shares: Vec<_> = LpShares::<Test>::iter_prefix(silo).collect();
	shares.sort_by_key(|(who, _)| *who);
	bytes.extend(shares.encode());
	bytes.extend(WithdrawalQueue::<Test>::get(silo).encode());
	bytes.extend(RateWindows::<Test>::get(silo).encode());
	bytes.extend(SilosWithQueue::<Test>::get().contains(&silo).encode());
	bytes.extend(
		Assets::balance(ASSETS[silo as usize], crate::Pallet::<Test>::account_of(silo)).encode(),
	);
	bytes
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

	/// After every operation the books of every silo match its account exactly, margins and
	/// shares add up, and no asset is created or destroyed.
	#[test]
	fn invariants_hold_after_every_operation(ops in prop::collection::vec(op(), 1..60)) {
		new_test_ext().execute_with(|| {
			setup();
			let issuance = (Assets::total_issuance(USD), Assets::total_issuance(EUR));
			for op in &ops {
				apply(op);
				prop_assert_eq!(CollateralSilos::do_try_state(), Ok(()), "after {:?}", op);
			}
			prop_assert_eq!((Assets::total_issuance(USD), Assets::total_issuance(EUR)), issuance);
			Ok(())
		})?;
	}

	/// A shortfall in silo 0 (a loss far beyond the trader's margin and the insurance fund)
	/// leaves silos 1 and 2 byte-for-byte as a control run without it leaves them; silo 2 holds
	/// the same asset as silo 0.
	#[test]
	fn a_shortfall_in_one_silo_leaves_the_others_untouched(
		ops in prop::collection::vec(op(), 1..60),
		at in any::<prop::sample::Index>(),
		who in 1..=ACTORS,
	) {
		let at = at.index(ops.len() + 1);
		let run = |with_shortfall: bool| {
			new_test_ext().execute_with(|| {
				setup();
				for (i, op) in ops.iter().enumerate() {
					if with_shortfall && i == at {
						let _ = <CollateralSilos as SiloLedger<_>>::realize_loss(0, &who, 10_000_000);
					}
					apply(op);
				}
				if with_shortfall && at == ops.len() {
					let _ = <CollateralSilos as SiloLedger<_>>::realize_loss(0, &who, 10_000_000);
				}
				CollateralSilos::do_try_state().expect("invariants hold");
				(silo_storage(1), silo_storage(2))
			})
		};
		prop_assert_eq!(run(true), run(false));
	}
}
