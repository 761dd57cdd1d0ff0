//! Solvency: a profit the pool cannot pay becomes the winner's claim, LP shares are priced at
//! the marks of each market side (winners never netted against losers, at the fill of closing
//! the side), open interest is capped by the pool, and auto-deleveraging closes the silo's
//! shortfall with one haircut per step. Each attack test says what the rules before these did.
//! Same market as the other tests (price 100, 10% initial, 5% maintenance, fee 0.1% of which
//! 20% to insurance, impact scale 1_000_000); every number is worked out in the comments.

use super::*;
use frame_support::traits::fungibles::Inspect;
use pallet_collateral_silos::{math as silo_math, ReserveShort, LOCKED_SHARES};

const DAVE: AccountId = 8;
const VICTIM: AccountId = 9;

fn silo_event(event: pallet_collateral_silos::Event<Test>) -> RuntimeEvent {
	RuntimeEvent::CollateralSilos(event)
}

fn asset_balance(who: AccountId) -> u128 {
	<Assets as Inspect<AccountId>>::balance(USD, &who)
}

fn close(who: AccountId) -> sp_runtime::DispatchResult {
	let limit = if position(who).size_units > 0 { FixedU128::zero() } else { fixed(u32::MAX) };
	PerpetualMargin::close_position(RuntimeOrigin::signed(who), MARKET, limit)
}

fn no_funding_params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams { max_funding_rate: FixedU128::zero(), ..params() }
}

/// Attack 1: the LP front-runs a winner. Alice long and Bob short the same size, the price
/// rises 10%: the traders' net PnL is zero, but the pool cannot pay Alice before Bob's loss
/// comes in.
///
/// Before: LP value was the pool less the traders' NET PnL at the oracle price (here Alice's
/// +19_800 and Bob's -19_800 made 0), so the LP removed all 10_322; Alice's close found the
/// pool empty and her 19_580 was simply unpaid; Bob's close refilled the pool to 19_932 with no
/// shares left outstanding, and the LP re-added a unit and took all of it: the LP gained about
/// 20_254, Alice got none of her profit.
#[test]
fn attack_1_an_lp_cannot_front_run_a_winner_out_of_their_profit() {
	new_test_ext().execute_with(|| {
		open_market(params(), 10_000, &[ALICE, BOB], 100_000);
		// The first LP of an empty silo: 10_000 * 1_000 locked shares / (0 + 1) = 10_000_000.
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::LiquidityAdded {
			silo: SILO,
			who: LP,
			amount: 10_000,
			shares: 10_000_000,
		}));
		// Alice buys 2_000 from skew 0: premium 1_000 / 1_000_000 = 0.1%, fill 100.1, entry
		// 200_200, fee 200.2 -> 201 (161 pool, 40 insurance), margin 39_799. Bob sells 2_000
		// from skew 2_000 to 0: the same premium and fill, entry 200_200, fee 201.
		assert_ok!(buy(ALICE, 2_000, 40_000));
		assert_ok!(sell(BOB, 2_000, 40_000));
		assert_eq!((books().pool, books().insurance), (10_322, 80));

		// +10%. The long side marked at closing it all, the better for it of two walks: from
		// skew 0 (sell 2_000: premium -0.1%, fill 109.89, 219_780) or from its own 2_000 alone
		// (premium +0.1%, fill 110.11, 220_220): 220_220 - 200_200 = 20_020 owed (what Alice
		// realizes if Bob closes first). The short side likewise: from skew 0 (buy: 110.11,
		// -20_020) or alone (from -2_000: 109.89, -19_580): -19_580, within Bob's margin:
		// collectible, but never netted against what Alice is owed.
		MockPrices::set(MARKET, fixed(110));
		assert_eq!(
			PerpetualMargin::silo_marks(SILO, Permill::zero()),
			bulwark_primitives::PoolMarks { owed: 20_020, collectible: 19_580, reserve: 20_020 }
		);
		// The LP asks to leave with everything: worth 10_322 - 20_020 -> 0, so refused (a
		// request worth nothing could never be paid). Old rules: the LP's withdrawal counted
		// Bob's loss against Alice's profit and paid out the whole 10_322.
		assert_noop!(
			CollateralSilos::request_liquidity_withdrawal(
				RuntimeOrigin::signed(LP),
				SILO,
				10_000_000
			),
			pallet_collateral_silos::Error::<Test>::ZeroShares
		);

		// Alice closes first, at 109.89: +19_580, fee 219.78 -> 220 from her margin. The pool
		// pays its 10_322; the other 9_258 is her claim number 0.
		assert_ok!(close(ALICE));
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ProfitRealized {
			silo: SILO,
			who: ALICE,
			paid: 10_322,
			claimed: 9_258,
		}));
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ProfitClaimed {
			silo: SILO,
			who: ALICE,
			claim: 0,
			amount: 9_258,
		}));
		// The fee's 176 (220 - 44 to insurance) is all the pool holds.
		assert_eq!((books().pool, books().claims), (176, 9_258));
		// Bob closes (buy 2_000 from skew -2_000 to 0: fill 109.89): 200_200 - 219_780 =
		// -19_580 from his margin, fee 220. Pool 176 + 19_580 + 176 = 19_932.
		assert_ok!(close(BOB));
		assert_eq!((books().pool, books().claims), (19_932, 9_258));
		// Asked now, the shares are worth the pool less Alice's claim:
		// 10_000_000 * (19_932 - 9_258) / 10_001_000 = 10_672.9 -> 10_672.
		assert_ok!(CollateralSilos::request_liquidity_withdrawal(
			RuntimeOrigin::signed(LP),
			SILO,
			10_000_000
		));
		System::assert_last_event(silo_event(
			pallet_collateral_silos::Event::LiquidityWithdrawalRequested {
				silo: SILO,
				who: LP,
				shares: 10_000_000,
				value: 10_672,
				ready_at: 1,
			},
		));

		// The next block pays Alice's claim from Bob's loss, before anything else.
		run_to_block(2);
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ClaimPaid {
			silo: SILO,
			who: ALICE,
			claim: 0,
			amount: 9_258,
			from_insurance: 0,
		}));
		assert_eq!((books().pool, books().claims), (10_674, 0));
		// Alice: 60_000 never locked + 10_322 paid + 39_579 of margin back + 9_258 claimed =
		// 119_159: her 100_000, all of her 19_580 profit, less 201 + 220 of fees.
		assert_eq!(free(ALICE), 119_159);
		assert_eq!(free(BOB), 100_000 - 19_580 - 201 - 220);
		// The LP takes what is left: 10_672 for 10_000 put in. Its gain, 672, is within the
		// 161 + 161 + 176 + 176 = 674 of fees the pool earned; the locked shares keep the rest.
		assert_ok!(CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(LP), SILO, 0));
		System::assert_last_event(silo_event(pallet_collateral_silos::Event::LiquidityRemoved {
			silo: SILO,
			who: LP,
			shares: 10_000_000,
			amount: 10_672,
			paid: 10_672,
			shares_left: 0,
		}));
		assert_eq!(asset_balance(LP), START - 10_000 + 10_672);
		assert_eq!((books().pool, books().total_shares), (2, LOCKED_SHARES));
		run_to_block(3);
	});
}

/// Attack 3: an LP sandwiches a deposit with skew. The attacker (the pool's only LP) opens a
/// large long that pays a price impact just before a victim's `add_liquidity`, and closes it
/// right after, getting the impact back.
///
/// Before: LP shares were priced at the traders' net PnL at the ORACLE price; the long's entry
/// impact looked like a 40_500 loss the pool would collect, so the victim's deposit was priced
/// at a pool of 1_040_500: the victim overpaid by about 19_850 and the attacker pocketed it
/// when the round trip (fee-free here) gave the impact back. Now the side is marked at the
/// fill of closing it, where the impact comes back: no loss, nothing to overpay.
#[test]
fn attack_3_skew_cannot_sandwich_a_deposit() {
	new_test_ext().execute_with(|| {
		// Fee-free, impact scale 100_000 (the premium caps at 10% at skew 10_000).
		let params = MarketParams { skew_scale: 100_000, ..fee_free_params() };
		open_market(params, 1_000_000, &[LP], 200_000);
		// 1_000_000 * 1_000 / 1 = 1_000_000_000 shares; 1_000_001_000 outstanding.
		assert_eq!(books().total_shares, 1_000_001_000);
		// The attacker buys 9_000 from skew 0: premium 9_000 / 200_000 = 4.5%, fill 104.5,
		// entry 940_500; at the oracle price it looks 40_500 down.
		assert_ok!(buy(LP, 9_000, 200_000));
		assert_eq!(position(LP).entry, 940_500);
		assert_eq!(health(LP).pnl, -40_500);
		// Closing the side sells 9_000 from skew 9_000 back to 0: the same 4.5%, fill 104.5,
		// 940_500: a mark of 0, neither owed nor collectible. (After a 10% move up the side
		// would be owed 9_000 * 114.95 - 940_500 = 94_050: the reserve.)
		assert_eq!(
			PerpetualMargin::silo_marks(SILO, Permill::zero()),
			bulwark_primitives::PoolMarks { owed: 0, collectible: 0, reserve: 0 }
		);
		assert_eq!(PerpetualMargin::silo_marks(SILO, Permill::from_percent(10)).reserve, 94_050);

		// The victim deposits 1_000_000 into a pool worth 1_000_000:
		// 1_000_000 * 1_000_001_000 / 1_000_001 = 1_000_000_000 shares.
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(VICTIM),
			SILO,
			USD,
			1_000_000,
			0
		));
		assert_eq!(pallet_collateral_silos::LpShares::<Test>::get(SILO, VICTIM), 1_000_000_000);
		// The attacker closes at 104.5: realized 0, the pool unchanged at 2_000_000.
		assert_ok!(close(LP));
		System::assert_has_event(
			Event::PositionChanged {
				who: LP,
				market: MARKET,
				size_delta: -9_000,
				size_units: 0,
				fill_price: rational(209, 2),
				fee: 0,
				realized: 0,
				funding: 0,
				margin: 0,
			}
			.into(),
		);
		assert_eq!(books().pool, 2_000_000);
		// The victim's shares are worth 1_000_000_000 * 2_000_000 / 2_000_001_000 = 999_999.5
		// -> 999_999: what they put in, less the rounding the locked shares keep.
		assert_ok!(CollateralSilos::request_liquidity_withdrawal(
			RuntimeOrigin::signed(VICTIM),
			SILO,
			1_000_000_000
		));
		System::assert_last_event(silo_event(
			pallet_collateral_silos::Event::LiquidityWithdrawalRequested {
				silo: SILO,
				who: VICTIM,
				shares: 1_000_000_000,
				value: 999_999,
				ready_at: 1,
			},
		));

		// Marked at the oracle price, the 40_500 "loss" (within the 200_000 margin) would have
		// counted as collectible: the deposit priced at 1_040_500, 1_000_000 * 1_000_001_000 /
		// 1_040_501 = 961_076_442 shares, worth 961_076_442 * 2_000_000 / 1_961_077_442 =
		// 980_151 after the round trip: the victim would have paid 19_849 more (and the
		// attacker's shares would have been worth 1_019_847).
		assert_eq!(
			silo_math::shares_for_deposit(1_000_000, 1_000_001_000, 1_040_500),
			Some(961_076_442)
		);
		assert_eq!(
			silo_math::amount_for_shares(961_076_442, 1_961_077_442, 2_000_000),
			Some(980_151)
		);
		assert_eq!(
			silo_math::amount_for_shares(1_000_000_000, 1_961_077_442, 2_000_000),
			Some(1_019_847)
		);
		run_to_block(2);
	});
}

/// Attack 4: auto-deleveraging with a claim already in line. Dave closed a winner the pool
/// could not pay (a claim); the loser went bankrupt; the two open winners are closed in one step
/// with one haircut that closes the shortfall exactly, paid from what the pool holds beyond
/// Dave's claim, which is paid in full the next block.
///
/// Before: Dave's unpaid 10_837 was lost; `deleverage` paid Bob first in full (40_037) and
/// Carol what was left (9_907 of 24_010): the order, not a shared haircut, decided who lost.
#[test]
fn attack_4_one_deleverage_step_shares_the_haircut_and_closes_the_shortfall() {
	new_test_ext().execute_with(|| {
		open_market(params(), 5_000, &[ALICE, BOB, CAROL, DAVE], 100_000);
		// Alice long 1_000: fill 100.05, entry 100_050, fee 101, margin 49_899.
		// Bob short 500 from skew 1_000: premium (1_000 + 500) / 2_000_000 = 0.075%, fill
		// 100.075, entry 50_037.5 -> 50_037, fee 50.04 -> 51, margin 9_949.
		// Carol short 300 from 500: 0.035%, fill 100.035, entry 30_010, fee 31, margin 9_969.
		// Dave short 200 from 200: 0.01%, fill 100.01, entry 20_002, fee 21, margin 9_979.
		assert_ok!(buy(ALICE, 1_000, 50_000));
		assert_ok!(sell(BOB, 500, 10_000));
		assert_ok!(sell(CAROL, 300, 10_000));
		assert_ok!(sell(DAVE, 200, 10_000));
		// Fees to the pool 81 + 41 + 25 + 17, to insurance 20 + 10 + 6 + 4.
		assert_eq!((books().pool, books().insurance), (5_164, 40));

		// A crash to 20. Dave closes (buy 200 from skew 0: premium +0.01%, fill 20.002, 4_000.4
		// -> 4_001): +16_001, fee 5. The pool pays its 5_164; 10_837 is Dave's claim 0.
		MockPrices::set(MARKET, fixed(20));
		assert_ok!(close(DAVE));
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ProfitClaimed {
			silo: SILO,
			who: DAVE,
			claim: 0,
			amount: 10_837,
		}));
		// Dave: 90_000 + 5_164 + 9_974 of margin back.
		assert_eq!(free(DAVE), 105_138);
		// Alice is bankrupt (49_899 + 20_000 - 100_050 < 0): her margin pays 49_899 of the
		// 80_050, the insurance fund its 41, the LPs 30_110. Pool 4 + 49_899 + 41 = 49_944.
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		assert_eq!(
			(books().pool, books().claims, books().socialized_loss),
			(49_944, 10_837, 30_110)
		);
		// The shorts, marked at buying all 800 back (skew -800 to 0: premium -0.04%, fill
		// 19.992, 15_993.6 -> 15_994), are owed 80_047 - 15_994 = 64_053; with Dave's claim the
		// silo is 64_053 + 10_837 - 49_944 = 24_946 short.
		System::assert_has_event(
			Event::DeleverageNeeded { market: MARKET, silo: SILO, shortfall: 24_946 }.into(),
		);

		// Bob's score 40_037/50_037 * 10_000/49_986 = 0.1601 beats Carol's 24_010/30_010 *
		// 6_000/33_979 = 0.1413. Their profit at the oracle price: 40_037 + 24_010 = 64_047.
		// Paid in full (tried, then rolled back), the closes would get the pool's 49_944 -
		// 10_837 = 39_107 beyond Dave's claim and claim 24_940 more: no position left, the silo
		// 24_940 short. Haircuts: 40_037 * 24_940 / 64_047 = 15_590.2 -> 15_591 and 24_010 *
		// 24_940 / 64_047 = 9_349.5 -> 9_350 (38.94% each). What they keep, 24_446 and 14_660,
		// is paid now from what the pool holds beyond Dave's claim (39_107 >= 39_106): Dave's
		// claim keeps its call on the pool, and is paid first thing next block.
		assert_ok!(PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET));
		assert_eq!(
			deleveraged(),
			vec![(BOB, 40_037, 24_446, 0, 15_591), (CAROL, 24_010, 14_660, 0, 9_350)]
		);
		// Pool 49_944 - 39_106 = 10_838 against Dave's 10_837: no shortfall.
		assert_eq!((books().pool, books().claims), (10_838, 10_837));
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 0);
		// Their margins came back with what they kept: Bob 90_000 + 9_949 + 24_446, Carol
		// 90_000 + 9_969 + 14_660.
		assert_eq!((free(BOB), free(CAROL)), (124_395, 114_629));

		run_to_block(2);
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ClaimPaid {
			silo: SILO,
			who: DAVE,
			claim: 0,
			amount: 10_837,
			from_insurance: 0,
		}));
		assert_eq!((books().pool, books().claims), (1, 0));
		// Dave got all of his profit: 100_000 + 16_001 - 21 - 5 of fees.
		assert_eq!(free(DAVE), 115_975);
	});
}

/// When the top winners' profit is less than the shortfall, a step takes all of it and the
/// shortfall still falls strictly; the next step closes the rest with a haircut on the next
/// winner.
///
/// Before: the shortfall was the winners' net PnL at the oracle price less the pool (100_199 -
/// 40_203 = 59_996) and each close was paid in full while the pool lasted: Bob 25_087 and Carol
/// 15_040 in the first call, Dave the 76 left and 59_996 unpaid in the second.
#[test]
fn deleveraging_steps_shrink_the_shortfall_until_it_is_closed() {
	new_test_ext().execute_with(|| {
		open_market(params(), 10_000, &[ALICE, BOB, CAROL, DAVE], 200_000);
		// Alice long 2_000: fill 100.1, entry 200_200, fee 201, margin 29_799.
		// Bob short 500 from skew 2_000: 0.175%, fill 100.175, entry 50_087, fee 51, 5_949.
		// Carol short 300 from 1_500: 0.135%, fill 100.135, entry 30_040, fee 31, 3_969.
		// Dave short 1_200 from 1_200: 0.06%, fill 100.06, entry 120_072, fee 121, 99_879.
		assert_ok!(buy(ALICE, 2_000, 30_000));
		assert_ok!(sell(BOB, 500, 6_000));
		assert_ok!(sell(CAROL, 300, 4_000));
		assert_ok!(sell(DAVE, 1_200, 100_000));
		assert_eq!((books().pool, books().insurance), (10_324, 80));
		// Halved: Alice owes 200_200 - 100_000 = 100_200 against 29_799. Pool 10_324 + 29_799
		// + 80 of insurance = 40_203. The shorts (buy 2_000 from -2_000: premium -0.1%, fill
		// 49.95, 99_900) are owed 200_199 - 99_900 = 100_299: 60_096 short.
		MockPrices::set(MARKET, fixed(50));
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		assert_eq!(books().pool, 40_203);
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 60_096);

		// Scores: Bob 25_087/50_087 * 25_000/31_036 = 0.403, Carol 15_040/30_040 *
		// 15_000/19_009 = 0.395, Dave 60_072/120_072 * 60_000/159_951 = 0.188. The step takes
		// Bob and Carol: 25_087 + 15_040 = 40_127 < 60_096, so the haircut is all of it.
		assert_ok!(PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET));
		assert_eq!(deleveraged(), vec![(BOB, 25_087, 0, 0, 25_087), (CAROL, 15_040, 0, 0, 15_040)]);
		// Dave alone (buy 1_200 from -1_200: -0.06%, fill 49.97, 59_964) is owed 120_072 -
		// 59_964 = 60_108: 60_108 - 40_203 = 19_905 short, strictly less than 60_096.
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 19_905);
		// Next step: paid in full at the oracle price (50: 120_072 - 60_000 = 60_072), Dave's
		// close would leave a claim of 60_072 - 40_203 = 19_869 (less than the 19_905 his mark
		// at the close-the-side fill said): he forfeits exactly that, 33.1%, and is paid the
		// other 40_203, all the pool holds.
		assert_ok!(PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET));
		assert_eq!(deleveraged()[2], (DAVE, 60_072, 40_203, 0, 19_869));
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 0);
		assert_eq!((books().pool, books().claims), (0, 0));
		// Bob and Carol got their margin back, Dave his margin and what he kept.
		assert_eq!((free(BOB), free(CAROL), free(DAVE)), (199_949, 199_969, 240_082));
		assert_noop!(
			PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET),
			Error::<Test>::SiloSolvent
		);
		run_to_block(2);
	});
}

/// A winner's close the pool cannot pay: the rest is a claim, paid from whatever comes into the
/// pool in later blocks (here its fee share, then another trader's loss), a part at a time.
/// Before: the rest was reported unpaid and never paid.
#[test]
fn a_profit_the_pool_cannot_pay_is_a_claim_paid_from_later_inflows() {
	new_test_ext().execute_with(|| {
		open_market(no_funding_params(), 1_000, &[ALICE, BOB], 100_000);
		// Alice long 1_000 (fill 100.05, entry 100_050, margin 19_899), Bob short 1_000 (from
		// skew 1_000: fill 100.05, entry 100_050, margin 19_899). Pool 1_000 + 81 + 81.
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 20_000));
		assert_eq!(books().pool, 1_162);
		// At 110 Alice closes (sell 1_000 from skew 0: -0.05%, fill 109.945): +9_895, fee
		// 109.945 -> 110. The pool pays 1_162; 8_733 is her claim.
		MockPrices::set(MARKET, fixed(110));
		assert_ok!(close(ALICE));
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ProfitClaimed {
			silo: SILO,
			who: ALICE,
			claim: 0,
			amount: 8_733,
		}));
		// 80_000 + 1_162 + 19_899 - 110 of margin back.
		assert_eq!(free(ALICE), 100_951);
		// Only the fee's 88 (110 - 22) is in the pool.
		assert_eq!((books().pool, books().claims), (88, 8_733));

		// The end of block 1 finds the pool below its claims (and reserve) and says so; block 2
		// pays the 88 the pool has, then the insurance fund's 62 (20 + 20 + 22 of the fees):
		// 150, a part, the claim stays first.
		run_to_block(2);
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ClaimPaid {
			silo: SILO,
			who: ALICE,
			claim: 0,
			amount: 150,
			from_insurance: 62,
		}));
		assert!(ReserveShort::<Test>::contains_key(SILO));
		assert_eq!((books().pool, books().insurance, books().claims), (0, 0, 8_583));
		// Bob closes in block 2 (buy 1_000 from skew -1_000: fill 109.945, 109_945): -9_895
		// from his margin, fee 110: the pool gets 9_895 + 88.
		assert_ok!(close(BOB));
		assert_eq!(books().pool, 9_983);
		run_to_block(3);
		System::assert_has_event(silo_event(pallet_collateral_silos::Event::ClaimPaid {
			silo: SILO,
			who: ALICE,
			claim: 0,
			amount: 8_583,
			from_insurance: 0,
		}));
		assert!(!ReserveShort::<Test>::contains_key(SILO));
		assert_eq!((books().pool, books().insurance, books().claims), (1_400, 22, 0));
		// Alice: 100_951 + 150 + 8_583 = 100_000 + 9_895 - 101 - 110: all of her profit.
		assert_eq!(free(ALICE), 109_684);
		assert_eq!(free(BOB), 100_000 - 9_895 - 101 - 110);
	});
}

/// The open-interest cap follows the pool: a side may grow only up to
/// `max_open_interest_to_pool` of the pool (less its claims), valued at the oracle price;
/// reducing is always allowed, also once the pool shrank below what the side is worth.
///
/// Before: only the static size caps (2_000_000 a side here): the 501 longs, and any number of
/// longs after the LP left, would have opened against whatever the pool held.
#[test]
fn the_open_interest_cap_follows_the_pool_and_never_blocks_a_reduction() {
	new_test_ext().execute_with(|| {
		let capped = MarketParams { max_open_interest_to_pool: rational(1, 2), ..params() };
		open_market(capped, 100_000, &[ALICE, BOB], 100_000);
		// Half of 100_000: 501 longs are worth 50_100 at 100, 500 exactly 50_000.
		assert_noop!(buy(ALICE, 501, 20_000), Error::<Test>::OpenInterestCapExceeded);
		// Fill 100.025, entry 50_012.5 -> 50_013, fee 50.01 -> 51 (41 to the pool).
		assert_ok!(buy(ALICE, 500, 20_000));
		// Half of 100_041 is 50_020: 510 longs (51_000) are too many, whoever adds them.
		assert_noop!(buy(BOB, 10, 2_000), Error::<Test>::OpenInterestCapExceeded);

		// The LP leaves. The longs would be owed 500 * 110.0275 - 50_013 = 55_013 - 50_013 =
		// 5_000 after a 10% rise: the reserve. The shares are worth 100_000_000 * 100_041 /
		// 100_001_000 = 100_039; 100_041 - 5_000 = 95_041 may leave, for 100_000_000 * 95_041
		// / 100_039 = 95_003_949 shares (rounded up).
		assert_ok!(CollateralSilos::request_liquidity_withdrawal(
			RuntimeOrigin::signed(LP),
			SILO,
			100_000_000
		));
		assert_ok!(CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(LP), SILO, 0));
		System::assert_last_event(silo_event(pallet_collateral_silos::Event::LiquidityRemoved {
			silo: SILO,
			who: LP,
			shares: 95_003_949,
			amount: 95_041,
			paid: 95_041,
			shares_left: 4_996_051,
		}));
		assert_eq!(books().pool, 5_000);
		// The cap is now 2_500 and the longs are worth 50_000: no more longs...
		assert_noop!(buy(ALICE, 10, 0), Error::<Test>::OpenInterestCapExceeded);
		// ...but a reduction passes (sell 100 from skew 500: fill 100.045; entry share 10_003,
		// proceeds 10_004: +1, fee 11, 9 of it to the pool: 5_008).
		assert_ok!(sell(ALICE, 100, 0));
		assert_eq!(position(ALICE).size_units, 400);
		assert_eq!(books().pool, 5_008);
		// Shorts have a cap of their own, half of 5_008 = 2_504: 26 shorts (2_600) are too many,
		// 25 (2_500) fit.
		assert_noop!(sell(BOB, 26, 1_000), Error::<Test>::OpenInterestCapExceeded);
		assert_ok!(sell(BOB, 25, 1_000));
		assert_ok!(close(ALICE));
		run_to_block(2);
	});
}

/// A winner whose fee outgrew its margin pays the rest of the fee out of its profit even when
/// the pool cannot pay that profit now. Before the fix the rest was locked back out of free
/// margin after the profit was paid, and with only the pool's 1_009 paid against 1_012 due the
/// close failed with `InsufficientFreeMargin`: the winner could not close at all. Here: margin
/// 1_989, fee 3_001, so 1_012 comes off the profit.
#[test]
fn a_winner_whose_fee_outgrew_its_margin_closes_even_when_its_profit_becomes_a_claim() {
	new_test_ext().execute_with(|| {
		open_market(params(), 1_000, &[ALICE], 2_000);
		// As in `a_winner_whose_fee_outgrew_its_margin_still_closes_paying_the_rest_from_its_
		// profit`: entry 10_001, margin 1_989; pool 1_000 + 9.
		assert_ok!(buy(ALICE, 100, 2_000));
		assert_eq!((free(ALICE), books().pool), (0, 1_009));
		// 300x: +2_990_149, fee 3_001 of which 1_012 beyond the margin.
		MockPrices::set(MARKET, fixed(30_000));
		assert_ok!(close(ALICE));
		// Alice ends with her profit less the 1_012: the pool's 1_009 now, 2_988_128 claimed.
		let claimed: u128 = pallet_collateral_silos::ProfitClaims::<Test>::iter_prefix(SILO)
			.filter(|(_, claim)| claim.who == ALICE)
			.map(|(_, claim)| claim.amount)
			.sum();
		assert_eq!((free(ALICE), claimed), (1_009, 2_988_128));
		assert_eq!(free(ALICE) + claimed, 2_990_149 - 1_012);
		assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &ALICE), 0);
	});
}
