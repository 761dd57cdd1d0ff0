//! The pure rules of the breakers, with no storage and no runtime: how a breaker level moves
//! toward the level its conditions require (up at once, down one level per `recovery` clear
//! blocks: the hysteresis), when an aggregate is beyond the band, and which prices liquidations
//! may act on after an aggregate ([`next_guard`]).

use crate::PriceGuard;
use bulwark_primitives::{relative_deviation, MarketStatus, WithdrawalStatus};
use sp_runtime::{
	traits::{Saturating, Zero},
	FixedU128,
};

/// A breaker level that can step down toward Normal.
pub(crate) trait Level: Ord + Copy {
	fn one_down(self) -> Self;
}

impl Level for MarketStatus {
	fn one_down(self) -> Self {
		match self {
			MarketStatus::Halted => MarketStatus::ReduceOnly,
			_ => MarketStatus::Normal,
		}
	}
}

impl Level for WithdrawalStatus {
	fn one_down(self) -> Self {
		match self {
			WithdrawalStatus::Frozen => WithdrawalStatus::RateLimited,
			_ => WithdrawalStatus::Normal,
		}
	}
}

/// `true` (new risk blocked) is above `false`.
impl Level for bool {
	fn one_down(self) -> Self {
		false
	}
}

/// Moves `current` toward `required`: up at once; down one level only once `required` has been
/// below `current` for `recovery` blocks (counted again for each level). `None`: no move.
pub(crate) fn step<L: Level, B: Copy + Ord + Saturating>(
	current: L,
	required: L,
	clear_since: &mut Option<B>,
	now: B,
	recovery: B,
) -> Option<L> {
	if required > current {
		*clear_since = None;
		return Some(required);
	}
	if required == current {
		*clear_since = None;
		return None;
	}
	let since = *clear_since.get_or_insert(now);
	if now.saturating_sub(since) < recovery {
		return None;
	}
	let next = current.one_down().max(required);
	*clear_since = if next > required { Some(now) } else { None };
	Some(next)
}

/// Whether `price` is further than `max_move` (a fraction) from `reference`.
pub fn beyond_band(reference: FixedU128, price: FixedU128, max_move: FixedU128) -> bool {
	// A move too large to express as a ratio is beyond any band; a zero reference compares
	// with nothing.
	!reference.is_zero()
		&& relative_deviation(price, reference).is_none_or(|moved| moved > max_move)
}

/// How an aggregate left a market's [`PriceGuard`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GuardStep {
	/// Within the band (or the market's first): liquidations act on it.
	Trusted,
	/// Beyond the band from the last aggregate and from the TWAP: held until a second aggregate
	/// confirms it; liquidations keep the prices they had.
	Unconfirmed,
	/// A round the feeders did not agree on: held like an unconfirmed move.
	Wide,
	/// The second aggregate beyond the band on the same side as the held one: liquidations act
	/// on the two, each side at the one more favourable to its owners.
	Confirmed,
	/// It would have been held, but `max_held` aggregates in a row already were: trusted, so
	/// that no feeder, lying or broken, can keep liquidations on an old price for long.
	Released,
}

/// Aggregates in a row the guard may hold before it trusts the next one whatever it is.
pub const MAX_HELD_AGGREGATES: u32 = 3;

/// The guard's next state after an aggregate `price` (wide or not), with the oracle's TWAP
/// before it and the band's `max_move`.
///
/// The rule: a move within the band of the last aggregate, or of the TWAP, is trusted at once.
/// A move beyond both (a jump), or a wide round, is held: liquidations keep acting on the prices
/// they had. The next aggregate that is not wide and is, like the held one, beyond the band from
/// the trusted reference on the same side confirms the move: liquidations of longs then use the
/// higher of the two, of shorts the lower (the one more favourable to each side's owners). Any
/// other aggregate is judged afresh. So a one-aggregate wick that reverts liquidates no one, and
/// a real crash liquidates from the aggregate after the one that starts it. After `max_held`
/// aggregates held in a row the next is trusted whatever it is ([`GuardStep::Released`]): a
/// feeder that keeps every round wide delays liquidations by that many aggregates, no more.
/// (The anchor is the pallet's to set: it knows whether the market is flagged; this leaves it as
/// it was, or none.)
pub fn next_guard(
	previous: Option<PriceGuard>,
	price: FixedU128,
	twap: Option<FixedU128>,
	wide: bool,
	max_move: FixedU128,
	max_held: u32,
) -> (PriceGuard, GuardStep) {
	let trusted = |price| PriceGuard {
		reference: price,
		last: price,
		pending: None,
		long: price,
		short: price,
		anchor: None,
		held: 0,
	};
	let Some(guard) = previous else { return (trusted(price), GuardStep::Trusted) };
	let held = |guard: PriceGuard, step| {
		if guard.held >= max_held {
			return (PriceGuard { anchor: guard.anchor, ..trusted(price) }, GuardStep::Released);
		}
		let held = guard.held.saturating_add(1);
		(PriceGuard { last: price, pending: Some(price), held, ..guard }, step)
	};
	if wide {
		return held(guard, GuardStep::Wide);
	}
	let reference = guard.reference;
	let same_side_beyond = |pending: FixedU128| {
		beyond_band(reference, pending, max_move)
			&& beyond_band(reference, price, max_move)
			&& (pending < reference) == (price < reference)
	};
	if let Some(pending) = guard.pending.filter(|pending| same_side_beyond(*pending)) {
		let confirmed = PriceGuard {
			reference: price,
			last: price,
			pending: None,
			long: pending.max(price),
			short: pending.min(price),
			anchor: guard.anchor,
			held: 0,
		};
		return (confirmed, GuardStep::Confirmed);
	}
	let jump = beyond_band(guard.last, price, max_move)
		&& twap.is_none_or(|twap| beyond_band(twap, price, max_move));
	if jump {
		held(guard, GuardStep::Unconfirmed)
	} else {
		(trusted(price), GuardStep::Trusted)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec::Vec;
	use bulwark_primitives::{MarketStatus::*, WithdrawalStatus as W};
	use sp_runtime::traits::{Bounded, One};

	/// Runs `step` once per block over `blocks` with `required(block)`, starting at `current`
	/// with no clear count; returns every move as (block, new level).
	fn moves<L: Level>(
		mut current: L,
		required: impl Fn(u64) -> L,
		blocks: core::ops::RangeInclusive<u64>,
		recovery: u64,
	) -> Vec<(u64, L)> {
		let mut clear_since = None;
		let mut moved = Vec::new();
		for now in blocks {
			if let Some(next) = step(current, required(now), &mut clear_since, now, recovery) {
				current = next;
				moved.push((now, next));
			}
		}
		moved
	}

	#[test]
	fn one_down_goes_one_level_toward_normal() {
		assert_eq!(
			(Halted.one_down(), ReduceOnly.one_down(), Normal.one_down()),
			(ReduceOnly, Normal, Normal)
		);
		assert_eq!(
			(W::Frozen.one_down(), W::RateLimited.one_down(), W::Normal.one_down()),
			(W::RateLimited, W::Normal, W::Normal)
		);
		assert_eq!((true.one_down(), false.one_down()), (false, false));
	}

	#[test]
	fn step_goes_up_at_once_and_forgets_the_clear_count() {
		let mut clear_since = Some(3u64);
		assert_eq!(step(Normal, Halted, &mut clear_since, 10, 20), Some(Halted));
		assert_eq!(clear_since, None);
		let mut clear_since = Some(3u64);
		assert_eq!(step(W::Normal, W::RateLimited, &mut clear_since, 10, 20), Some(W::RateLimited));
		assert_eq!(clear_since, None);
		let mut clear_since = None;
		assert_eq!(step(false, true, &mut clear_since, 10u64, 20), Some(true));
		assert_eq!(clear_since, None);
	}

	#[test]
	fn step_does_not_move_when_required_equals_current() {
		let mut clear_since = Some(5u64);
		assert_eq!(step(ReduceOnly, ReduceOnly, &mut clear_since, 10, 20), None);
		assert_eq!(clear_since, None);
		let mut clear_since = None;
		assert_eq!(step(Normal, Normal, &mut clear_since, 10u64, 20), None);
		assert_eq!(clear_since, None);
	}

	#[test]
	fn step_down_waits_for_recovery_blocks_and_counts_again_per_level() {
		// Clear from block 10, recovery 20: ReduceOnly at 30, Normal at 50.
		assert_eq!(moves(Halted, |_| Normal, 10..=100, 20), vec![(30, ReduceOnly), (50, Normal)]);
		assert_eq!(
			moves(W::Frozen, |_| W::Normal, 10..=100, 20),
			vec![(30, W::RateLimited), (50, W::Normal)]
		);
		assert_eq!(moves(true, |_| false, 10..=100, 20), vec![(30, false)]);
	}

	#[test]
	fn step_down_keeps_its_count_until_the_level_moves() {
		let mut clear_since = None;
		assert_eq!(step(Halted, Normal, &mut clear_since, 10u64, 20), None);
		assert_eq!(clear_since, Some(10));
		assert_eq!(step(Halted, Normal, &mut clear_since, 29, 20), None);
		assert_eq!(clear_since, Some(10));
		// One level down; the next level counts from this block.
		assert_eq!(step(Halted, Normal, &mut clear_since, 30, 20), Some(ReduceOnly));
		assert_eq!(clear_since, Some(30));
		assert_eq!(step(ReduceOnly, Normal, &mut clear_since, 49, 20), None);
		assert_eq!(step(ReduceOnly, Normal, &mut clear_since, 50, 20), Some(Normal));
		assert_eq!(clear_since, None);
	}

	#[test]
	fn step_down_stops_at_the_required_level() {
		// Halted with ReduceOnly still required: one step, then nothing more to count.
		let mut clear_since = None;
		assert_eq!(step(Halted, ReduceOnly, &mut clear_since, 10u64, 20), None);
		assert_eq!(step(Halted, ReduceOnly, &mut clear_since, 30, 20), Some(ReduceOnly));
		assert_eq!(clear_since, None);
		assert_eq!(moves(Halted, |_| ReduceOnly, 10..=100, 20), vec![(30, ReduceOnly)]);
	}

	#[test]
	fn the_clear_count_restarts_when_required_rises_again() {
		// Clear from 10; required back at Halted in block 25 (before 30); clear again from 26:
		// ReduceOnly at 46, Normal at 66.
		let required = |now| if now == 25 { Halted } else { Normal };
		assert_eq!(moves(Halted, required, 10..=100, 20), vec![(46, ReduceOnly), (66, Normal)]);
		// Required above the current level: up at once, and the count starts over after it.
		assert_eq!(
			moves(ReduceOnly, required, 10..=100, 20),
			vec![(25, Halted), (46, ReduceOnly), (66, Normal)]
		);
		let mut clear_since = Some(10u64);
		assert_eq!(step(ReduceOnly, Halted, &mut clear_since, 25, 20), Some(Halted));
		assert_eq!(clear_since, None);
	}

	fn fraction(numerator: u128, denominator: u128) -> FixedU128 {
		FixedU128::from_rational(numerator, denominator)
	}

	fn guard(reference: u32, last: u32, pending: Option<u32>, long: u32, short: u32) -> PriceGuard {
		PriceGuard {
			reference: FixedU128::from_u32(reference),
			last: FixedU128::from_u32(last),
			pending: pending.map(FixedU128::from_u32),
			long: FixedU128::from_u32(long),
			short: FixedU128::from_u32(short),
			anchor: None,
			held: u32::from(pending.is_some()),
		}
	}

	/// Steps the guard through `(price, twap, wide)` aggregates with a 20% band.
	fn walk(path: &[(u32, u32, bool)]) -> Vec<(PriceGuard, GuardStep)> {
		let band = fraction(20, 100);
		let mut state = None;
		path.iter()
			.map(|(price, twap, wide)| {
				let (next, step) = next_guard(
					state,
					FixedU128::from_u32(*price),
					Some(FixedU128::from_u32(*twap)),
					*wide,
					band,
					MAX_HELD_AGGREGATES,
				);
				state = Some(next);
				(next, step)
			})
			.collect()
	}

	#[test]
	fn a_wick_that_reverts_is_never_trusted() {
		// 100, then -25% for one aggregate, then back: the wick is held and forgotten.
		let steps = walk(&[(100, 100, false), (75, 100, false), (99, 100, false)]);
		assert_eq!(steps[0], (guard(100, 100, None, 100, 100), GuardStep::Trusted));
		assert_eq!(steps[1], (guard(100, 75, Some(75), 100, 100), GuardStep::Unconfirmed));
		assert_eq!(steps[2], (guard(99, 99, None, 99, 99), GuardStep::Trusted));
	}

	#[test]
	fn a_crash_confirmed_acts_at_the_price_kinder_to_each_side() {
		// -25%, then -30%: longs at 75 (the higher), shorts at 70 (the lower); then trusted.
		let steps = walk(&[(100, 100, false), (75, 100, false), (70, 99, false), (69, 98, false)]);
		assert_eq!(steps[1].1, GuardStep::Unconfirmed);
		assert_eq!(steps[2], (guard(70, 70, None, 75, 70), GuardStep::Confirmed));
		assert_eq!(steps[3], (guard(69, 69, None, 69, 69), GuardStep::Trusted));
		// A pump confirmed: longs at the higher (130), shorts at the lower (125).
		let steps = walk(&[(100, 100, false), (130, 100, false), (125, 101, false)]);
		assert_eq!(steps[2], (guard(125, 125, None, 130, 125), GuardStep::Confirmed));
	}

	#[test]
	fn moves_within_the_band_of_the_last_aggregate_or_the_twap_are_trusted_at_once() {
		// -15% per aggregate: each within the band of the last one.
		let steps = walk(&[(100, 100, false), (85, 100, false), (73, 97, false)]);
		assert_eq!(steps[1], (guard(85, 85, None, 85, 85), GuardStep::Trusted));
		assert_eq!(steps[2], (guard(73, 73, None, 73, 73), GuardStep::Trusted));
		// Beyond the band of the last aggregate, within the band of the TWAP (a return).
		let steps = walk(&[(100, 100, false), (130, 100, false), (100, 100, false)]);
		assert_eq!(steps[2].1, GuardStep::Trusted);
		// Exactly at the band: inside.
		let steps = walk(&[(100, 100, false), (80, 100, false)]);
		assert_eq!(steps[1].1, GuardStep::Trusted);
	}

	#[test]
	fn a_wide_round_is_held_and_confirms_nothing() {
		// Wide within the band, then a trusted aggregate: nothing held any more.
		let steps = walk(&[(100, 100, false), (95, 100, true), (96, 100, false)]);
		assert_eq!(steps[1], (guard(100, 95, Some(95), 100, 100), GuardStep::Wide));
		assert_eq!(steps[2], (guard(96, 96, None, 96, 96), GuardStep::Trusted));
		// Wide beyond the band, then narrow beyond it on the same side: confirmed.
		let steps = walk(&[(100, 100, false), (70, 100, true), (72, 99, false)]);
		assert_eq!(steps[2], (guard(72, 72, None, 72, 70), GuardStep::Confirmed));
		// Two wide rounds beyond the band: both held, liquidations stay at 100.
		let steps = walk(&[(100, 100, false), (70, 100, true), (70, 99, true)]);
		assert_eq!(
			steps[2],
			(PriceGuard { held: 2, ..guard(100, 70, Some(70), 100, 100) }, GuardStep::Wide)
		);
		// A jump the other way after a held wick is held again, not confirmed.
		let steps = walk(&[(100, 100, false), (70, 100, false), (130, 99, false)]);
		assert_eq!(
			steps[2],
			(
				PriceGuard { held: 2, ..guard(100, 130, Some(130), 100, 100) },
				GuardStep::Unconfirmed
			)
		);
	}

	#[test]
	fn no_more_than_three_aggregates_in_a_row_are_held() {
		// A feeder that keeps every round wide: three held, the fourth trusted (released).
		let steps = walk(&[
			(100, 100, false),
			(101, 100, true),
			(102, 100, true),
			(103, 100, true),
			(104, 100, true),
			(105, 100, true),
		]);
		let held: Vec<u32> = steps.iter().map(|(guard, _)| guard.held).collect();
		assert_eq!(held, vec![0, 1, 2, 3, 0, 1]);
		assert_eq!(steps[4], (guard(104, 104, None, 104, 104), GuardStep::Released));
		assert_eq!(steps[5].1, GuardStep::Wide);
		// The same for jumps that never confirm (alternating sides).
		let steps = walk(&[
			(100, 100, false),
			(70, 100, false),
			(130, 100, false),
			(70, 100, false),
			(130, 100, false),
		]);
		assert_eq!(steps[3].0.held, 3);
		assert_eq!(steps[4], (guard(130, 130, None, 130, 130), GuardStep::Released));
	}

	#[test]
	fn beyond_band_at_exactly_the_band_is_inside() {
		let band = fraction(20, 100);
		let reference = FixedU128::from_u32(100);
		assert!(!beyond_band(reference, FixedU128::from_u32(120), band));
		assert!(!beyond_band(reference, FixedU128::from_u32(80), band));
		assert!(!beyond_band(reference, reference, band));
	}

	#[test]
	fn beyond_band_just_beyond_the_band_is_beyond() {
		let band = fraction(20, 100);
		let reference = FixedU128::from_u32(100);
		// 120.000001 and 79.999999: a move of 0.20000001.
		assert!(beyond_band(reference, fraction(120_000_001, 1_000_000), band));
		assert!(beyond_band(reference, fraction(79_999_999, 1_000_000), band));
		assert!(beyond_band(reference, FixedU128::from_u32(121), band));
		assert!(!beyond_band(reference, FixedU128::from_u32(119), band));
	}

	#[test]
	fn beyond_band_never_with_a_zero_reference() {
		let band = fraction(20, 100);
		assert!(!beyond_band(FixedU128::zero(), FixedU128::from_u32(1_000), band));
		assert!(!beyond_band(FixedU128::zero(), FixedU128::max_value(), band));
		assert!(!beyond_band(FixedU128::zero(), FixedU128::zero(), band));
	}

	#[test]
	fn beyond_band_a_move_too_large_to_express_is_beyond() {
		// The smallest positive reference against the largest price: the ratio overflows.
		let reference = FixedU128::from_inner(1);
		assert_eq!(relative_deviation(FixedU128::max_value(), reference), None);
		assert!(beyond_band(reference, FixedU128::max_value(), FixedU128::one()));
	}
}
