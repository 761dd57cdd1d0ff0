//! The pure rules of the breakers, with no storage and no runtime: how a breaker level moves
//! toward the level its conditions require (up at once, down one level per `recovery` clear
//! blocks: the hysteresis), and when an aggregate is beyond the band.

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

#[cfg(test)]
mod tests {
	use super::*;
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
