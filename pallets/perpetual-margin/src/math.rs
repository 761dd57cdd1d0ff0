//! The margin engine's arithmetic, free of storage: value, price impact, PnL, funding, margin
//! requirements, liquidation sizes and prices, and the auto-deleveraging rank.
//!
//! Units: sizes are integers of the market's size unit; money is integers of the silo's
//! collateral unit; a *unit price* is collateral units per size unit (the oracle price times the
//! market's value scale). Every rounding goes against the trader: what they pay rounds up, what
//! they receive rounds down. `None` means a value does not fit: the caller refuses the operation.

use crate::types::SizeTier;
use bulwark_primitives::{Balance, SignedBalance};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Bounded, CheckedAdd, CheckedMul, CheckedSub, One, Saturating, Zero},
	FixedI128, FixedPointNumber, FixedU128, Permill, Rounding,
};

/// 1.0 in the fixed-point numbers' inner representation.
const ONE: u128 = <FixedU128 as FixedPointNumber>::DIV;

/// `a * b / c`, rounded up or down; `None` on overflow or a zero `c`.
pub fn mul_div(a: u128, b: u128, c: u128, round_up: bool) -> Option<u128> {
	let rounding = if round_up { Rounding::Up } else { Rounding::Down };
	multiply_by_rational_with_rounding(a, b, c, rounding)
}

/// A magnitude with a sign, as a signed integer.
fn signed(magnitude: u128, negative: bool) -> Option<SignedBalance> {
	let value = SignedBalance::try_from(magnitude).ok()?;
	Some(if negative { -value } else { value })
}

/// A fixed-point number's magnitude and sign.
fn split(value: FixedI128) -> (u128, bool) {
	let inner = value.into_inner();
	(inner.unsigned_abs(), inner < 0)
}

/// Value of `size` units at `price`, in collateral units.
pub fn value(size: u128, price: FixedU128, round_up: bool) -> Option<Balance> {
	mul_div(size, price.into_inner(), ONE, round_up)
}

/// A `Permill` as a fixed-point fraction (exact: every `Permill` is a multiple of 10^-6).
pub fn fraction(part: Permill) -> FixedU128 {
	FixedU128::from_rational(part.deconstruct().into(), 1_000_000)
}

/// `fraction` of `amount`.
pub fn fraction_of(amount: Balance, fraction: FixedU128, round_up: bool) -> Option<Balance> {
	mul_div(amount, fraction.into_inner(), ONE, round_up)
}

/// The price a trade of `delta` (positive buys) fills at, given the market's `skew` (long minus
/// short size) before it: the price times one plus the trade's premium. The premium of a skew
/// `x` is `x / skew_scale`, capped at `max_impact` either way; the trade pays the average of
/// that premium over the skew it walks through, from `skew` to `skew + delta`. A trade that adds
/// to the skew pays more than the oracle, one that reduces it gets a better price, so one side
/// cannot drain the pool at the oracle price. Because the cap is applied before averaging (not to
/// the average skew), what a sequence of trades pays depends only on where the skew starts and
/// ends: slicing a trade across the cap earns nothing. Buys round up, sells down; `None` for a
/// zero `delta` or a skew that does not fit.
pub fn fill_price(
	price: FixedU128,
	skew: SignedBalance,
	delta: SignedBalance,
	skew_scale: u128,
	max_impact: FixedU128,
) -> Option<FixedU128> {
	let buys = delta > 0;
	let end = skew.checked_add(delta)?;
	let (low, high) = if buys { (skew, end) } else { (end, skew) };
	let length = delta.unsigned_abs();
	// Beyond this skew either way the premium stays at its cap, `cap_skew / skew_scale`.
	let cap_skew = SignedBalance::try_from(fraction_of(skew_scale, max_impact, false)?).ok()?;
	let beyond_long = high.checked_sub(low.max(cap_skew))?.max(0);
	let beyond_short = high.min(-cap_skew).checked_sub(low)?.max(0);
	let (slope_from, slope_to) = (low.max(-cap_skew), high.min(cap_skew));
	let on_slope = slope_to.checked_sub(slope_from)?.max(0);
	let slope_middle_twice = slope_from.checked_add(slope_to)?;
	// The premium's two parts, weighted by their shares of the trade's length: the capped
	// stretches at the cap, and the slope at its midpoint's premium (its average).
	let net_capped = beyond_long.checked_sub(beyond_short)?;
	let capped = weighted_premium(
		net_capped.unsigned_abs(),
		length,
		cap_skew.unsigned_abs(),
		skew_scale,
		net_capped < 0,
		buys,
	)?;
	let sloped = weighted_premium(
		on_slope.unsigned_abs(),
		length,
		slope_middle_twice.unsigned_abs(),
		skew_scale.checked_mul(2)?,
		slope_middle_twice < 0,
		buys,
	)?;
	let factor = SignedBalance::try_from(ONE).ok()?.checked_add(capped)?.checked_add(sloped)?;
	mul_div(price.into_inner(), u128::try_from(factor).ok()?, ONE, buys).map(FixedU128::from_inner)
}

/// `share / length` of the premium `skew / scale` (both ratios at most one), negative if
/// `negative`, in fixed-point inner units; its magnitude rounds so that the buyer pays more or
/// the seller gets less.
fn weighted_premium(
	share: u128,
	length: u128,
	skew: u128,
	scale: u128,
	negative: bool,
	buys: bool,
) -> Option<SignedBalance> {
	let round_up = negative != buys;
	let weight = mul_div(share, ONE, length, round_up)?;
	let premium = mul_div(skew, ONE, scale, round_up)?;
	signed(mul_div(weight, premium, ONE, round_up)?, negative)
}

/// The part of a position's entry value that `closing` of its `size` units take with them.
/// A long's share rounds up and a short's down: either way the realized profit is smaller.
pub fn entry_share(entry: Balance, closing: u128, size: u128, long: bool) -> Option<Balance> {
	mul_div(entry, closing, size, long)
}

/// Price PnL of closing `closing` units of a long (or short) whose share of entry value is
/// `entry_part`, at `price`.
pub fn price_pnl(
	closing: u128,
	price: FixedU128,
	entry_part: Balance,
	long: bool,
) -> Option<SignedBalance> {
	let entry_part = SignedBalance::try_from(entry_part).ok()?;
	if long {
		SignedBalance::try_from(value(closing, price, false)?).ok()?.checked_sub(entry_part)
	} else {
		entry_part.checked_sub(SignedBalance::try_from(value(closing, price, true)?).ok()?)
	}
}

/// Unrealized price PnL of a whole position (`size` signed: positive long).
pub fn position_pnl(
	size: SignedBalance,
	entry: Balance,
	price: FixedU128,
) -> Option<SignedBalance> {
	price_pnl(size.unsigned_abs(), price, entry, size > 0)
}

/// Funding a position of `size` owes for an index move of `index_delta`: positive means the
/// trader pays. Longs pay a rising index, shorts receive it. Rounded up (paying more, receiving
/// less).
pub fn funding_owed(size: SignedBalance, index_delta: FixedI128) -> Option<SignedBalance> {
	let (delta, delta_negative) = split(index_delta);
	let pays = (size > 0) != delta_negative;
	let owed = mul_div(size.unsigned_abs(), delta, ONE, pays)?;
	signed(owed, !pays)
}

/// `size * index`, rounded down in magnitude: a position's share of the market's funding basis,
/// from which the market's total owed funding is known without visiting positions.
pub fn funding_basis(size: SignedBalance, index: FixedI128) -> Option<SignedBalance> {
	let (index, index_negative) = split(index);
	let basis = mul_div(size.unsigned_abs(), index, ONE, false)?;
	signed(basis, (size < 0) != index_negative)
}

/// The funding rate per block the skew asks for: `max_rate` times the skew as a share of
/// `skew_scale`, capped at one. Positive when longs dominate (longs pay shorts and the pool).
pub fn funding_target(
	skew: SignedBalance,
	skew_scale: u128,
	max_rate: FixedU128,
) -> Option<FixedI128> {
	// Capped before the division: a skew many times the scale would not fit the ratio.
	let share = if skew_scale != 0 && skew.unsigned_abs() >= skew_scale {
		FixedU128::one()
	} else {
		FixedU128::checked_from_rational(skew.unsigned_abs(), skew_scale)?
	};
	let rate = fraction_of(max_rate.into_inner(), share, false)?;
	signed(rate, skew < 0).map(FixedI128::from_inner)
}

/// Funding over `blocks` blocks: the rate moves toward `target` by at most `velocity` per block
/// (each block first steps, then accrues its rate). Returns the rate after the last block and
/// the sum of the rates of all of them (the index moves by that sum times the price).
pub fn accrue_funding(
	rate: FixedI128,
	target: FixedI128,
	velocity: FixedU128,
	blocks: u64,
) -> Option<(FixedI128, FixedI128)> {
	let (start, goal) = (rate.into_inner(), target.into_inner());
	let step = i128::try_from(velocity.into_inner()).ok()?;
	let blocks = i128::from(blocks);
	let gap = goal.checked_sub(start)?;
	let direction = gap.signum();
	// Whole steps before the target is reached (a last partial step lands on it).
	let steps_to_target = if step == 0 { i128::MAX } else { gap.unsigned_abs() as i128 / step };
	let ramp = blocks.min(steps_to_target);
	// sum over i = 1..ramp of (start + direction * step * i)
	let triangle = ramp.checked_mul(ramp.checked_add(1)?)? / 2;
	let ramp_sum = start
		.checked_mul(ramp)?
		.checked_add(direction.checked_mul(step)?.checked_mul(triangle)?)?;
	let at_target = blocks.saturating_sub(ramp);
	let sum = ramp_sum.checked_add(goal.checked_mul(at_target)?)?;
	let last = if at_target > 0 {
		goal
	} else {
		start.checked_add(direction.checked_mul(step)?.checked_mul(ramp)?)?
	};
	Some((FixedI128::from_inner(last), FixedI128::from_inner(sum)))
}

/// How far the funding index moves for a sum of rates at `unit_price`.
pub fn index_delta(rate_sum: FixedI128, unit_price: FixedU128) -> Option<FixedI128> {
	let (sum, negative) = split(rate_sum);
	let delta = mul_div(sum, unit_price.into_inner(), ONE, false)?;
	signed(delta, negative).map(FixedI128::from_inner)
}

/// The volatility add-on to the margin fractions after `blocks` blocks: it follows `target`
/// down at once, but up by at most `max_step` per block, so no account is liquidated by a jump.
pub fn next_volatility_margin(
	current: FixedU128,
	target: FixedU128,
	max_step: FixedU128,
	blocks: u64,
) -> FixedU128 {
	if target <= current {
		return target;
	}
	let rise = max_step.saturating_mul(FixedU128::saturating_from_integer(blocks));
	current.saturating_add(rise).min(target)
}

/// The size tier of a position of `size` units: how many tiers' thresholds it reaches (tiers
/// ascend); 0 below the first.
pub fn tier_of(tiers: &[SizeTier], size: u128) -> usize {
	tiers.iter().take_while(|tier| tier.min_size <= size).count()
}

/// The factor of size tier `tier` (as [`tier_of`] counts): 1 below the first threshold.
pub fn tier_factor(tiers: &[SizeTier], tier: usize) -> FixedU128 {
	tier.checked_sub(1)
		.and_then(|index| tiers.get(index))
		.map_or(FixedU128::one(), |tier| tier.factor)
}

/// A margin fraction: (base + volatility add-on) times the size tier's factor.
pub fn margin_fraction(
	base: FixedU128,
	volatility_margin: FixedU128,
	factor: FixedU128,
) -> Option<FixedU128> {
	base.checked_add(&volatility_margin)?.checked_mul(&factor)
}

/// Equity: margin plus PnL less funding owed.
pub fn equity(
	margin: Balance,
	pnl: SignedBalance,
	funding: SignedBalance,
) -> Option<SignedBalance> {
	SignedBalance::try_from(margin).ok()?.checked_add(pnl)?.checked_sub(funding)
}

/// How many of `size` units a liquidation closes at `price`: the fewest that bring the rest back
/// to the initial margin fraction after paying the liquidation's costs (penalty plus reward, a
/// `cost_fraction` of the value closed). Closing `c` keeps `equity - cost*c*p` against a
/// requirement of `initial*(size - c)*p`, so `c >= (initial*size*p - equity) / ((initial -
/// cost)*p)`, rounded up. Everything when that is impossible (no equity, costs at or above the
/// initial fraction) or leaves less than `min_size`.
pub fn liquidation_close_size(
	size: u128,
	price: FixedU128,
	equity: SignedBalance,
	initial_fraction: FixedU128,
	cost_fraction: FixedU128,
	min_size: u128,
) -> Option<u128> {
	if equity <= 0 || initial_fraction <= cost_fraction {
		return Some(size);
	}
	let required = fraction_of(value(size, price, true)?, initial_fraction, true)?;
	let shortfall = required.saturating_sub(equity.unsigned_abs());
	let per_unit = mul_div(
		initial_fraction.into_inner().checked_sub(cost_fraction.into_inner())?,
		price.into_inner(),
		ONE,
		false,
	)?;
	if per_unit == 0 {
		return Some(size);
	}
	let close = mul_div(shortfall, ONE, per_unit, true)?;
	if close >= size || size - close < min_size {
		Some(size)
	} else {
		Some(close)
	}
}

/// The unit price at which a position's equity falls to `fraction` of its value:
/// long `(entry + funding - margin) / (size * (1 - fraction))`, short
/// `(margin + entry - funding) / (size * (1 + fraction))`. `None` when no price liquidates it (a
/// long whose margin covers its whole entry value). Rounded toward the liquidation: up for
/// longs, down for shorts.
pub fn liquidation_price(
	size: SignedBalance,
	entry: Balance,
	margin: Balance,
	funding: SignedBalance,
	fraction: FixedU128,
) -> Option<FixedU128> {
	let long = size > 0;
	let entry = SignedBalance::try_from(entry).ok()?;
	let margin = SignedBalance::try_from(margin).ok()?;
	let (numerator, denominator) = if long {
		(entry.checked_add(funding)?.checked_sub(margin)?, ONE.checked_sub(fraction.into_inner())?)
	} else {
		(margin.checked_add(entry)?.checked_sub(funding)?, ONE.checked_add(fraction.into_inner())?)
	};
	if numerator <= 0 || denominator == 0 {
		return if long { None } else { Some(FixedU128::zero()) };
	}
	let per_unit = mul_div(numerator.unsigned_abs(), ONE, size.unsigned_abs(), long)?;
	mul_div(per_unit, ONE, denominator, long).map(FixedU128::from_inner)
}

/// The haircut on a winner's `profit` in an auto-deleveraging step that must close `shortfall`
/// from winners whose profit adds up to `total`: its share of the shortfall, rounded up (so the
/// step's haircuts add up to at least the shortfall it can close), never more than the profit.
pub fn haircut(profit: Balance, shortfall: Balance, total: Balance) -> Option<Balance> {
	if total == 0 {
		return Some(0);
	}
	Some(mul_div(profit, shortfall.min(total), total, true)?.min(profit))
}

/// A per-unit amount as a fixed-point number, saturating at the type's bounds (a key beyond
/// them is so far from any threshold that its exact value does not matter).
fn per_unit(amount: SignedBalance, size: u128) -> FixedI128 {
	let size = size.max(1);
	FixedI128::checked_from_rational(amount, size).unwrap_or(if amount < 0 {
		FixedI128::min_value()
	} else {
		FixedI128::max_value()
	})
}

/// A position's liquidation key: what its side's threshold is compared with. A long's equity
/// `m + s*u - E - s*(F - f)` falls below its maintenance `s*u*q` exactly when
/// `(E - m)/s - f > u*(1 - q) - F`; a short's `m + E - s*u + s*(F - f)` when
/// `(E + m)/s - f < u*(1 + q) - F` (`s` units, entry value `E`, margin `m`, funding index `f` at
/// its last settlement; unit price `u`, maintenance fraction `q`, market funding index `F`). The
/// left side is the position's alone and changes only when the position does; the right side is
/// the market's ([`liquidation_threshold`]) and moves with price, funding and volatility margin.
/// So ordering a side's positions by key orders them by closeness to liquidation at any price,
/// and within one size tier by equity over maintenance too. Saturates instead of failing.
pub fn liquidation_key(
	size: SignedBalance,
	entry: Balance,
	margin: Balance,
	funding_index: FixedI128,
) -> FixedI128 {
	let entry = SignedBalance::try_from(entry).unwrap_or(SignedBalance::MAX);
	let margin = SignedBalance::try_from(margin).unwrap_or(SignedBalance::MAX);
	let numerator =
		if size > 0 { entry.saturating_sub(margin) } else { entry.saturating_add(margin) };
	per_unit(numerator, size.unsigned_abs()).saturating_sub(funding_index)
}

/// The market side's threshold for [`liquidation_key`]: `u*(1 - q) - F` for longs, `u*(1 + q) -
/// F` for shorts. `None` only on overflow.
pub fn liquidation_threshold(
	long: bool,
	unit_price: FixedU128,
	maintenance: FixedU128,
	funding_index: FixedI128,
) -> Option<FixedI128> {
	let one = FixedU128::one();
	let factor = if long { one.checked_sub(&maintenance)? } else { one.checked_add(&maintenance)? };
	let scaled = unit_price.checked_mul(&factor)?;
	FixedI128::from_inner(i128::try_from(scaled.into_inner()).ok()?).checked_sub(&funding_index)
}

/// Whether a key is past its side's threshold: above it for a long, below it for a short.
pub fn crosses(long: bool, key: FixedI128, threshold: FixedI128) -> bool {
	if long {
		key > threshold
	} else {
		key < threshold
	}
}

/// A position's auto-deleveraging key, `E/s - f`: its profit per unit at any price is
/// `u - F - key` for a long and `key + F - u` for a short, so the longs with the lowest key
/// and the shorts with the highest have the most profit per unit, at every price.
pub fn deleverage_key(size: SignedBalance, entry: Balance, funding_index: FixedI128) -> FixedI128 {
	let entry = SignedBalance::try_from(entry).unwrap_or(SignedBalance::MAX);
	per_unit(entry, size.unsigned_abs()).saturating_sub(funding_index)
}

/// A key as 16 bytes whose byte order is the key's order (`descending`: the reverse), so that a
/// storage map with an identity hasher iterates it from the first served.
pub fn order_bytes(key: FixedI128, descending: bool) -> [u8; 16] {
	// Flipping the sign bit maps i128's order onto u128's.
	let ascending = (key.into_inner() as u128) ^ (1u128 << 127);
	if descending { !ascending } else { ascending }.to_be_bytes()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn fixed(n: u128) -> FixedU128 {
		FixedU128::from_u32(n as u32)
	}
	fn rational(n: u128, d: u128) -> FixedU128 {
		FixedU128::from_rational(n, d)
	}
	fn fixed_i(n: i128) -> FixedI128 {
		FixedI128::saturating_from_integer(n)
	}

	fn rational_i(n: i128, d: i128) -> FixedI128 {
		FixedI128::saturating_from_rational(n, d)
	}

	fn rate(inner: i128) -> FixedI128 {
		FixedI128::from_inner(inner)
	}

	#[test]
	fn value_rounds_as_asked() {
		// 3 units at 10.5 = 31.5
		assert_eq!(value(3, rational(21, 2), false), Some(31));
		assert_eq!(value(3, rational(21, 2), true), Some(32));
		assert_eq!(value(u128::MAX, fixed(2), false), None);
	}

	#[test]
	fn a_haircut_is_the_profit_s_share_of_the_shortfall_rounded_up() {
		// Shortfall 1_000 over winners worth 3_000: a third each, 700 of 2_100 is 233.3 -> 234.
		assert_eq!(haircut(2_100, 1_000, 3_000), Some(700));
		assert_eq!(haircut(700, 1_000, 3_000), Some(234));
		assert_eq!(haircut(200, 1_000, 3_000), Some(67));
		// A shortfall beyond their profit takes all of it, no more.
		assert_eq!(haircut(500, 9_000, 3_000), Some(500));
		assert_eq!(haircut(0, 1_000, 0), Some(0));
	}

	#[test]
	fn fill_price_charges_the_skew_a_trade_creates() {
		// Balanced market, buy 10_000 with skew scale 1_000_000: premium (0 + 10_000) / 2_000_000
		// = 0.5%, so 100 fills at 100.5.
		assert_eq!(
			fill_price(fixed(100), 0, 10_000, 1_000_000, rational(1, 10)),
			Some(rational(1005, 10))
		);
		// Skew +40_000, sell 10_000: premium (80_000 - 10_000) / 2_000_000 = 3.5%: the seller
		// reduces the skew and gets 103.5.
		assert_eq!(
			fill_price(fixed(100), 40_000, -10_000, 1_000_000, rational(1, 10)),
			Some(rational(1035, 10))
		);
		// Skew -40_000, sell 10_000: premium -(90_000 / 2_000_000) = -4.5%: 95.5.
		assert_eq!(
			fill_price(fixed(100), -40_000, -10_000, 1_000_000, rational(1, 10)),
			Some(rational(955, 10))
		);
		// The premium reaches its 10% cap at skew 100_000. A huge buy of 10_000_000 from skew 0
		// walks the slope for 100_000 (5% on average) and stays at the cap for the other
		// 9_900_000: 0.01 * 5% + 0.99 * 10% = 9.95%, fill 109.95.
		assert_eq!(
			fill_price(fixed(100), 0, 10_000_000, 1_000_000, rational(1, 10)),
			Some(rational(10_995, 100))
		);
		// Skew 150_000, sell 300_000 down to -150_000: 50_000 at +10%, 200_000 along the slope
		// from 100_000 to -100_000 (0% on average), 50_000 at -10%: no premium, fill 100.
		assert_eq!(
			fill_price(fixed(100), 150_000, -300_000, 1_000_000, rational(1, 10)),
			Some(fixed(100))
		);
		// Inexact premiums round against the trader: buying 1 from skew 0 with scale 3 pays
		// 1 + 1/6 rounded up; selling it back gets 1 + 1/6 rounded down.
		assert_eq!(
			fill_price(fixed(1), 0, 1, 3, rational(1, 2)),
			Some(FixedU128::from_inner(1_166_666_666_666_666_667))
		);
		assert_eq!(
			fill_price(fixed(1), 1, -1, 3, rational(1, 2)),
			Some(FixedU128::from_inner(1_166_666_666_666_666_666))
		);
		// A skew that overflows and a zero trade are refused.
		assert_eq!(fill_price(fixed(100), i128::MAX, 1, 1_000_000, rational(1, 10)), None);
		assert_eq!(fill_price(fixed(100), 0, 0, 1_000_000, rational(1, 10)), None);
	}

	#[test]
	fn pnl_of_longs_and_shorts_rounds_against_the_trader() {
		// Long 3 units bought for 300 (entry 100), price 110.5: 331.5 rounds down to 331 -> +31.
		assert_eq!(position_pnl(3, 300, rational(221, 2)), Some(31));
		// Short 3 units sold for 300, price 110.5: buying back costs 331.5, rounded up 332 -> -32.
		assert_eq!(position_pnl(-3, 300, rational(221, 2)), Some(-32));
		// Closing 1 of a long of 3 with entry 301 takes 100.33 -> 101 of the entry (round up).
		assert_eq!(entry_share(301, 1, 3, true), Some(101));
		// ... and 100 of a short's (round down).
		assert_eq!(entry_share(301, 1, 3, false), Some(100));
	}

	#[test]
	fn funding_is_paid_by_the_side_the_index_moves_against() {
		// Index up 0.25 per unit: a long of 10 pays 2.5 -> 3; a short of 10 receives 2.5 -> 2.
		assert_eq!(funding_owed(10, rate(250_000_000_000_000_000)), Some(3));
		assert_eq!(funding_owed(-10, rate(250_000_000_000_000_000)), Some(-2));
		// Index down 0.25: the long receives 2, the short pays 3.
		assert_eq!(funding_owed(10, rate(-250_000_000_000_000_000)), Some(-2));
		assert_eq!(funding_owed(-10, rate(-250_000_000_000_000_000)), Some(3));
		assert_eq!(funding_basis(-10, rate(250_000_000_000_000_000)), Some(-2));
	}

	#[test]
	fn funding_target_follows_the_skew_up_to_the_cap() {
		let max = rational(1, 1_000); // 0.1% per block
								// Skew +250_000 of a 1_000_000 scale: a quarter of the maximum, 0.025%.
		assert_eq!(funding_target(250_000, 1_000_000, max), Some(rate(250_000_000_000_000)));
		assert_eq!(funding_target(-250_000, 1_000_000, max), Some(rate(-250_000_000_000_000)));
		// Twice the scale is capped at the maximum.
		assert_eq!(funding_target(2_000_000, 1_000_000, max), Some(rate(1_000_000_000_000_000)));
		assert_eq!(funding_target(0, 1_000_000, max), Some(rate(0)));
		// A skew 1.7e38 times the scale is capped, not an overflow (it was: the ratio was
		// taken before the cap, and accrual failed for good).
		assert_eq!(funding_target(SignedBalance::MAX, 1, max), Some(rate(1_000_000_000_000_000)));
		assert_eq!(funding_target(-SignedBalance::MAX, 1, max), Some(rate(-1_000_000_000_000_000)));
		assert_eq!(funding_target(0, 0, max), None);
	}

	#[test]
	fn funding_rate_moves_toward_its_target_at_a_bounded_speed() {
		// From 0 toward 10 (inner units) at 3 per block over 5 blocks: rates 3, 6, 9, 10, 10;
		// the sum is 38 and the rate ends at 10.
		assert_eq!(
			accrue_funding(rate(0), rate(10), FixedU128::from_inner(3), 5),
			Some((rate(10), rate(38)))
		);
		// Over 2 blocks it has not arrived: 3 + 6 = 9, rate 6.
		assert_eq!(
			accrue_funding(rate(0), rate(10), FixedU128::from_inner(3), 2),
			Some((rate(6), rate(9)))
		);
		// Downward from 4 toward -5 at 2 per block over 6 blocks: 2, 0, -2, -4, -5, -5 = -14.
		assert_eq!(
			accrue_funding(rate(4), rate(-5), FixedU128::from_inner(2), 6),
			Some((rate(-5), rate(-14)))
		);
		// At its target: n times the target.
		assert_eq!(
			accrue_funding(rate(7), rate(7), FixedU128::from_inner(2), 4),
			Some((rate(7), rate(28)))
		);
		// No velocity: the rate never moves.
		assert_eq!(
			accrue_funding(rate(7), rate(0), FixedU128::from_inner(0), 4),
			Some((rate(7), rate(28)))
		);
	}

	#[test]
	fn index_moves_by_the_rate_sum_times_the_price() {
		// Rates summing to 0.003 at a unit price of 250: the index moves 0.75 per unit.
		assert_eq!(
			index_delta(FixedI128::from_rational(3, 1_000), fixed(250)),
			Some(FixedI128::from_rational(3, 4))
		);
		assert_eq!(
			index_delta(FixedI128::saturating_from_rational(-3i128, 1_000i128), fixed(250)),
			Some(FixedI128::saturating_from_rational(-3i128, 4i128))
		);
	}

	#[test]
	fn volatility_margin_rises_slowly_and_falls_at_once() {
		let step = rational(1, 1_000);
		// From 1% toward 5% at 0.1% per block: 1.3% after 3 blocks, capped at 5%.
		assert_eq!(
			next_volatility_margin(rational(1, 100), rational(5, 100), step, 3),
			rational(13, 1_000)
		);
		assert_eq!(
			next_volatility_margin(rational(1, 100), rational(5, 100), step, 100),
			rational(5, 100)
		);
		// Down to 0.5% in one block.
		assert_eq!(
			next_volatility_margin(rational(1, 100), rational(5, 1_000), step, 1),
			rational(5, 1_000)
		);
	}

	#[test]
	fn tiers_and_fractions() {
		let tiers = [
			SizeTier { min_size: 100_000, factor: rational(3, 2) },
			SizeTier { min_size: 1_000_000, factor: fixed(2) },
		];
		assert_eq!(tier_of(&tiers, 99_999), 0);
		assert_eq!(tier_of(&tiers, 100_000), 1);
		assert_eq!(tier_of(&tiers, 5_000_000), 2);
		assert_eq!(tier_factor(&tiers, 0), fixed(1));
		assert_eq!(tier_factor(&tiers, 1), rational(3, 2));
		assert_eq!(tier_factor(&tiers, 2), fixed(2));
		// (3% + 1%) * 1.5 = 6%
		assert_eq!(
			margin_fraction(rational(3, 100), rational(1, 100), rational(3, 2)),
			Some(rational(6, 100))
		);
	}

	#[test]
	fn liquidation_keys_cross_their_threshold_where_equity_meets_maintenance() {
		// A long of 10 units bought for 1_000 with 100 of margin, funding index 0.5 at entry:
		// key (1_000 - 100) / 10 - 0.5 = 89.5.
		let long = liquidation_key(10, 1_000, 100, rational_i(1, 2));
		assert_eq!(long, FixedI128::saturating_from_rational(179, 2));
		// At index 1.5 and 5% maintenance it is liquidatable below u*(0.95) - 1.5 < 89.5, i.e.
		// u < 95.789...: equity at u = 96 is 100 + 960 - 1_000 - 10 = 50 >= 48 (healthy), at
		// u = 95 it is 40 < 47.5.
		let at = |u: u128| {
			liquidation_threshold(true, fixed(u), rational(5, 100), rational_i(3, 2)).unwrap()
		};
		assert_eq!(at(96), FixedI128::saturating_from_rational(897, 10));
		assert!(!crosses(true, long, at(96)));
		assert!(crosses(true, long, at(95)));
		// A short of 10 units sold for 1_000 with 100 of margin, index 0 at entry: key 110;
		// threshold at index 0 and 10%: 1.1 u: crossed above u = 100.
		let short = liquidation_key(-10, 1_000, 100, FixedI128::zero());
		assert_eq!(short, FixedI128::saturating_from_integer(110));
		let short_at = |u: u128| {
			liquidation_threshold(false, fixed(u), rational(10, 100), FixedI128::zero()).unwrap()
		};
		assert!(!crosses(false, short, short_at(100)));
		assert!(crosses(false, short, short_at(101)));
		// A long whose margin exceeds its entry value never crosses a non-negative threshold.
		assert!(liquidation_key(1, 10, 20, FixedI128::zero()) < FixedI128::zero());
		// Extreme keys saturate instead of failing.
		assert_eq!(liquidation_key(1, u128::MAX, 0, FixedI128::zero()), FixedI128::max_value());
	}

	#[test]
	fn deleverage_keys_order_profit_per_unit() {
		// Bought at 100 and at 90 (index 0): at 120 they make 20 and 30 per unit; the lower key
		// is the larger profit.
		let (high, low) = (
			deleverage_key(10, 1_000, FixedI128::zero()),
			deleverage_key(5, 450, FixedI128::zero()),
		);
		assert_eq!((high, low), (fixed_i(100), fixed_i(90)));
		assert!(low < high);
	}

	#[test]
	fn order_bytes_sort_as_the_keys() {
		let keys =
			[fixed_i(-5), rational_i(-1, 2), FixedI128::zero(), rational_i(1, 3), fixed_i(7)];
		for pair in keys.windows(2) {
			assert!(order_bytes(pair[0], false) < order_bytes(pair[1], false));
			assert!(order_bytes(pair[0], true) > order_bytes(pair[1], true));
		}
		assert!(
			order_bytes(FixedI128::min_value(), false) < order_bytes(FixedI128::max_value(), false)
		);
	}

	#[test]
	fn a_liquidation_closes_just_enough_to_restore_initial_margin() {
		// 1_000 units at 100 = 100_000 of value, equity 4_000; initial 10%, costs 2%.
		// c >= (10_000 - 4_000) / (8% * 100) = 6_000 / 8 = 750 units.
		assert_eq!(
			liquidation_close_size(1_000, fixed(100), 4_000, rational(1, 10), rational(2, 100), 1),
			Some(750)
		);
		// Check: 250 units left worth 25_000 need 2_500; equity 4_000 - 2% of 75_000 = 2_500.
		// Leaving less than the minimum size closes everything.
		assert_eq!(
			liquidation_close_size(
				1_000,
				fixed(100),
				4_000,
				rational(1, 10),
				rational(2, 100),
				251
			),
			Some(1_000)
		);
		// No equity left: everything.
		assert_eq!(
			liquidation_close_size(1_000, fixed(100), 0, rational(1, 10), rational(2, 100), 1),
			Some(1_000)
		);
		// Costs as large as the initial fraction: everything.
		assert_eq!(
			liquidation_close_size(1_000, fixed(100), 4_000, rational(2, 100), rational(2, 100), 1),
			Some(1_000)
		);
	}

	#[test]
	fn liquidation_prices_of_longs_and_shorts() {
		// Long 1_000 units, entry 100_000, margin 10_000, no funding, maintenance 5%:
		// (100_000 - 10_000) / (1_000 * 0.95) = 94.736842105263157895 (rounded up).
		assert_eq!(
			liquidation_price(1_000, 100_000, 10_000, 0, rational(5, 100)),
			Some(FixedU128::from_inner(94_736_842_105_263_157_895))
		);
		// Short: (10_000 + 100_000) / (1_000 * 1.05) = 104.761904761904761904 (rounded down).
		assert_eq!(
			liquidation_price(-1_000, 100_000, 10_000, 0, rational(5, 100)),
			Some(FixedU128::from_inner(104_761_904_761_904_761_904))
		);
		// Funding owed raises a long's liquidation price: (100_000 + 500 - 10_000) / 950.
		assert_eq!(
			liquidation_price(1_000, 100_000, 10_000, 500, rational(5, 100)),
			Some(FixedU128::from_inner(95_263_157_894_736_842_106))
		);
		// A long with margin above its entry value cannot be liquidated.
		assert_eq!(liquidation_price(1_000, 100_000, 100_000, 0, rational(5, 100)), None);
	}

	#[test]
	fn fraction_is_the_permill_exactly() {
		assert_eq!(fraction(Permill::from_percent(5)), rational(5, 100));
		assert_eq!(fraction(Permill::from_parts(1)), FixedU128::from_inner(1_000_000_000_000));
		assert_eq!(fraction(Permill::one()), fixed(1));
		assert_eq!(fraction(Permill::zero()), FixedU128::zero());
	}
}
