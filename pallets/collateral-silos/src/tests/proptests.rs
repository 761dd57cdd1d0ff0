//! Property tests: random sequences of deposits, withdrawals, liquidity added, withdrawal
//! requests, cancellations and claims, PnL settlements (profits beyond the pool included),
//! fees, liquidations, the margin engine's marks and breaker changes across three silos (two of
//! them on the same asset).

use super::*;
use crate::{
	BooksMismatched, ClaimCursors, ProfitClaims, RateWindows, ReserveShort, SilosWithQueue,
};
use bulwark_primitives::PositionMarks;
use codec::Encode;
use frame_support::traits::Hooks;
use proptest::prelude::*;
use std::collections::BTreeMap;

const SILOS: u32 = 3;
/// Silo 0 and silo 2 hold the same asset; silo 1 another.
const ASSETS: [u32; 3] = [USD, EUR, USD];
const ACTORS: u128 = 6;

#[derive(Clone, Debug)]
enum Op {
	Deposit {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Withdraw {
		silo: u32,
		who: u128,
		amount: u128,
	},
	AddLiquidity {
		silo: u32,
		who: u128,
		amount: u128,
	},
	RequestWithdrawal {
		silo: u32,
		who: u128,
		percent: u8,
	},
	CancelWithdrawal {
		silo: u32,
		who: u128,
	},
	/// With `room`, the marks' reserve first set so that the pool has room for `room`% of
	/// what the request would be paid (a partial payment when below 100).
	ClaimWithdrawal {
		silo: u32,
		who: u128,
		min_amount: u128,
		room: Option<u8>,
	},
	Lock {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Release {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Profit {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Loss {
		silo: u32,
		who: u128,
		amount: u128,
	},
	/// A position closed at a loss: the trader's free margin, up to `amount`, locked, then the
	/// loss realized (which refills a pool that owes claims).
	LockAndLose {
		silo: u32,
		who: u128,
		amount: u128,
	},
	BadDebt {
		silo: u32,
		amount: u128,
	},
	Fee {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Liquidate {
		silo: u32,
		who: u128,
		keeper: u128,
		penalty: u128,
		reward: u128,
	},
	Insure {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Status {
		silo: u32,
		status: u8,
	},
	Marks {
		silo: u32,
		marks: PoolMarks,
	},
	Blocks {
		count: u64,
	},
}

/// Losses of positions that had their margin locked.
fn lock_and_lose() -> impl Strategy<Value = Op> {
	(0..SILOS, 1..=ACTORS, 0u128..10_000).prop_map(|(silo, who, amount)| Op::LockAndLose {
		silo,
		who,
		amount,
	})
}

/// Every operation, equally likely.
fn op() -> impl Strategy<Value = Op> {
	op_weighted(1, 1, 30_000, 50_000)
}

/// Every operation: adding liquidity, requesting and claiming withdrawals and running blocks
/// `liquidity` times as likely as the least likely; depositing and locking margin, profits and
/// losses `flow` times; the marks' figures below `marks_up_to`, profits and losses below
/// `pnl_up_to`.
fn op_weighted(
	liquidity: u32,
	flow: u32,
	marks_up_to: u128,
	pnl_up_to: u128,
) -> impl Strategy<Value = Op> {
	let silo = 0..SILOS;
	let who = 1..=ACTORS;
	// Small enough that no actor ever runs out of assets (60 ops x 10_000 < START): whether an
	// operation succeeds then depends only on its own silo.
	let amount = 0u128..10_000;
	// The reserve covers an adverse move: never less than what the winners are owed now.
	let marks =
		(0..marks_up_to, 0..marks_up_to, 0..marks_up_to).prop_map(|(owed, collectible, more)| {
			PoolMarks { owed, collectible, reserve: owed + more }
		});
	prop_oneof![
		flow => (silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Deposit {
			silo,
			who,
			amount
		}),
		1 => (silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Withdraw {
			silo,
			who,
			amount
		}),
		liquidity => (silo.clone(), who.clone(), amount.clone())
			.prop_map(|(silo, who, amount)| Op::AddLiquidity { silo, who, amount }),
		liquidity => (silo.clone(), who.clone(), 0u8..=100)
			.prop_map(|(silo, who, percent)| Op::RequestWithdrawal { silo, who, percent }),
		1 => (silo.clone(), who.clone()).prop_map(|(silo, who)| Op::CancelWithdrawal { silo, who }),
		liquidity => (
			silo.clone(),
			who.clone(),
			prop_oneof![3 => Just(0u128), 1 => 0u128..20_000],
			prop_oneof![2 => Just(None), 1 => (0u8..100).prop_map(Some)],
		)
			.prop_map(|(silo, who, min_amount, room)| Op::ClaimWithdrawal {
				silo,
				who,
				min_amount,
				room
			}),
		flow => (silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Lock {
			silo,
			who,
			amount
		}),
		1 => (silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Release {
			silo,
			who,
			amount
		}),
		flow => (silo.clone(), who.clone(), 0..pnl_up_to).prop_map(|(silo, who, amount)| Op::Profit {
			silo,
			who,
			amount
		}),
		flow => (silo.clone(), who.clone(), 0..pnl_up_to).prop_map(|(silo, who, amount)| Op::Loss {
			silo,
			who,
			amount
		}),
		1 => (silo.clone(), 0u128..5_000).prop_map(|(silo, amount)| Op::BadDebt { silo, amount }),
		1 => (silo.clone(), who.clone(), 0u128..2_000).prop_map(|(silo, who, amount)| Op::Fee {
			silo,
			who,
			amount
		}),
		1 => (silo.clone(), who.clone(), who.clone(), 0u128..2_000, 0u128..2_000).prop_map(
			|(silo, who, keeper, penalty, reward)| Op::Liquidate {
				silo,
				who,
				keeper,
				penalty,
				reward
			}
		),
		1 => (silo.clone(), who.clone(), amount.clone()).prop_map(|(silo, who, amount)| Op::Insure {
			silo,
			who,
			amount
		}),
		1 => (silo.clone(), 0u8..3).prop_map(|(silo, status)| Op::Status { silo, status }),
		liquidity => (silo.clone(), prop_oneof![Just(PoolMarks::default()), marks])
			.prop_map(|(silo, marks)| Op::Marks { silo, marks }),
		liquidity => (1..=COOLDOWN + 1).prop_map(|count| Op::Blocks { count }),
	]
}

/// What a successful operation did to value, for [`Model`]; `None` for what moves value only
/// inside its owner's wealth (margin in and out, locks, requests, blocks) or failed.
#[derive(Clone, Debug)]
enum Effect {
	/// Claims paid by the silos' insurance funds: (silo, amount).
	ClaimsFromInsurance {
		paid: Vec<(u32, u128)>,
	},
	/// Paid by `who` into `silo`'s pool.
	IntoPool {
		silo: u32,
		who: u128,
		amount: u128,
	},
	/// Paid out of `silo`'s pool to `who` (an LP's claim).
	OutOfPool {
		silo: u32,
		who: u128,
		amount: u128,
	},
	/// `who`'s profit: whether paid now or claimed, theirs.
	Profit {
		silo: u32,
		who: u128,
		amount: u128,
	},
	Loss {
		silo: u32,
		who: u128,
		settlement: LossSettlement,
	},
	BadDebt {
		silo: u32,
		settlement: LossSettlement,
	},
	Fee {
		silo: u32,
		who: u128,
		fee: u128,
	},
	Liquidation {
		silo: u32,
		who: u128,
		keeper: u128,
		penalty: u128,
		reward: u128,
	},
	Insure {
		silo: u32,
		who: u128,
		amount: u128,
	},
}

/// What an LP claim found before it ran, to check what it paid against.
struct ClaimTerms {
	request_value: u128,
	worth_now: u128,
	pool: u128,
	claims: u128,
	reserve: u128,
}

fn claim_terms(silo: u32, who: u128) -> Option<ClaimTerms> {
	let request = LpWithdrawals::<Test>::get(silo, who)?;
	let state = Silos::<Test>::get(silo)?;
	let marks = <MockMarks as PositionMarks>::marks(silo, Permill::zero());
	let value =
		crate::math::pool_value_for_withdrawal(state.books.pool, state.books.claims, &marks);
	Some(ClaimTerms {
		request_value: request.value,
		worth_now: crate::math::amount_for_shares(request.shares, state.books.total_shares, value)?,
		pool: state.books.pool,
		claims: state.books.claims,
		reserve: marks.reserve,
	})
}

/// One of `candidates` chosen by `choice` (an actor), so that operations on LP shares and
/// requests mostly find some; `choice` itself when there is none.
fn pick(candidates: impl Iterator<Item = u128>, choice: u128) -> u128 {
	let mut candidates: Vec<u128> = candidates.collect();
	candidates.sort();
	if candidates.is_empty() {
		choice
	} else {
		candidates[choice as usize % candidates.len()]
	}
}

/// With `across`, `silo` if `has` holds for it, else the next silo for which it does, else
/// `silo`; without, `silo`. (The isolation test must not let one silo's state choose which
/// silo an operation goes to.)
fn next_silo_where(across: bool, silo: u32, has: impl Fn(u32) -> bool) -> u32 {
	if !across {
		return silo;
	}
	(0..SILOS).map(|k| (silo + k) % SILOS).find(|s| has(*s)).unwrap_or(silo)
}

/// Applies one operation; failures are allowed (and must change nothing, which the
/// invariants then check). Returns what a successful one did to value. Requests, claims and
/// cancellations go to one of the silo's LPs that has shares or a request (those whose
/// cooldown is over first, for claims).
fn apply(op: &Op) -> Option<Effect> {
	apply_in(op, false)
}

/// [`apply`], but with `across`, a request, claim or cancellation in a silo with no shares or
/// request goes to the next silo that has some, so that more of them succeed.
fn apply_in(op: &Op, across: bool) -> Option<Effect> {
	match op.clone() {
		Op::Deposit { silo, who, amount } => {
			let _ = CollateralSilos::deposit_margin(
				RuntimeOrigin::signed(who),
				silo,
				ASSETS[silo as usize],
				amount,
			);
			None
		},
		Op::Withdraw { silo, who, amount } => {
			let _ = CollateralSilos::withdraw_margin(RuntimeOrigin::signed(who), silo, amount);
			None
		},
		Op::AddLiquidity { silo, who, amount } => CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(who),
			silo,
			ASSETS[silo as usize],
			amount,
			0,
		)
		.ok()
		.map(|_| Effect::IntoPool { silo, who, amount }),
		Op::RequestWithdrawal { silo, who, percent } => {
			let silo = next_silo_where(across, silo, |s| {
				LpShares::<Test>::iter_prefix(s).next().is_some()
			});
			let who = pick(LpShares::<Test>::iter_prefix(silo).map(|(lp, _)| lp), who);
			let shares = LpShares::<Test>::get(silo, who) * percent as u128 / 100;
			let _ = CollateralSilos::request_liquidity_withdrawal(
				RuntimeOrigin::signed(who),
				silo,
				shares,
			);
			None
		},
		Op::CancelWithdrawal { silo, who } => {
			let silo = next_silo_where(across, silo, |s| {
				LpWithdrawals::<Test>::iter_prefix(s).next().is_some()
			});
			let who = pick(LpWithdrawals::<Test>::iter_prefix(silo).map(|(lp, _)| lp), who);
			let _ = CollateralSilos::cancel_liquidity_withdrawal(RuntimeOrigin::signed(who), silo);
			None
		},
		Op::ClaimWithdrawal { silo, who, min_amount, room } => {
			let silo = next_silo_where(across, silo, |s| {
				LpWithdrawals::<Test>::iter_prefix(s).next().is_some()
			});
			// Those whose cooldown is over first.
			let now = System::block_number();
			let ready = || {
				LpWithdrawals::<Test>::iter_prefix(silo)
					.filter(move |(_, request)| request.ready_at <= now)
					.map(|(lp, _)| lp)
			};
			let who = if ready().next().is_some() {
				pick(ready(), who)
			} else {
				pick(LpWithdrawals::<Test>::iter_prefix(silo).map(|(lp, _)| lp), who)
			};
			if let (Some(percent), Some(terms)) = (room, claim_terms(silo, who)) {
				let owed = terms.worth_now.min(terms.request_value);
				let room = owed * percent as u128 / 100;
				let mut marks = <MockMarks as PositionMarks>::marks(silo, Permill::zero());
				marks.reserve = (terms.pool.saturating_sub(terms.claims)).saturating_sub(room);
				MockMarks::set(silo, marks);
			}
			let terms = claim_terms(silo, who);
			CollateralSilos::claim_liquidity_withdrawal(
				RuntimeOrigin::signed(who),
				silo,
				min_amount,
			)
			.ok()?;
			let amount = match System::events().last().map(|r| r.event.clone()) {
				Some(RuntimeEvent::CollateralSilos(Event::LiquidityRemoved { amount, .. })) => {
					amount
				},
				other => panic!("a claim ends with LiquidityRemoved, not {other:?}"),
			};
			// Never more than the shares were worth when asked, nor now, nor than the pool
			// holds beyond its claims and reserve; never less than the caller's limit.
			let terms = terms.expect("a claim that succeeded had a request");
			assert!(amount <= terms.request_value && amount <= terms.worth_now, "claim too big");
			assert!(terms.pool - amount >= terms.claims + terms.reserve, "claim ate the reserve");
			assert!(amount >= min_amount);
			Some(Effect::OutOfPool { silo, who, amount })
		},
		Op::Lock { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::lock_margin(silo, &who, amount);
			None
		},
		Op::Release { silo, who, amount } => {
			let _ = <CollateralSilos as SiloLedger<_>>::release_margin(silo, &who, amount);
			None
		},
		Op::Profit { silo, who, amount } => {
			let settlement =
				<CollateralSilos as SiloLedger<_>>::realize_profit(silo, &who, amount).ok()?;
			assert_eq!(settlement.paid + settlement.claimed, amount);
			Some(Effect::Profit { silo, who, amount })
		},
		Op::Loss { silo, who, amount } => {
			let settlement =
				<CollateralSilos as SiloLedger<_>>::realize_loss(silo, &who, amount).ok()?;
			let LossSettlement { from_margin, from_insurance, socialized } = settlement;
			assert_eq!(from_margin + from_insurance + socialized, amount);
			Some(Effect::Loss { silo, who, settlement })
		},
		Op::LockAndLose { silo, who, amount } => {
			let free = <CollateralSilos as SiloLedger<_>>::free_margin(silo, &who);
			let _ = <CollateralSilos as SiloLedger<_>>::lock_margin(silo, &who, free.min(amount));
			apply_in(&Op::Loss { silo, who, amount }, across)
		},
		Op::BadDebt { silo, amount } => {
			let settlement =
				<CollateralSilos as SiloLedger<_>>::cover_bad_debt(silo, amount).ok()?;
			Some(Effect::BadDebt { silo, settlement })
		},
		Op::Fee { silo, who, amount } => {
			<CollateralSilos as SiloLedger<_>>::charge_fee(silo, &who, amount).ok()?;
			Some(Effect::Fee { silo, who, fee: amount })
		},
		Op::Liquidate { silo, who, keeper, penalty, reward } => {
			let (penalty, reward) = <CollateralSilos as SiloLedger<_>>::pay_liquidation(
				silo, &who, penalty, &keeper, reward,
			)
			.ok()?;
			Some(Effect::Liquidation { silo, who, keeper, penalty, reward })
		},
		Op::Insure { silo, who, amount } => CollateralSilos::fund_insurance(
			RuntimeOrigin::signed(who),
			silo,
			ASSETS[silo as usize],
			amount,
		)
		.ok()
		.map(|_| Effect::Insure { silo, who, amount }),
		Op::Status { silo, status } => {
			MockStatus::set(
				silo,
				[WithdrawalStatus::Normal, WithdrawalStatus::RateLimited, WithdrawalStatus::Frozen]
					[status as usize],
			);
			None
		},
		Op::Marks { silo, marks } => {
			MockMarks::set(silo, marks);
			None
		},
		Op::Blocks { count } => {
			let before = System::events().len();
			run_to_block(System::block_number() + count);
			let events = System::events();
			// Claims the insurance fund paid (the pool had nothing left) move value from it to
			// the LPs' side of the books; paid from the pool they move none.
			let paid: Vec<(u32, u128)> = events[before.min(events.len())..]
				.iter()
				.filter_map(|record| match record.event {
					RuntimeEvent::CollateralSilos(Event::ClaimPaid {
						silo,
						from_insurance,
						..
					}) if from_insurance > 0 => Some((silo, from_insurance)),
					_ => None,
				})
				.collect();
			(!paid.is_empty()).then_some(Effect::ClaimsFromInsurance { paid })
		},
	}
}

fn setup() {
	for asset in ASSETS {
		create(asset);
	}
}

/// The invariants as they would stand if the block ended now: the tripwire runs first (it
/// records whether each pool is short of its claims and reserve, which `try_state` accepts
/// only once recorded, as at the end of a real block), then `try_state`.
fn invariants_at_end_of_block() -> Result<(), sp_runtime::TryRuntimeError> {
	CollateralSilos::on_finalize(System::block_number());
	crate::mock::try_state()
}

/// Everything stored about one silo, encoded: its record, every trader's margin, LP's shares
/// and withdrawal request in it, its claims, its queue, its window, its tripwire flags, and
/// what its account holds.
fn silo_storage(silo: u32) -> Vec<u8> {
	let sorted = |mut entries: Vec<(u128, Vec<u8>)>| {
		entries.sort();
		entries.encode()
	};
	let mut bytes = Silos::<Test>::get(silo).encode();
	bytes.extend(sorted(Margin::<Test>::iter_prefix(silo).map(|(k, v)| (k, v.encode())).collect()));
	bytes.extend(sorted(
		LpShares::<Test>::iter_prefix(silo).map(|(k, v)| (k, v.encode())).collect(),
	));
	bytes.extend(sorted(
		LpWithdrawals::<Test>::iter_prefix(silo).map(|(k, v)| (k, v.encode())).collect(),
	));
	bytes.extend(sorted(
		ProfitClaims::<Test>::iter_prefix(silo).map(|(k, v)| (k as u128, v.encode())).collect(),
	));
	bytes.extend(ClaimCursors::<Test>::get(silo).encode());
	bytes.extend(WithdrawalQueue::<Test>::get(silo).encode());
	bytes.extend(RateWindows::<Test>::get(silo).encode());
	bytes.extend(SilosWithQueue::<Test>::get().contains(&silo).encode());
	bytes.extend(BooksMismatched::<Test>::contains_key(silo).encode());
	bytes.extend(ReserveShort::<Test>::contains_key(silo).encode());
	bytes.extend(
		Assets::balance(ASSETS[silo as usize], crate::Pallet::<Test>::account_of(silo)).encode(),
	);
	bytes
}

/// Who owns what, as the test expects it, from the effects of the operations alone.
///
/// - An actor's wealth in an asset: what they hold of it outside the silos, plus, in every
///   silo of that asset, their free and locked margin, their queued withdrawals and their
///   unpaid claims. LP shares are not counted: liquidity added leaves the wealth for the pool,
///   a claim paid comes back from it. Only value-moving effects change it; moving margin in or
///   out, locking it, paying claims or queued withdrawals must not.
/// - A silo's LP equity: its pool less its claims (negative while claims exceed the pool), so
///   a profit is taken from the LPs in full when realized, paid or not.
/// - A silo's insurance fund.
struct Model {
	wealth: BTreeMap<(u128, u32), i128>,
	equity: [i128; SILOS as usize],
	insurance: [i128; SILOS as usize],
	fee_share: Permill,
}

fn asset_of(silo: u32) -> u32 {
	ASSETS[silo as usize]
}

impl Model {
	fn new() -> Self {
		let mut wealth = BTreeMap::new();
		for who in 1..=ACTORS {
			for asset in [USD, EUR] {
				wealth.insert((who, asset), START as i128);
			}
		}
		Self {
			wealth,
			equity: [0; SILOS as usize],
			insurance: [0; SILOS as usize],
			fee_share: params().insurance_fee_share,
		}
	}

	fn credit(&mut self, who: u128, silo: u32, amount: u128) {
		*self.wealth.get_mut(&(who, asset_of(silo))).expect("an actor") += amount as i128;
	}

	fn debit(&mut self, who: u128, silo: u32, amount: u128) {
		*self.wealth.get_mut(&(who, asset_of(silo))).expect("an actor") -= amount as i128;
	}

	fn apply(&mut self, effect: Effect) {
		match effect {
			Effect::IntoPool { silo, who, amount } => {
				self.debit(who, silo, amount);
				self.equity[silo as usize] += amount as i128;
			},
			Effect::OutOfPool { silo, who, amount } => {
				self.credit(who, silo, amount);
				self.equity[silo as usize] -= amount as i128;
			},
			Effect::Profit { silo, who, amount } => {
				self.credit(who, silo, amount);
				self.equity[silo as usize] -= amount as i128;
			},
			Effect::Loss { silo, who, settlement } => {
				self.debit(who, silo, settlement.from_margin);
				self.equity[silo as usize] +=
					(settlement.from_margin + settlement.from_insurance) as i128;
				self.insurance[silo as usize] -= settlement.from_insurance as i128;
			},
			Effect::BadDebt { silo, settlement } => {
				self.equity[silo as usize] += settlement.from_insurance as i128;
				self.insurance[silo as usize] -= settlement.from_insurance as i128;
			},
			Effect::Fee { silo, who, fee } => {
				let to_insurance = self.fee_share.mul_floor(fee);
				self.debit(who, silo, fee);
				self.equity[silo as usize] += (fee - to_insurance) as i128;
				self.insurance[silo as usize] += to_insurance as i128;
			},
			Effect::Liquidation { silo, who, keeper, penalty, reward } => {
				self.debit(who, silo, penalty + reward);
				self.credit(keeper, silo, reward);
				self.insurance[silo as usize] += penalty as i128;
			},
			Effect::ClaimsFromInsurance { paid } => {
				for (silo, amount) in paid {
					self.equity[silo as usize] += amount as i128;
					self.insurance[silo as usize] -= amount as i128;
				}
			},
			Effect::Insure { silo, who, amount } => {
				self.debit(who, silo, amount);
				self.insurance[silo as usize] += amount as i128;
			},
		}
	}

	/// The chain's figures against the model's, and every unit of every asset accounted for.
	fn check(&self) -> Result<(), TestCaseError> {
		let mut actual: BTreeMap<(u128, u32), i128> = BTreeMap::new();
		for who in 1..=ACTORS {
			for asset in [USD, EUR] {
				actual.insert((who, asset), Assets::balance(asset, who) as i128);
			}
		}
		for silo in 0..SILOS {
			let asset = asset_of(silo);
			for (who, account) in Margin::<Test>::iter_prefix(silo) {
				*actual.entry((who, asset)).or_default() += account.total() as i128;
			}
			for entry in WithdrawalQueue::<Test>::get(silo) {
				*actual.entry((entry.who, asset)).or_default() += entry.amount as i128;
			}
			for (_, claim) in ProfitClaims::<Test>::iter_prefix(silo) {
				*actual.entry((claim.who, asset)).or_default() += claim.amount as i128;
			}
			let books = books(silo);
			prop_assert_eq!(
				books.pool as i128 - books.claims as i128,
				self.equity[silo as usize],
				"LP equity of silo {}",
				silo
			);
			prop_assert_eq!(books.insurance as i128, self.insurance[silo as usize]);
			let held = Assets::balance(asset, crate::Pallet::<Test>::account_of(silo));
			prop_assert_eq!(held, books.held(), "silo {} holds what its books say", silo);
		}
		prop_assert_eq!(&actual, &self.wealth);
		// Every unit of each asset is with an account or a silo: none created, none lost.
		for asset in [USD, EUR] {
			let accounts: u128 = (1..=10u128).map(|who| Assets::balance(asset, who)).sum();
			let silos: u128 = (0..SILOS)
				.filter(|silo| asset_of(*silo) == asset)
				.map(|silo| Assets::balance(asset, crate::Pallet::<Test>::account_of(silo)))
				.sum();
			prop_assert_eq!(accounts + silos, 10 * START);
			prop_assert_eq!(Assets::total_issuance(asset), 10 * START);
		}
		Ok(())
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

	/// After every operation the books of every silo match its account exactly, margins,
	/// shares and claims add up, and no asset is created or destroyed.
	#[test]
	fn invariants_hold_after_every_operation(ops in prop::collection::vec(op(), 1..60)) {
		new_test_ext().execute_with(|| {
			setup();
			let issuance = (Assets::total_issuance(USD), Assets::total_issuance(EUR));
			for op in &ops {
				apply(op);
				prop_assert_eq!(invariants_at_end_of_block(), Ok(()), "after {:?}", op);
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
				invariants_at_end_of_block().expect("invariants hold");
				(silo_storage(1), silo_storage(2))
			})
		};
		prop_assert_eq!(run(true), run(false));
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

	/// Value is conserved with every claim counted: after every operation each actor owns
	/// exactly what the effects of the operations say (a profit the pool could not pay is
	/// theirs as a claim, to the unit, and paying it changes nothing they own), each pool less
	/// its claims is exactly what the LPs put in and the settlements gave and took, each silo's
	/// account holds exactly its books, every unit of each asset is somewhere, no LP claim paid
	/// more than its shares were worth when asked or now or ate into the claims and reserve,
	/// and the tripwire never fires on the pallet's own operations.
	#[test]
	fn value_is_conserved_counting_every_claim(
		ops in prop::collection::vec(prop_oneof![4 => op_weighted(6, 2, 5_000, 12_000), 1 => lock_and_lose()], 1..80),
	) {
		new_test_ext().execute_with(|| {
			setup();
			let mut model = Model::new();
			model.check()?;
			for op in &ops {
				if let Some(effect) = apply_in(op, true) {
					model.apply(effect);
				}
				prop_assert_eq!(invariants_at_end_of_block(), Ok(()), "after {:?}", op);
				model.check().map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
			}
			prop_assert!(
				!RecordEvents::take().iter().any(|e| matches!(e, SiloEvent::BooksMismatch(_))),
				"the tripwire fired"
			);
			for silo in 0..SILOS {
				prop_assert!(!BooksMismatched::<Test>::contains_key(silo));
			}
			Ok(())
		})?;
	}
}
