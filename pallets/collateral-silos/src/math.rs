//! Pure arithmetic of a silo's books. Every result rounds against the one who asks, so no
//! sequence of operations can create value.

use bulwark_primitives::{Balance, PoolMarks};
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Permill, Rounding};

/// The pool's value for someone adding liquidity: the pool less the traders' claims and what
/// the winning sides are owed, plus what the losing sides can pay from their margin (counted
/// for the depositor to pay for, so a deposit cannot dilute the LPs who bore those positions).
/// `None` when the pool owes more than it has and can collect: no price exists, and a deposit
/// would only pay other people's debts.
pub fn pool_value_for_deposit(
	pool: Balance,
	claims: Balance,
	marks: &PoolMarks,
) -> Option<Balance> {
	let assets = pool.checked_add(marks.collectible)?;
	let debts = claims.checked_add(marks.owed)?;
	if debts > assets || (debts == assets && debts != 0) {
		return None;
	}
	Some(assets - debts)
}

/// The pool's value for someone leaving it: the pool less the traders' claims and what the
/// winning sides are owed; losses not yet realized are not cash and count for nothing.
pub fn pool_value_for_withdrawal(pool: Balance, claims: Balance, marks: &PoolMarks) -> Balance {
	pool.saturating_sub(claims).saturating_sub(marks.owed)
}

/// What the pool must keep before liquidity may leave: the claims and the reserve.
pub fn reserve_requirement(claims: Balance, marks: &PoolMarks) -> Balance {
	claims.saturating_add(marks.reserve)
}

/// Shares minted for `amount` added to a pool worth `pool_value` with `total_shares`
/// outstanding (the locked ones included), rounded down. The pool's value counts one virtual
/// unit more than it holds, so an empty pool has a price (`total_shares` per unit) and no share
/// price can be pushed up without the locked shares taking their part of the push.
pub fn shares_for_deposit(
	amount: Balance,
	total_shares: Balance,
	pool_value: Balance,
) -> Option<Balance> {
	multiply_by_rational_with_rounding(
		amount,
		total_shares,
		pool_value.checked_add(1)?,
		Rounding::Down,
	)
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

/// Shares burnt for paying `paid` of a request for `shares` worth `owed`: in proportion,
/// rounded up (against the one leaving), never more than `shares`.
pub fn shares_for_part(shares: Balance, paid: Balance, owed: Balance) -> Option<Balance> {
	if owed == 0 {
		return Some(shares);
	}
	multiply_by_rational_with_rounding(shares, paid, owed, Rounding::Up).map(|s| s.min(shares))
}

/// A fee split as (to the pool, to the insurance fund). The insurance fund's share rounds down
/// and the pool takes the remainder, so the two always add up to the fee.
pub fn split_fee(fee: Balance, insurance_share: Permill) -> (Balance, Balance) {
	let to_insurance = insurance_share.mul_floor(fee);
	(fee.saturating_sub(to_insurance), to_insurance)
}

/// A rate-limited silo's window as (what a whole window allows, what this one still allows):
/// `limit` of the pool as it was when the window opened, rounded down, and that less what
/// already left in it.
pub fn window_limits(
	limit: Permill,
	window_base: Balance,
	already_paid: Balance,
) -> (Balance, Balance) {
	let whole = limit.mul_floor(window_base);
	(whole, whole.saturating_sub(already_paid))
}

/// What of `amount` a rate-limited window pays now, given what it still `allows` and what a
/// whole window allows (`window_limit`): all of it if it fits; else what it allows, unless that
/// is a part smaller than the silo's `smallest` amount while a whole window allows at least
/// that, which waits for the next window rather than leave as dust. A window whose whole limit
/// is below `smallest` (a small pool) pays such parts: else nothing would ever leave while the
/// limit stands.
pub fn payable_part(
	amount: Balance,
	allows: Balance,
	window_limit: Balance,
	smallest: Balance,
) -> Balance {
	if amount <= allows {
		amount
	} else if allows < smallest && window_limit >= smallest {
		0
	} else {
		allows
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn marks(owed: Balance, collectible: Balance) -> PoolMarks {
		PoolMarks { owed, collectible, reserve: 0 }
	}

	#[test]
	fn an_empty_pool_with_its_locked_shares_prices_a_unit_at_a_thousand_shares() {
		// 1_000 locked shares, nothing in the pool, one virtual unit: 1_000 shares per unit.
		assert_eq!(shares_for_deposit(1_000_000, 1_000, 0), Some(1_000_000_000));
		// The depositor owns 1_000_000_000 of 1_000_001_000 shares of 1_000_000: 999_999.
		assert_eq!(amount_for_shares(1_000_000_000, 1_000_001_000, 1_000_000), Some(999_999));
	}

	#[test]
	fn what_accrued_before_the_first_lp_stays_with_the_locked_shares() {
		// 5_000 of fees in a pool no LP owns: a deposit of 1_000 buys 1_000 * 1_000 / 5_001 =
		// 199 shares, worth 199 * 6_000 / 1_199 = 995: the fees are not the depositor's.
		assert_eq!(shares_for_deposit(1_000, 1_000, 5_000), Some(199));
		assert_eq!(amount_for_shares(199, 1_199, 6_000), Some(995));
	}

	#[test]
	fn shares_are_priced_at_pool_value_and_round_down() {
		// Pool worth 1_499 (+1 virtual) for 1_000 shares: 100 units buy 66.67 -> 66.
		assert_eq!(shares_for_deposit(100, 1_000, 1_499), Some(66));
		// Burning 66 of 1_066 shares of a pool worth 1_600 pays 99.06... -> 99, not 100:
		// the round trip loses one unit to the pool, never gains.
		assert_eq!(amount_for_shares(66, 1_066, 1_600), Some(99));
		assert_eq!(amount_for_shares(1_001, 1_000, 5_000), None);
	}

	#[test]
	fn a_withdrawal_counts_claims_and_winners_and_no_unrealized_loss() {
		// Pool 10_000, claims 1_000, winners owed 2_500, losers could pay 4_000: 6_500.
		assert_eq!(pool_value_for_withdrawal(10_000, 1_000, &marks(2_500, 4_000)), 6_500);
		// Owing more than the pool: worth nothing, not less.
		assert_eq!(pool_value_for_withdrawal(1_000, 600, &marks(500, 0)), 0);
	}

	#[test]
	fn a_deposit_pays_for_collectible_losses_and_is_refused_into_a_deficit() {
		assert_eq!(pool_value_for_deposit(10_000, 1_000, &marks(2_500, 4_000)), Some(10_500));
		// Debts 2_000 against assets 1_500: no price.
		assert_eq!(pool_value_for_deposit(1_000, 1_500, &marks(500, 500)), None);
		// Debts exactly eat the assets: no price either; an empty pool has one.
		assert_eq!(pool_value_for_deposit(1_000, 1_000, &marks(0, 0)), None);
		assert_eq!(pool_value_for_deposit(0, 0, &marks(0, 0)), Some(0));
	}

	#[test]
	fn a_part_paid_burns_its_share_rounded_up() {
		// 1_000 shares owed 3_000, 1_000 paid: 333.3 -> 334 shares burnt.
		assert_eq!(shares_for_part(1_000, 1_000, 3_000), Some(334));
		assert_eq!(shares_for_part(1_000, 3_000, 3_000), Some(1_000));
		assert_eq!(shares_for_part(1_000, 0, 0), Some(1_000));
	}

	#[test]
	fn fee_split_adds_up_and_rounds_insurance_down() {
		// 30% of 1_001 = 300.3 -> 300 to insurance, 701 to the pool.
		assert_eq!(split_fee(1_001, Permill::from_percent(30)), (701, 300));
		assert_eq!(split_fee(0, Permill::from_percent(30)), (0, 0));
		assert_eq!(split_fee(7, Permill::one()), (0, 7));
	}

	#[test]
	fn a_window_allows_a_share_of_the_pool_less_what_left() {
		// 10% of 12_345 = 1_234.5 -> 1_234; 1_000 already left: 234 more.
		assert_eq!(window_limits(Permill::from_percent(10), 12_345, 1_000), (1_234, 234));
		assert_eq!(window_limits(Permill::from_percent(10), 12_345, 5_000), (1_234, 0));
		assert_eq!(window_limits(Permill::zero(), 12_345, 0), (0, 0));
	}

	#[test]
	fn a_window_pays_whole_amounts_and_parts_but_dust_waits_unless_a_window_is_all_dust() {
		// Fits: all of it.
		assert_eq!(payable_part(500, 1_000, 10_000, 100), 500);
		assert_eq!(payable_part(1_000, 1_000, 10_000, 100), 1_000);
		// A part of at least the smallest amount.
		assert_eq!(payable_part(5_000, 1_000, 10_000, 100), 1_000);
		assert_eq!(payable_part(5_000, 100, 10_000, 100), 100);
		// A part below it waits while a whole window allows more.
		assert_eq!(payable_part(5_000, 99, 10_000, 100), 0);
		assert_eq!(payable_part(5_000, 99, 100, 100), 0);
		// A whole window allows less than the smallest amount: its parts are paid.
		assert_eq!(payable_part(5_000, 99, 99, 100), 99);
		assert_eq!(payable_part(5_000, 40, 99, 100), 40);
		// An empty window pays nothing.
		assert_eq!(payable_part(5_000, 0, 99, 100), 0);
		assert_eq!(payable_part(5_000, 0, 0, 100), 0);
	}

	#[test]
	fn large_amounts_do_not_overflow() {
		let big = u128::MAX / 3;
		assert_eq!(shares_for_deposit(big, big, big - 1), Some(big));
		assert_eq!(amount_for_shares(big, big, big), Some(big));
	}
}
