//! The oracle's arithmetic, free of storage: medians, deviation, quorum, TWAP and volatility.
//!
//! Prices are `FixedU128`. Nothing here panics: divisions are by checked non-zero values and
//! products go through 128-bit mul-div helpers that saturate instead of overflowing.

use alloc::vec::Vec;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Zero, FixedU128, Perbill, Permill,
	Rounding, Saturating,
};

/// Median of `values` (sorted in place). Even count: the mean of the two middle values, rounded
/// down. `None` for no values.
pub fn median(values: &mut [FixedU128]) -> Option<FixedU128> {
	if values.is_empty() {
		return None;
	}
	values.sort_unstable();
	let middle = values.len() / 2;
	let upper = *values.get(middle)?;
	if values.len() % 2 == 1 {
		return Some(upper);
	}
	let lower = *values.get(middle.checked_sub(1)?)?;
	let (a, b) = (lower.into_inner(), upper.into_inner());
	// (a + b) / 2 without overflowing: halves first, then the carry of the two odd bits.
	Some(FixedU128::from_inner(a / 2 + b / 2 + (a % 2 + b % 2) / 2))
}

pub use bulwark_primitives::relative_deviation;

/// A round's spread: the median absolute deviation of its reports from their median, over the
/// median. Robust: a minority of feeders, however far off, cannot widen it (with 3 of 4 agreeing
/// it is what the 3 disagree by), while a round in which the honest feeders themselves disagree
/// is wide. Zero for no reports or a zero median; at most 100%.
pub fn spread(reports: &[FixedU128], median_price: FixedU128) -> Perbill {
	if median_price.is_zero() {
		return Perbill::zero();
	}
	let mut deviations: Vec<FixedU128> = reports
		.iter()
		.map(|price| {
			if *price > median_price {
				price.saturating_sub(median_price)
			} else {
				median_price.saturating_sub(*price)
			}
		})
		.collect();
	let Some(mad) = median(&mut deviations) else { return Perbill::zero() };
	Perbill::from_rational(
		mad.into_inner().min(median_price.into_inner()),
		median_price.into_inner(),
	)
}

/// Whether `value` is within `max` (a fraction) of `reference`. A zero reference accepts nothing.
pub fn within_deviation(value: FixedU128, reference: FixedU128, max: Perbill) -> bool {
	relative_deviation(value, reference)
		.is_some_and(|deviation| deviation <= FixedU128::from_perbill(max))
}

/// Reports needed for an aggregate: `ceil(feeders * numerator / denominator)`, at least one.
/// With `n >= 3f + 1` feeders of whom `f` lie and a 2/3 quorum, the `2f + 1` reports needed put
/// the median between two honest values.
pub fn quorum(feeders: u32, numerator: u32, denominator: u32) -> u32 {
	if denominator == 0 {
		return feeders.max(1);
	}
	let needed = (u64::from(feeders) * u64::from(numerator)).div_ceil(u64::from(denominator));
	u32::try_from(needed).unwrap_or(u32::MAX).clamp(1, feeders.max(1))
}

/// Reports a timed-out round needs to close *degraded* (see [`crate::aggregation`]): half the
/// feeders rounded up, and never fewer than two, so that one feeder alone never makes a price.
/// With 4 feeders: 2 (the normal quorum is 3); with 7: 4 (against 5).
pub fn degraded_quorum(feeders: u32) -> u32 {
	feeders.div_ceil(2).max(2)
}

/// Whether the reports of a round that is short of its quorum agree well enough to make a
/// degraded price: their spread within `max_spread` and every one within `outlier_threshold` of
/// their median. With two reports a lone liar cannot pass it: it moves the median half-way to
/// itself, so the pair's spread is half their distance.
pub fn unanimous(
	reports: &[FixedU128],
	median_price: FixedU128,
	max_spread: Perbill,
	outlier_threshold: Perbill,
) -> bool {
	!median_price.is_zero()
		&& spread(reports, median_price) <= max_spread
		&& reports.iter().all(|price| within_deviation(*price, median_price, outlier_threshold))
}

/// The price a node reports from its sources' answers: drop the sources further than
/// `max_deviation` from the median of all answers, then, if at least `min_sources` remain, the
/// median of those.
pub fn aggregate_sources(
	mut prices: Vec<FixedU128>,
	max_deviation: Perbill,
	min_sources: u32,
) -> Option<FixedU128> {
	let reference = median(&mut prices)?;
	let mut agreeing: Vec<FixedU128> = prices
		.into_iter()
		.filter(|price| within_deviation(*price, reference, max_deviation))
		.collect();
	if (agreeing.len() as u64) < u64::from(min_sources) {
		return None;
	}
	median(&mut agreeing)
}

/// `value * numerator / denominator` on the raw fixed-point value, rounded down, saturating.
fn scale(value: FixedU128, numerator: u128, denominator: u128) -> FixedU128 {
	FixedU128::from_inner(
		multiply_by_rational_with_rounding(
			value.into_inner(),
			numerator,
			denominator,
			Rounding::Down,
		)
		.unwrap_or(u128::MAX),
	)
}

/// Moves a time-weighted average forward by `elapsed` blocks during which `held_price` was the
/// oracle price: `(twap * (window - e) + held_price * e) / window` with `e = min(elapsed,
/// window)`. A price that held for a whole window replaces the average.
pub fn next_twap(twap: FixedU128, held_price: FixedU128, elapsed: u32, window: u32) -> FixedU128 {
	if window == 0 {
		return held_price;
	}
	let elapsed = elapsed.min(window);
	let window = u128::from(window);
	let old_part = scale(twap, window - u128::from(elapsed), window);
	let new_part = scale(held_price, u128::from(elapsed), window);
	old_part.saturating_add(new_part)
}

/// EWMA of the per-block variance of relative price changes:
/// `decay * variance + (1 - decay) * r^2 / elapsed`, `r = (current - previous) / previous`.
/// Dividing by the blocks between the two aggregates keeps the estimate per block when
/// aggregates are missed.
pub fn next_variance(
	variance: FixedU128,
	previous: FixedU128,
	current: FixedU128,
	elapsed: u32,
	decay: Permill,
) -> FixedU128 {
	let Some(change) = relative_deviation(current, previous) else { return variance };
	let per_block = change.saturating_mul(change) / FixedU128::from_u32(elapsed.max(1));
	let kept = scale(variance, u128::from(decay.deconstruct()), 1_000_000);
	let added = scale(per_block, u128::from((Permill::one() - decay).deconstruct()), 1_000_000);
	kept.saturating_add(added)
}

/// Standard deviation from a variance.
pub fn volatility(variance: FixedU128) -> FixedU128 {
	variance.checked_sqrt().unwrap_or(FixedU128::zero())
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::FixedPointNumber;

	fn p(units: u64) -> FixedU128 {
		FixedU128::saturating_from_integer(units)
	}

	#[test]
	fn median_of_odd_and_even_counts() {
		assert_eq!(median(&mut []), None);
		assert_eq!(median(&mut [p(7)]), Some(p(7)));
		assert_eq!(median(&mut [p(9), p(1), p(5)]), Some(p(5)));
		// Even: the mean of 100 and 101 is 100.5.
		assert_eq!(
			median(&mut [p(101), p(100), p(1), p(1000)]),
			Some(FixedU128::from_rational(201, 2))
		);
		// One liar at 10x among four: the middle pair is honest.
		assert_eq!(median(&mut [p(100), p(1000), p(100), p(102)]), Some(p(101)));
		// Largest values do not overflow.
		let max = FixedU128::from_inner(u128::MAX);
		assert_eq!(median(&mut [max, max]), Some(max));
	}

	#[test]
	fn deviation_and_bounds() {
		assert_eq!(relative_deviation(p(110), p(100)), Some(FixedU128::from_rational(1, 10)));
		assert_eq!(relative_deviation(p(90), p(100)), Some(FixedU128::from_rational(1, 10)));
		assert_eq!(relative_deviation(p(1), FixedU128::zero()), None);
		assert!(within_deviation(p(105), p(100), Perbill::from_percent(5)));
		assert!(!within_deviation(p(106), p(100), Perbill::from_percent(5)));
	}

	#[test]
	fn degraded_quorum_is_half_the_feeders_and_at_least_two() {
		assert_eq!(degraded_quorum(0), 2);
		assert_eq!(degraded_quorum(1), 2);
		assert_eq!(degraded_quorum(2), 2);
		assert_eq!(degraded_quorum(3), 2);
		assert_eq!(degraded_quorum(4), 2);
		assert_eq!(degraded_quorum(5), 3);
		assert_eq!(degraded_quorum(7), 4);
		assert_eq!(degraded_quorum(32), 16);
	}

	#[test]
	fn unanimous_needs_every_report_close_to_the_median() {
		let one = Perbill::from_percent(1);
		let five = Perbill::from_percent(5);
		// 100 and 101.8: median 100.9, each 0.9 away: spread 0.89% <= 1%.
		let agree = [p(100), FixedU128::from_rational(1_018, 10)];
		assert!(unanimous(&agree, FixedU128::from_rational(1_009, 10), one, five));
		// 100 and 102.2: each 1.1 from 101.1: spread 1.09% > 1%.
		let apart = [p(100), FixedU128::from_rational(1_022, 10)];
		assert!(!unanimous(&apart, FixedU128::from_rational(1_011, 10), one, five));
		// An honest feeder and a 10x liar: median 550, spread 81.8%.
		assert!(!unanimous(&[p(100), p(1_000)], p(550), one, five));
		// Three reports, two equal: the spread is 0 but the third is 10% off.
		assert!(!unanimous(&[p(100), p(100), p(110)], p(100), one, five));
		// Within 5% and a 10% spread bound: the outlier rule alone decides.
		let ten = Perbill::from_percent(10);
		assert!(unanimous(&[p(100), p(100), p(105)], p(100), ten, five));
		assert!(!unanimous(&[p(100), p(100), p(106)], p(100), ten, five));
		// Nothing to agree on.
		assert!(!unanimous(&[p(0)], FixedU128::zero(), one, five));
	}

	#[test]
	fn spread_is_the_median_absolute_deviation_over_the_median() {
		// Three agree exactly, the fourth lies 10x: the liar cannot widen the round.
		let reports = [p(100), p(100), p(100), p(1_000)];
		assert_eq!(spread(&reports, p(100)), Perbill::zero());
		// 98, 100, 103: deviations 2, 0, 3 -> MAD 2 -> 2% of 100.
		assert_eq!(spread(&[p(98), p(100), p(103)], p(100)), Perbill::from_percent(2));
		// 80, 100, 120, 100: deviations 20, 0, 20, 0 -> MAD (0 + 20) / 2 = 10 -> 10%.
		assert_eq!(spread(&[p(80), p(100), p(120), p(100)], p(100)), Perbill::from_percent(10));
		// 67,000 and 67,010.5 and 66,990.1: deviations 0, 10.5, 9.9 -> 9.9 / 67,000.
		let reports = [
			p(67_000),
			FixedU128::from_rational(134_021, 2),
			FixedU128::from_rational(669_901, 10),
		];
		assert_eq!(spread(&reports, p(67_000)), Perbill::from_rational(99u64, 670_000));
		// Degenerate inputs: nothing, a zero median, a deviation beyond the median.
		assert_eq!(spread(&[], p(100)), Perbill::zero());
		assert_eq!(spread(&[p(5)], FixedU128::zero()), Perbill::zero());
		assert_eq!(spread(&[p(1), p(1_000), p(1_000)], p(1)), Perbill::one());
	}

	#[test]
	fn quorum_is_two_thirds_rounded_up() {
		assert_eq!(quorum(0, 2, 3), 1);
		assert_eq!(quorum(1, 2, 3), 1);
		assert_eq!(quorum(2, 2, 3), 2);
		assert_eq!(quorum(3, 2, 3), 2);
		assert_eq!(quorum(4, 2, 3), 3);
		assert_eq!(quorum(7, 2, 3), 5);
		assert_eq!(quorum(32, 2, 3), 22);
		assert_eq!(quorum(4, 1, 1), 4);
		assert_eq!(quorum(4, 1, 2), 2);
	}

	#[test]
	fn sources_lose_their_outliers() {
		let ten = Perbill::from_percent(10);
		// 30000 is 10x: dropped; the median of the two others is reported.
		assert_eq!(aggregate_sources(vec![p(3000), p(30000), p(3010)], ten, 2), Some(p(3005)));
		// The same with three needed: not enough agree.
		assert_eq!(aggregate_sources(vec![p(3000), p(30000), p(3010)], ten, 3), None);
		assert_eq!(aggregate_sources(vec![], ten, 1), None);
		assert_eq!(aggregate_sources(vec![p(42)], ten, 1), Some(p(42)));
	}

	#[test]
	fn twap_by_hand() {
		// window 10: 100 held for 2 blocks over an average of 110 -> (110*8 + 100*2)/10 = 108.
		assert_eq!(next_twap(p(110), p(100), 2, 10), p(108));
		// A price held for a whole window (or longer) replaces the average.
		assert_eq!(next_twap(p(110), p(100), 10, 10), p(100));
		assert_eq!(next_twap(p(110), p(100), 50, 10), p(100));
		assert_eq!(next_twap(p(110), p(100), 0, 10), p(110));
	}

	#[test]
	fn variance_by_hand() {
		let decay = Permill::from_percent(90);
		// 100 -> 110 in one block: r = 0.1, r^2 = 0.01; 0.9 * 0 + 0.1 * 0.01 = 0.001.
		let v1 = next_variance(FixedU128::zero(), p(100), p(110), 1, decay);
		assert_eq!(v1, FixedU128::from_rational(1, 1000));
		// 110 -> 88 over two blocks: r = 0.2, r^2 / 2 = 0.02; 0.9 * 0.001 + 0.1 * 0.02 = 0.0029.
		let v2 = next_variance(v1, p(110), p(88), 2, decay);
		assert_eq!(v2, FixedU128::from_rational(29, 10_000));
		// sqrt(0.0004) = 0.02.
		assert_eq!(
			volatility(FixedU128::from_rational(4, 10_000)),
			FixedU128::from_rational(2, 100)
		);
		assert_eq!(next_variance(v1, FixedU128::zero(), p(1), 1, decay), v1);
	}
}
