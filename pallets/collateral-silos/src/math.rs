//! Pure arithmetic of a silo's books. Every result rounds against the one who asks, so no
//! sequence of operations can create value.

use bulwark_primitives::{Balance, SignedBalance};
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Permill, Rounding};

/// The pool's value for someone adding liquidity: the pool's balance less what the traders'
/// positions are worth against it, counting the traders' unrealized losses as pool value too
/// (that makes new shares dearer, so it goes against the depositor).
pub fn pool_value_for_deposit(pool: Balance, net_trader_pnl: SignedBalance) -> Balance {
	if net_trader_pnl >= 0 {
		pool.saturating_sub(net_trader_pnl.unsigned_abs())
	} else {
		pool.saturating_add(net_trader_pnl.unsigned_abs())
	}
}

/// The pool's value for someone removing liquidity: the traders' unrealized profits are owed,
/// their unrealized losses are not counted until realized (against the one withdrawing).
pub fn pool_value_for_withdrawal(pool: Balance, net_trader_pnl: SignedBalance) -> Balance {
	if net_trader_pnl > 0 {
		pool.saturating_sub(net_trader_pnl.unsigned_abs())
	} else {
		pool
	}
}

/// Shares minted for `amount` added to a pool worth `pool_value` with `total_shares`
/// outstanding, rounded down. The first deposit mints one share per unit. `None`: the pool has
/// shares but no value (it was wiped out), so no price exists.
pub fn shares_for_deposit(
	amount: Balance,
	total_shares: Balance,
	pool_value: Balance,
) -> Option<Balance> {
	if total_shares == 0 {
		return Some(amount);
	}
	if pool_value == 0 {
		return None;
	}
	multiply_by_rational_with_rounding(amount, total_shares, pool_value, Rounding::Down)
}

/// Amount paid for burning `shares` of `total_shares` in a pool worth `pool_value`, rounded
/// down. `None` if `shares` exceeds `total_shares`.
pub fn amount_for_shares(
	shares: Balance,
	total_shares: Balance,
	pool_value: Balance,
) -> Option<Balance> {
	if shares > total_shares || total_shares == 0 {
		return None;
	}
	multiply_by_rational_with_rounding(shares, pool_value, total_shares, Rounding::Down)
}

/// A fee split as (to the pool, to the insurance fund). The insurance fund's share rounds down
/// and the pool takes the remainder, so the two always add up to the fee.
pub fn split_fee(fee: Balance, insurance_share: Permill) -> (Balance, Balance) {
	let to_insurance = insurance_share.mul_floor(fee);
	(fee.saturating_sub(to_insurance), to_insurance)
}

/// What may still leave a rate-limited silo in the current window: `limit` of the pool as it
/// was when the window opened, rounded down, less what already left.
pub fn window_allowance(limit: Permill, window_base: Balance, already_paid: Balance) -> Balance {
	limit.mul_floor(window_base).saturating_sub(already_paid)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn first_deposit_mints_one_share_per_unit() {
		assert_eq!(shares_for_deposit(1_000_000, 0, 0), Some(1_000_000));
	}

	#[test]
	fn shares_are_priced_at_pool_value_and_round_down() {
		// Pool worth 1_500 for 1_000 shares: a share costs 1.5. 100 units buy 66.67 -> 66.
		assert_eq!(shares_for_deposit(100, 1_000, 1_500), Some(66));
		// Burning 66 of 1_066 shares of a pool worth 1_600 pays 99.06... -> 99, not 100:
		// the round trip loses one unit to the pool, never gains.
		assert_eq!(amount_for_shares(66, 1_066, 1_600), Some(99));
	}

	#[test]
	fn a_wiped_out_pool_has_no_share_price() {
		assert_eq!(shares_for_deposit(100, 1_000, 0), None);
		assert_eq!(amount_for_shares(1, 1_000, 0), Some(0));
		assert_eq!(amount_for_shares(1_001, 1_000, 5_000), None);
	}

	#[test]
	fn trader_pnl_moves_pool_value_against_the_one_who_asks() {
		// Traders up 200 against a pool of 1_000: both sides see 800.
		assert_eq!(pool_value_for_deposit(1_000, 200), 800);
		assert_eq!(pool_value_for_withdrawal(1_000, 200), 800);
		// Traders down 300: a depositor pays for it (1_300), a withdrawer does not get it (1_000).
		assert_eq!(pool_value_for_deposit(1_000, -300), 1_300);
		assert_eq!(pool_value_for_withdrawal(1_000, -300), 1_000);
		// Traders up more than the pool holds: the pool is worth nothing, not less.
		assert_eq!(pool_value_for_withdrawal(1_000, 5_000), 0);
	}

	#[test]
	fn fee_split_adds_up_and_rounds_insurance_down() {
		// 30% of 1_001 = 300.3 -> 300 to insurance, 701 to the pool.
		assert_eq!(split_fee(1_001, Permill::from_percent(30)), (701, 300));
		assert_eq!(split_fee(0, Permill::from_percent(30)), (0, 0));
		assert_eq!(split_fee(7, Permill::one()), (0, 7));
	}

	#[test]
	fn window_allowance_is_a_share_of_the_pool_less_what_left() {
		// 10% of 12_345 = 1_234.5 -> 1_234; 1_000 already left: 234 more.
		assert_eq!(window_allowance(Permill::from_percent(10), 12_345, 1_000), 234);
		assert_eq!(window_allowance(Permill::from_percent(10), 12_345, 5_000), 0);
	}

	#[test]
	fn large_amounts_do_not_overflow() {
		let big = u128::MAX / 3;
		assert_eq!(shares_for_deposit(big, big, big), Some(big));
		assert_eq!(amount_for_shares(big, big, big), Some(big));
	}
}
