//! Governance in the real runtime, on the staging preset (no sudo): a root referendum upgrades
//! the runtime and the new code builds a block; referenda add and remove validators, who follow
//! into Aura, GRANDPA and the oracle's feeders at the session after next; the guardians trip
//! breakers and can do nothing else; failed referenda, guardians overreaching, outsiders and
//! downgrades are refused with nothing changed.

use super::*;
use crate::{
	governance::tracks::{RISK_PARAMETERS_TRACK, ROOT_TRACK},
	GuardianCollective,
};
use bulwark_primitives::MarketStatus;
use frame_support::{
	assert_noop, assert_ok,
	traits::{schedule::DispatchTime, OnInitialize, StorePreimage},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_referenda::ReferendumInfo;
use sp_core::traits::{
	CallContext, CodeExecutor, ReadRuntimeVersionExt, RuntimeCode, WrappedRuntimeCode,
};
use sp_runtime::traits::Hash as HashT;

type Executor = sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>;

fn executor() -> Executor {
	Executor::builder().build()
}

/// The staging chain, with what the node gives a runtime: a way to read the version of new
/// code, and a keystore (for session keys).
fn staging() -> sp_io::TestExternalities {
	let mut ext = preset_ext(genesis_config_presets::STAGING_PRESET);
	ext.register_extension(ReadRuntimeVersionExt::new(executor()));
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		// The running code, as a chain spec puts it at genesis.
		sp_io::storage::set(
			sp_core::storage::well_known_keys::CODE,
			crate::WASM_BINARY.expect("built with the runtime"),
		);
		System::set_block_number(1);
	});
	ext
}

/// Runs blocks up to `n` with the hook governance lives on: the scheduler, which wakes referenda
/// and enacts them.
fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Scheduler::on_initialize(next);
	}
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// Eve submits `call` for the track `origin` belongs to and places the decision deposit; the
/// twelve dev accounts vote with 900,000 BWK each, all aye or all nay. Returns the index.
fn referendum(origin: OriginCaller, call: RuntimeCall, aye: bool) -> u32 {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let proposal = <Preimage as StorePreimage>::bound(call).expect("a small call");
	assert_ok!(Referenda::submit(
		signed(Sr25519Keyring::Eve),
		Box::new(origin),
		proposal,
		DispatchTime::After(0)
	));
	assert_ok!(Referenda::place_decision_deposit(signed(Sr25519Keyring::Eve), index));
	let vote = AccountVote::Standard {
		vote: Vote { aye, conviction: Conviction::Locked1x },
		balance: 900_000 * BWK,
	};
	for voter in Sr25519Keyring::well_known() {
		assert_ok!(ConvictionVoting::vote(signed(voter), index, vote));
	}
	index
}

/// Enough blocks for a unanimous root referendum: the prepare period (an hour), the confirm
/// period (a day), the minimum enactment delay (a day), and some slack.
const ROOT_REFERENDUM_BLOCKS: BlockNumber = HOURS + 2 * DAYS + 10;

/// Passes `call` through a unanimous root referendum, to its enactment.
fn pass_root_referendum(call: RuntimeCall) {
	let index = referendum(OriginCaller::system(frame_system::RawOrigin::Root), call, true);
	assert_eq!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).map(|info| match info {
			ReferendumInfo::Ongoing(status) => status.track,
			_ => u16::MAX,
		}),
		Some(ROOT_TRACK)
	);
	run_to(System::block_number() + ROOT_REFERENDUM_BLOCKS);
	assert!(matches!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
		Some(ReferendumInfo::Approved(..))
	));
}

fn code() -> Vec<u8> {
	sp_io::storage::get(sp_core::storage::well_known_keys::CODE).expect(":code").to_vec()
}

fn spec_version_of(code: &[u8]) -> u32 {
	let version = sp_io::misc::runtime_version(code).expect("the Wasm has a version");
	sp_version::RuntimeVersion::decode(&mut &version[..]).expect("decodes").spec_version
}

#[test]
fn a_root_referendum_upgrades_the_runtime_and_the_new_code_builds_the_next_block() {
	let next = crate::next_spec_version::WASM_BINARY.expect("built with the runtime").to_vec();
	let mut ext = staging();
	let header = ext.execute_with(|| {
		let hash = <Runtime as frame_system::Config>::Hashing::hash(&next);
		assert_eq!(spec_version_of(&code()), VERSION.spec_version);
		assert_eq!(spec_version_of(&next), VERSION.spec_version + 1);

		// The referendum authorizes the new code's hash; then anyone supplies the code, free.
		pass_root_referendum(RuntimeCall::System(frame_system::Call::authorize_upgrade {
			code_hash: hash,
		}));
		System::assert_has_event(
			frame_system::Event::UpgradeAuthorized { code_hash: hash, check_version: true }.into(),
		);
		let applied =
			System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), next.clone())
				.expect("the authorized code is accepted");
		assert_eq!(applied.pays_fee, frame_support::dispatch::Pays::No);
		System::assert_has_event(frame_system::Event::CodeUpdated { hash }.into());
		assert_eq!(code(), next);
		// The next block: what the node asks the new code to build.
		let number = System::block_number() + 1;
		let slot = FIRST_SLOT_AFTER_UPGRADE;
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())],
		};
		Header::new(number, Default::default(), Default::default(), System::parent_hash(), digest)
	});

	// Run the new Wasm itself, as the node would: it reports its version, initializes a block
	// (running its upgrade hooks: the stored runtime version is the old one), takes the
	// timestamp inherent and finalizes the block.
	let executor = executor();
	let code_fetcher = WrappedRuntimeCode(next.clone().into());
	let runtime = RuntimeCode {
		code_fetcher: &code_fetcher,
		heap_pages: None,
		hash: sp_io::hashing::blake2_256(&next).to_vec(),
	};
	let mut call = |method: &str, data: Vec<u8>| {
		let mut externalities = ext.ext();
		executor
			.call(
				&mut externalities,
				&runtime,
				method,
				&data,
				CallContext::Onchain { import: false },
			)
			.0
			.unwrap_or_else(|e| panic!("{method}: {e}"))
	};
	let version = sp_version::RuntimeVersion::decode(&mut &call("Core_version", vec![])[..])
		.expect("a version");
	assert_eq!(version.spec_version, VERSION.spec_version + 1);
	call("Core_initialize_block", header.encode());
	let timestamp =
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
			now: FIRST_SLOT_AFTER_UPGRADE * SLOT_DURATION,
		}));
	let applied = call("BlockBuilder_apply_extrinsic", timestamp.encode());
	assert_eq!(ApplyExtrinsicResult::decode(&mut &applied[..]).expect("decodes"), Ok(Ok(())));
	let built =
		Header::decode(&mut &call("BlockBuilder_finalize_block", vec![])[..]).expect("a header");
	assert_eq!(built.number, header.number);
	ext.execute_with(|| {
		let last = frame_system::LastRuntimeUpgrade::<Runtime>::get().expect("recorded");
		assert_eq!(last.spec_version.0, VERSION.spec_version + 1);
	});
}

/// A slot after the test's blocks (Aura only needs it to increase).
const FIRST_SLOT_AFTER_UPGRADE: u64 = 2_000_000;

/// The upgrade guard on a real authorized upgrade: declared in an emergency, the upgrade is
/// deferred, not refused, so its authorization is spent and the same code cannot be sent again
/// (an unsigned call refused at dispatch would cost its sender nothing, block after block); the
/// first block after the emergency applies it. A second upgrade, deferred the same way, is
/// forced through by Root.
#[test]
fn an_authorized_upgrade_waits_out_an_emergency_and_root_can_force_one() {
	use frame_support::traits::OnFinalize;
	use pallet_circuit_breaker::{Deferred, Event as BreakerEvent, UpgradeBlocker, WeightInfo};
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
	let next = crate::next_spec_version::WASM_BINARY.expect("built with the runtime").to_vec();
	staging().execute_with(|| {
		let before = code();
		let hash = <Runtime as frame_system::Config>::Hashing::hash(&next);
		assert_ok!(CircuitBreaker::declare_emergency(RuntimeOrigin::root()));
		assert_ok!(System::authorize_upgrade(RuntimeOrigin::root(), hash));
		// What the pool says of the unsigned `apply_authorized_upgrade` carrying the code.
		let apply = || {
			super::margin::validate(UncheckedExtrinsic::new_bare(RuntimeCall::System(
				frame_system::Call::apply_authorized_upgrade { code: next.clone() },
			)))
		};
		assert!(apply().is_ok(), "{:?}", apply());

		assert_ok!(System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), next.clone()));
		assert_eq!(code(), before);
		System::assert_last_event(
			BreakerEvent::UpgradeDeferred { code_hash: hash, blocker: UpgradeBlocker::Emergency }
				.into(),
		);
		// The authorization is spent: the pool refuses the same code, and so does dispatch.
		assert_eq!(apply(), Err(TransactionValidityError::Invalid(InvalidTransaction::Call)));
		assert_noop!(
			System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), next.clone()),
			frame_system::Error::<Runtime>::NothingAuthorized
		);

		// Still the emergency at the block's end and the next one's: still deferred.
		let deferred_in = System::block_number();
		// A block's start reserves the look (and the application) its end makes.
		let reserved = CircuitBreaker::on_initialize(deferred_in);
		let set_code = <<Runtime as frame_system::Config>::SystemWeightInfo as frame_system::WeightInfo>::set_code();
		assert!(reserved.all_gte(set_code), "{reserved:?} < {set_code:?}");
		CircuitBreaker::on_finalize(deferred_in);
		System::set_block_number(deferred_in + 1);
		CircuitBreaker::on_finalize(deferred_in + 1);
		assert_eq!(code(), before);
		assert!(Deferred::<Runtime>::get().is_some());
		// Governance ends it: that block's end applies the code.
		assert_ok!(CircuitBreaker::end_emergency(RuntimeOrigin::root()));
		System::set_block_number(deferred_in + 2);
		CircuitBreaker::on_finalize(deferred_in + 2);
		assert_eq!(code(), next);
		assert!(Deferred::<Runtime>::get().is_none());
		System::assert_has_event(
			BreakerEvent::DeferredUpgradeApplied { code_hash: hash, since: deferred_in, forced: false }
				.into(),
		);
		System::assert_has_event(frame_system::Event::CodeUpdated { hash }.into());
		// Nothing deferred: a block's start reserves one read.
		assert_eq!(
			CircuitBreaker::on_initialize(deferred_in + 3).saturating_sub(
				<Runtime as pallet_circuit_breaker::Config>::WeightInfo::on_initialize(3, 1)
			),
			<Runtime as frame_system::Config>::DbWeight::get().reads(1)
		);

		// Root forces the next one through a new emergency, naming it.
		assert_ok!(CircuitBreaker::declare_emergency(RuntimeOrigin::root()));
		assert_ok!(System::set_code_without_checks(RuntimeOrigin::root(), before.clone()));
		assert_eq!(code(), next);
		let forced = <Runtime as frame_system::Config>::Hashing::hash(&before);
		assert_noop!(
			CircuitBreaker::apply_deferred_upgrade(signed(Sr25519Keyring::Ferdie), forced),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			CircuitBreaker::apply_deferred_upgrade(RuntimeOrigin::root(), hash),
			pallet_circuit_breaker::Error::<Runtime>::DeferredUpgradeDiffers
		);
		assert_ok!(CircuitBreaker::apply_deferred_upgrade(RuntimeOrigin::root(), forced));
		assert_eq!(code(), before);
		System::assert_has_event(
			BreakerEvent::DeferredUpgradeApplied {
				code_hash: forced,
				since: deferred_in + 2,
				forced: true,
			}
			.into(),
		);

		// Or in one call, still in the emergency: Root sets the next runtime past the guard,
		// checked as setCode checks it (a downgrade is refused).
		assert_noop!(
			CircuitBreaker::force_set_code(RuntimeOrigin::root(), before.clone()),
			frame_system::Error::<Runtime>::SpecVersionNeedsToIncrease
		);
		assert_ok!(CircuitBreaker::force_set_code(RuntimeOrigin::root(), next.clone()));
		assert_eq!(code(), next);
		System::assert_last_event(BreakerEvent::UpgradeForced { code_hash: hash }.into());
		CircuitBreaker::do_try_state().expect("breaker invariants");
	});
}

#[test]
fn a_referendum_voted_down_enacts_nothing_and_a_downgrade_is_refused() {
	staging().execute_with(|| {
		let before = code();
		let hash = <Runtime as frame_system::Config>::Hashing::hash(&[1u8, 2, 3]);
		let index = referendum(
			OriginCaller::system(frame_system::RawOrigin::Root),
			RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash: hash }),
			false,
		);
		run_to(System::block_number() + 8 * DAYS);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::Rejected(..))
		));
		assert_noop!(
			System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), vec![1, 2, 3]),
			frame_system::Error::<Runtime>::NothingAuthorized
		);
		assert_eq!(code(), before);

		// Code of the same spec_version (the running one) is refused even when authorized: the
		// authorization is spent, the code stays.
		let same = before.clone();
		let same_hash = <Runtime as frame_system::Config>::Hashing::hash(&same);
		assert_ok!(System::authorize_upgrade(RuntimeOrigin::root(), same_hash));
		assert_ok!(System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), same.clone()));
		System::assert_last_event(
			frame_system::Event::RejectedInvalidAuthorizedUpgrade {
				code_hash: same_hash,
				error: frame_system::Error::<Runtime>::SpecVersionNeedsToIncrease.into(),
			}
			.into(),
		);
		assert_eq!(code(), before);
		assert_noop!(
			System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), same),
			frame_system::Error::<Runtime>::NothingAuthorized
		);
		// And nobody but Root authorizes code.
		assert_noop!(
			System::authorize_upgrade(signed(Sr25519Keyring::Eve), same_hash),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_risk_parameters_track_tunes_markets_but_cannot_touch_code_or_validators() {
	staging().execute_with(|| {
		use crate::governance::origins::Origin as GovernanceOrigin;
		let risk = || OriginCaller::GovernanceOrigins(GovernanceOrigin::RiskParameters);
		let index = referendum(
			risk(),
			RuntimeCall::CircuitBreaker(pallet_circuit_breaker::Call::lift_market { market: 0 }),
			true,
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(ReferendumInfo::Ongoing(status)) if status.track == RISK_PARAMETERS_TRACK
		));
		// The origin itself: parameters yes; code and the validator set no.
		let origin = || RuntimeOrigin::from(GovernanceOrigin::RiskParameters);
		assert_ok!(CircuitBreaker::lift_market(origin(), 0));
		// Settling markets and winding silos down are the track's too: each call passes the
		// origin and stops at its own rule (staging's BTC has no price yet; silo 0 still has
		// markets).
		assert_noop!(
			PerpetualMargin::settle_market(origin(), 0),
			pallet_perpetual_margin::Error::<Runtime>::NoPrice
		);
		assert_noop!(
			CollateralSilos::wind_down(origin(), 0),
			pallet_collateral_silos::Error::<Runtime>::MarketsOpen
		);
		let rules = pallet_perpetual_margin::SettlementRules {
			settle_after_stale: 600,
			exit_after_stale: 60,
			exit_band: sp_runtime::Permill::from_percent(3),
		};
		assert_ok!(PerpetualMargin::set_settlement_rules(origin(), rules));
		assert_noop!(
			PerpetualMargin::settle_market(signed(Sr25519Keyring::Eve), 0),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			System::authorize_upgrade(origin(), Default::default()),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::remove_validator(origin(), Sr25519Keyring::Dave.to_account_id()),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

/// Eve's session keys, generated in the keystore as `author_rotateKeys` does, with the proof
/// that she holds them.
fn eve_registers_session_keys() -> opaque::SessionKeys {
	let eve = Sr25519Keyring::Eve.to_account_id();
	let generated = opaque::SessionKeys::generate(&eve.encode(), None);
	let keys = generated.keys;
	assert_ok!(Session::set_keys(
		signed(Sr25519Keyring::Eve),
		keys.clone(),
		generated.proof.encode()
	));
	keys
}

#[test]
fn referenda_add_and_remove_validators_and_authorities_follow_at_the_session_after_next() {
	staging().execute_with(|| {
		let eve = Sr25519Keyring::Eve.to_account_id();
		let dave = Sr25519Keyring::Dave.to_account_id();
		let aura = || pallet_aura::Authorities::<Runtime>::get().into_inner();
		let feeders = || pallet_price_oracle::Feeders::<Runtime>::get().into_inner();
		let dave_feeder = genesis_config_presets::dev_oracle_key(Sr25519Keyring::Dave)
			.expect("a dev validator")
			.into();
		assert!(feeders().contains(&dave_feeder));
		// No keys, no seat: refused even to Root.
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), eve.clone()),
			pallet_validator_set::Error::<Runtime>::NoSessionKeys
		);
		let keys = eve_registers_session_keys();

		pass_root_referendum(RuntimeCall::ValidatorSet(
			pallet_validator_set::Call::add_validator { who: eve.clone() },
		));
		assert!(!aura().contains(&keys.aura));
		// The next rotation queues her; the one after makes her an authority everywhere.
		Session::rotate_session();
		assert!(!aura().contains(&keys.aura));
		Session::rotate_session();
		assert!(Session::validators().contains(&eve));
		assert!(aura().contains(&keys.aura));
		assert_eq!(aura().len(), 5);
		assert!(feeders().contains(&keys.oracle));
		assert!(pallet_grandpa::PendingChange::<Runtime>::get().is_some_and(|change| change
			.next_authorities
			.iter()
			.any(|(id, _)| *id == keys.grandpa)));

		pass_root_referendum(RuntimeCall::ValidatorSet(
			pallet_validator_set::Call::remove_validator { who: dave.clone() },
		));
		Session::rotate_session();
		Session::rotate_session();
		assert!(!Session::validators().contains(&dave));
		assert!(!aura().contains(&Sr25519Keyring::Dave.public().into()));
		assert_eq!(aura().len(), 4);
		assert!(!feeders().contains(&dave_feeder));
		pallet_validator_set::Pallet::<Runtime>::do_try_state().expect("a valid set");
	});
}

/// A guardians' motion: Eve proposes, Eve and Ferdie vote aye, One closes it. Returns the
/// result of its dispatch.
fn guardians_pass(call: RuntimeCall) -> sp_runtime::DispatchResult {
	let length = call.encoded_size() as u32;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, GuardianCollective>::get();
	assert_ok!(Guardians::propose(signed(Sr25519Keyring::Eve), 2, Box::new(call.clone()), length));
	assert_ok!(Guardians::vote(signed(Sr25519Keyring::Eve), hash, index, true));
	assert_ok!(Guardians::vote(signed(Sr25519Keyring::Ferdie), hash, index, true));
	assert_ok!(Guardians::close(
		signed(Sr25519Keyring::One),
		hash,
		index,
		call.get_dispatch_info().call_weight,
		length
	));
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Guardians(pallet_collective::Event::Executed { result, .. }) => {
				Some(result)
			},
			_ => None,
		})
		.expect("the motion was executed")
}

#[test]
fn guardians_trip_breakers_at_once_and_can_do_nothing_else() {
	staging().execute_with(|| {
		use bulwark_primitives::TradingStatus;
		let status = || <CircuitBreaker as TradingStatus>::market_status(0);
		assert_ok!(CircuitBreaker::lift_market(RuntimeOrigin::root(), 0));
		assert_eq!(status(), MarketStatus::Normal);

		// Two of three guardians halt BTC in one block.
		let trip = RuntimeCall::CircuitBreaker(pallet_circuit_breaker::Call::trip_market {
			market: 0,
			level: MarketStatus::Halted,
		});
		assert_eq!(guardians_pass(trip), Ok(()));
		assert_eq!(status(), MarketStatus::Halted);

		// They cannot lift it, nor authorize code, nor move validators.
		let refused = Err(sp_runtime::DispatchError::BadOrigin);
		let lift =
			RuntimeCall::CircuitBreaker(pallet_circuit_breaker::Call::lift_market { market: 0 });
		assert_eq!(guardians_pass(lift), refused);
		assert_eq!(status(), MarketStatus::Halted);
		let upgrade = RuntimeCall::System(frame_system::Call::authorize_upgrade {
			code_hash: Default::default(),
		});
		assert_eq!(guardians_pass(upgrade), refused);
		assert_noop!(
			System::apply_authorized_upgrade(signed(Sr25519Keyring::Ferdie), vec![1, 2, 3]),
			frame_system::Error::<Runtime>::NothingAuthorized
		);
		let validators = RuntimeCall::ValidatorSet(pallet_validator_set::Call::remove_validator {
			who: Sr25519Keyring::Dave.to_account_id(),
		});
		assert_eq!(guardians_pass(validators), refused);
		assert_eq!(Session::validators().len(), 4);

		// One guardian alone is not the committee; an outsider cannot even propose.
		let trip_eth = RuntimeCall::CircuitBreaker(pallet_circuit_breaker::Call::trip_market {
			market: 1,
			level: MarketStatus::Halted,
		});
		assert_ok!(Guardians::propose(
			signed(Sr25519Keyring::Eve),
			1,
			Box::new(trip_eth.clone()),
			100
		));
		assert_ne!(<CircuitBreaker as TradingStatus>::market_status(1), MarketStatus::Halted);
		assert_noop!(
			Guardians::propose(signed(Sr25519Keyring::Alice), 2, Box::new(trip_eth), 100),
			pallet_collective::Error::<Runtime, GuardianCollective>::NotMember
		);
	});
}
