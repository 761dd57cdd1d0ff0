//! The pool's priority bands in the real runtime: no tip reaches the owner lane, and nothing
//! an account can pay reaches oracle reports or liquidations.

use super::{margin::*, *};
use crate::priority::{
	CappedTip, LIQUIDATION_PRIORITY, MAX_TIP_PRIORITY, ORACLE_REPORT_PRIORITY, OWNER_LANE_PRIORITY,
};
use sp_runtime::{
	traits::Zero,
	transaction_validity::{TransactionPriority, ValidTransaction},
	FixedPointNumber, FixedU128,
};

/// `call` signed by `signer` with `nonce`, tipping `tip`.
fn with_tip(
	signer: Sr25519Keyring,
	call: RuntimeCall,
	nonce: Nonce,
	tip: Balance,
) -> UncheckedExtrinsic {
	let mut extension = tx_extension(nonce);
	extension.10 = CappedTip(pallet_transaction_payment::ChargeTransactionPayment::from(tip));
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(signer.to_account_id()),
		signature.into(),
		extension,
	)
}

fn valid(xt: UncheckedExtrinsic) -> ValidTransaction {
	validate(xt).expect("valid")
}

fn priority(xt: UncheckedExtrinsic) -> TransactionPriority {
	valid(xt).priority
}

fn margin(call: pallet_perpetual_margin::Call<Runtime>) -> RuntimeCall {
	RuntimeCall::PerpetualMargin(call)
}

#[test]
fn no_tip_reaches_the_owner_lane_and_nothing_reaches_reports_or_liquidations() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		bob_long_a_tenth_of_a_btc();
		end_block();
		start_block(2);
		// The largest tip a funded account can pay: nearly all of its 1,000,000 BWK.
		let largest_tip = DEV_ENDOWMENT - 10 * BWK;
		let transfer = |tip| {
			with_tip(
				Sr25519Keyring::Ferdie,
				RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: MultiAddress::Id(account(Sr25519Keyring::Eve)),
					value: BWK,
				}),
				0,
				tip,
			)
		};
		// Without the cap, this tip would saturate the priority at u64::MAX.
		assert_eq!(priority(transfer(largest_tip)), MAX_TIP_PRIORITY);
		assert!(priority(transfer(0)) < priority(transfer(BWK)));

		// Bob's risk-reducing calls, without a tip: the lane, above any tipped transfer.
		let add_margin =
			margin(pallet_perpetual_margin::Call::add_margin { market: BTC, amount: 100 * USDB });
		let close = margin(pallet_perpetual_margin::Call::close_position {
			market: BTC,
			acceptable_price: FixedU128::zero(),
		});
		let trade = |size_delta, reduce_only| {
			margin(pallet_perpetual_margin::Call::trade {
				market: BTC,
				size_delta,
				margin: 0,
				acceptable_price: if size_delta > 0 {
					FixedU128::saturating_from_integer(100_000u32)
				} else {
					FixedU128::zero()
				},
				reduce_only,
			})
		};
		for call in [add_margin.clone(), close.clone(), trade(-TENTH_OF_A_BTC / 2, true)] {
			let lane = priority(with_tip(Sr25519Keyring::Bob, call.clone(), 0, 0));
			let lane_band = OWNER_LANE_PRIORITY..=OWNER_LANE_PRIORITY + MAX_TIP_PRIORITY;
			assert!(lane_band.contains(&lane), "{call:?}: {lane}");
			// With the largest tip too, still below the reports.
			let tipped = priority(with_tip(Sr25519Keyring::Bob, call, 0, largest_tip));
			assert_eq!(tipped, OWNER_LANE_PRIORITY + MAX_TIP_PRIORITY);
			assert!(tipped < ORACLE_REPORT_PRIORITY);
		}
		// One of each kind per position waits in the pool: the tag names the owner, market and
		// kind, so a second close of Bob's position replaces or is refused, never queues.
		let closes = valid(with_tip(Sr25519Keyring::Bob, close, 0, 0));
		let reduces = valid(with_tip(Sr25519Keyring::Bob, trade(-1_000_000, true), 1, 0));
		let lane_tag = |validity: &ValidTransaction| {
			let prefix = "BulwarkOwnerLane".encode();
			validity.provides.iter().find(|tag| tag.starts_with(&prefix)).cloned()
		};
		assert!(lane_tag(&closes).is_some());
		assert_eq!(lane_tag(&closes), lane_tag(&reduces));
		// Not the lane: a trade that adds risk, a reduce-only trade larger than the position,
		// and anything from an account without a position.
		for (who, call) in [
			(Sr25519Keyring::Bob, trade(TENTH_OF_A_BTC, false)),
			(Sr25519Keyring::Bob, trade(-2 * TENTH_OF_A_BTC, true)),
			(Sr25519Keyring::Dave, add_margin),
		] {
			let validity = valid(with_tip(who, call.clone(), 0, 0));
			assert!(validity.priority <= MAX_TIP_PRIORITY, "{call:?}");
			assert_eq!(lane_tag(&validity), None);
		}

		// The bands above: a report and a due liquidation.
		let report = oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Alice, 2, 67_000);
		assert_eq!(priority(report), ORACLE_REPORT_PRIORITY);
		aggregate(2, 58_000);
		assert_eq!(
			priority(liquidate_unsigned(&account(Sr25519Keyring::Bob))),
			LIQUIDATION_PRIORITY
		);
		end_block();
	});
}
