//! Runtime-level checks: pallet integrity, genesis presets, block limits, and a real block.

use super::*;
use crate::{
	configs::*,
	genesis_config_presets::{
		get_preset as preset_patch, preset_names, DEV_ENDOWMENT, DEV_USDB_ENDOWMENT,
	},
};
use codec::{Decode, Encode};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::{fungibles, IntegrityTest},
};
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::Header as HeaderT,
};

mod governance;
mod incidents;
mod jelly;
mod lanes;
mod mango;
mod margin;
mod price_guard;

fn preset_config(name: &str) -> RuntimeGenesisConfig {
	crate::harness::preset_config(name).expect("preset exists")
}

fn preset_ext(name: &str) -> sp_io::TestExternalities {
	let storage = preset_config(name).build_storage().expect("genesis builds");
	sp_io::TestExternalities::new(storage)
}

#[test]
fn pallets_pass_their_integrity_tests() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.execute_with(AllPalletsWithSystem::integrity_test);
}

#[test]
fn presets_are_listed_and_unknown_ones_refused() {
	assert_eq!(
		preset_names(),
		vec!["development".to_string(), "local_testnet".to_string(), "staging".to_string()]
	);
	assert!(preset_patch(&"staging-does-not-exist".into()).is_none());
}

#[test]
fn development_preset_builds_a_one_validator_chain() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let alice: AuraId = Sr25519Keyring::Alice.public().into();
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().into_inner(), vec![alice]);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		#[cfg(feature = "sudo")]
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		// 12 well-known dev accounts, 1M BWK each.
		assert_eq!(pallet_balances::TotalIssuance::<Runtime>::get(), 12 * DEV_ENDOWMENT);
		assert_eq!(Balances::free_balance(Sr25519Keyring::Ferdie.to_account_id()), DEV_ENDOWMENT);
		// USDB: 6 decimals, 1M each, one-cent minimum.
		assert_eq!(
			<Assets as fungibles::Inspect<AccountId>>::total_issuance(USDB_ASSET_ID),
			12 * DEV_USDB_ENDOWMENT
		);
		assert_eq!(
			<Assets as fungibles::Inspect<AccountId>>::minimum_balance(USDB_ASSET_ID),
			10_000
		);
		assert_eq!(
			<Assets as fungibles::metadata::Inspect<AccountId>>::decimals(USDB_ASSET_ID),
			USDB_DECIMALS
		);
		assert_eq!(
			<Assets as fungibles::metadata::Inspect<AccountId>>::symbol(USDB_ASSET_ID),
			b"USDB".to_vec()
		);
	});
}

/// The `local_testnet` preset's validators.
const LOCAL_VALIDATORS: [Sr25519Keyring; 4] =
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];

#[test]
fn local_testnet_preset_has_four_validators_in_session_aura_and_grandpa() {
	use sp_keyring::Ed25519Keyring;
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let four = LOCAL_VALIDATORS;
		let mut accounts: Vec<AccountId> = four.iter().map(|k| k.to_account_id()).collect();
		accounts.sort();
		assert_eq!(pallet_validator_set::Validators::<Runtime>::get().into_inner(), accounts);
		assert_eq!(Session::validators(), accounts);
		// Aura and GRANDPA got their keys from the session, in the session's order.
		let aura: Vec<AuraId> = pallet_aura::Authorities::<Runtime>::get().into_inner();
		assert_eq!(aura.len(), 4);
		for key in four {
			assert!(aura.contains(&key.public().into()));
		}
		let grandpa: Vec<GrandpaId> =
			Grandpa::grandpa_authorities().into_iter().map(|(id, _)| id).collect();
		for key in [
			Ed25519Keyring::Alice,
			Ed25519Keyring::Bob,
			Ed25519Keyring::Charlie,
			Ed25519Keyring::Dave,
		] {
			assert!(grandpa.contains(&key.public().into()));
		}
		#[cfg(feature = "sudo")]
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
	});
}

/// Built with the `sudo` feature (the default: dev and local networks), pallet-sudo is pallet 7;
/// built without it (staging, production), the runtime has no sudo call, no sudo storage and no
/// sudo key in any preset, and index 7 is left empty: every other pallet keeps its index, so
/// calls encoded for one build mean the same in the other.
#[test]
fn sudo_is_pallet_7_only_in_a_runtime_built_with_it() {
	use frame_support::traits::PalletsInfoAccess;
	let pallets: Vec<(usize, &str)> =
		AllPalletsWithSystem::infos().iter().map(|info| (info.index, info.name)).collect();
	let mut expected = vec![
		(0, "System"),
		(1, "Timestamp"),
		(2, "Aura"),
		(3, "Grandpa"),
		(4, "Balances"),
		(5, "TransactionPayment"),
		(6, "Assets"),
		(7, "Sudo"),
		(8, "Preimage"),
		(9, "Scheduler"),
		(10, "Referenda"),
		(11, "ConvictionVoting"),
		(12, "GovernanceOrigins"),
		(13, "Guardians"),
		(14, "ValidatorSet"),
		(15, "Session"),
		(20, "CollateralSilos"),
		(21, "PriceOracle"),
		(22, "CircuitBreaker"),
		(23, "PerpetualMargin"),
	];
	let with_sudo = cfg!(feature = "sudo");
	if !with_sudo {
		expected.retain(|(index, _)| *index != 7);
	}
	let mut sorted = pallets.clone();
	sorted.sort();
	assert_eq!(sorted, expected);
	// `sudo.removeKey` (pallet 7, call 4) is a call only where sudo is built in.
	assert_eq!(RuntimeCall::decode(&mut &[7u8, 4][..]).is_ok(), with_sudo);
	// Nor does the metadata name it (the type paths of its calls and events).
	let metadata = Runtime::metadata_at_version(15).expect("metadata v15");
	assert_eq!(metadata.windows(11).any(|bytes| bytes == b"pallet_sudo"), with_sudo);
	// No preset sets a sudo key where there is no sudo, and staging never does; without sudo
	// nothing at all is stored under its prefix (not even a pallet version).
	let sudo_prefix = sp_io::hashing::twox_128(b"Sudo");
	let sudo_key = [sudo_prefix, sp_io::hashing::twox_128(b"Key")].concat();
	for (preset, has_key) in [
		(sp_genesis_builder::DEV_RUNTIME_PRESET, with_sudo),
		(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, with_sudo),
		(genesis_config_presets::STAGING_PRESET, false),
	] {
		let storage = preset_config(preset).build_storage().expect("genesis builds");
		assert_eq!(storage.top.contains_key(&sudo_key), has_key, "{preset}");
		let under_sudo = storage.top.keys().filter(|key| key.starts_with(&sudo_prefix)).count();
		assert_eq!(under_sudo > 0, with_sudo, "{preset}");
	}
}

#[test]
fn staging_preset_has_no_sudo_and_three_guardians() {
	preset_ext(genesis_config_presets::STAGING_PRESET).execute_with(|| {
		#[cfg(feature = "sudo")]
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		let mut guardians: Vec<AccountId> =
			[Sr25519Keyring::Eve, Sr25519Keyring::Ferdie, Sr25519Keyring::One]
				.iter()
				.map(|k| k.to_account_id())
				.collect();
		guardians.sort();
		assert_eq!(pallet_collective::Members::<Runtime, GuardianCollective>::get(), guardians);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
	});
}

/// In every preset the oracle's feeders sign with keys of their own: none is a validator's Aura
/// or GRANDPA key, nor any well-known dev key (sr25519 or ed25519), so knowing the dev phrase's
/// accounts signs no report; each is the validator's seed with `//oracle`.
#[test]
fn no_feeder_key_is_an_aura_key_or_a_well_known_key() {
	use sp_keyring::Ed25519Keyring;
	let well_known: Vec<[u8; 32]> = Sr25519Keyring::iter()
		.map(|key| key.public().0)
		.chain(Ed25519Keyring::iter().map(|key| key.public().0))
		.collect();
	for preset in [
		sp_genesis_builder::DEV_RUNTIME_PRESET,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
		genesis_config_presets::STAGING_PRESET,
	] {
		preset_ext(preset).execute_with(|| {
			let feeders = pallet_price_oracle::Feeders::<Runtime>::get();
			let validators = pallet_session::Validators::<Runtime>::get();
			assert_eq!(feeders.len(), validators.len(), "{preset}: one feeder per validator");
			let aura: Vec<[u8; 32]> = pallet_aura::Authorities::<Runtime>::get()
				.iter()
				.map(|key| key.clone().into_inner().0)
				.collect();
			let grandpa: Vec<[u8; 32]> = pallet_grandpa::Authorities::<Runtime>::get()
				.iter()
				.map(|(key, _)| key.clone().into_inner().0)
				.collect();
			for feeder in feeders.iter() {
				let raw = feeder.clone().into_inner().0;
				assert!(!aura.contains(&raw), "{preset}: feeder {feeder:?} is an Aura key");
				assert!(!grandpa.contains(&raw), "{preset}: feeder {feeder:?} is a GRANDPA key");
				assert!(!well_known.contains(&raw), "{preset}: feeder {feeder:?} is a dev key");
			}
			// Each validator's feeder key is its seed's `//oracle` derivation.
			let mut expected: Vec<[u8; 32]> = LOCAL_VALIDATORS
				.iter()
				.filter(|key| validators.contains(&key.to_account_id()))
				.map(|key| genesis_config_presets::dev_oracle_key(*key).expect("a dev validator").0)
				.collect();
			expected.sort();
			let mut raw: Vec<[u8; 32]> = feeders.iter().map(|f| f.clone().into_inner().0).collect();
			raw.sort();
			assert_eq!(raw, expected, "{preset}");
		});
	}
}

/// The presets' written-out oracle keys are the `//oracle` derivations of the dev validators'
/// seeds (what `--alice` and friends generate), and none is the validator's own key.
#[test]
fn dev_oracle_keys_are_the_validators_oracle_derivations() {
	use sp_core::Pair;
	for (validator, public) in genesis_config_presets::DEV_ORACLE_KEYS {
		assert_eq!(crate::harness::oracle_pair(validator).public().0, public, "{validator}");
		assert_ne!(validator.public().0, public, "{validator}");
	}
}

/// `--alice` (and `author_rotateKeys` with a seed) generates what the presets declare: Aura and
/// GRANDPA from `//Alice`, the oracle key from `//Alice//oracle`, each in the keystore.
#[test]
fn generated_session_keys_derive_the_oracle_key_from_the_seed() {
	use sp_core::crypto::ByteArray;
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
	let keystore = std::sync::Arc::new(MemoryKeystore::new());
	let mut ext = preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET);
	ext.register_extension(KeystoreExt(keystore.clone()));
	ext.execute_with(|| {
		let generated = opaque::generate_session_keys(b"owner", Some(b"//Alice".to_vec()));
		assert_eq!(generated.keys.aura.to_raw_vec(), Sr25519Keyring::Alice.public().to_raw_vec());
		assert_eq!(
			generated.keys.grandpa.to_raw_vec(),
			sp_keyring::Ed25519Keyring::Alice.public().to_raw_vec()
		);
		let oracle =
			genesis_config_presets::dev_oracle_key(Sr25519Keyring::Alice).expect("a dev validator");
		assert_eq!(generated.keys.oracle.to_raw_vec(), oracle.to_raw_vec());
		assert_ne!(oracle, Sr25519Keyring::Alice.public());
		assert!(keystore.has_keys(&[(oracle.to_raw_vec(), pallet_price_oracle::KEY_TYPE)]));
		// The ownership proof verifies against the owner, as `session.setKeys` checks it.
		use sp_runtime::traits::OpaqueKeys;
		let proof = generated.proof.encode();
		assert!(generated.keys.ownership_proof_is_valid(b"owner", &proof));
		assert!(!generated.keys.ownership_proof_is_valid(b"someone else", &proof));
	});
}

/// USDB on the staging chain: owner, issuer, admin and freezer are the keyless governance
/// account, so no well-known account (nor any other signer) can mint, burn, freeze or take it
/// over; Root, a referendum's origin, can hand the roles over and then act.
#[test]
fn on_staging_only_governance_can_mint_burn_or_freeze_usdb() {
	use frame_support::{assert_noop, assert_ok};
	use pallet_assets::Error as AssetsError;
	preset_ext(genesis_config_presets::STAGING_PRESET).execute_with(|| {
		let governance = genesis_config_presets::governance_account();
		let details = pallet_assets::Asset::<Runtime>::get(USDB_ASSET_ID).expect("USDB exists");
		assert_eq!(
			(&details.owner, &details.issuer, &details.admin, &details.freezer),
			(&governance, &governance, &governance, &governance)
		);
		assert!(Sr25519Keyring::iter().all(|k| k.to_account_id() != governance));
		// Alice holds USDB (every dev account does): the one anyone would burn or freeze.
		let holder = Sr25519Keyring::Alice.to_account_id();
		for who in Sr25519Keyring::iter() {
			let origin = RuntimeOrigin::signed(who.to_account_id());
			let target = MultiAddress::Id(holder.clone());
			assert_noop!(
				Assets::mint(origin.clone(), USDB_ASSET_ID.into(), target.clone(), USDB),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::burn(origin.clone(), USDB_ASSET_ID.into(), target.clone(), USDB),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::freeze(origin.clone(), USDB_ASSET_ID.into(), target.clone()),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::freeze_asset(origin.clone(), USDB_ASSET_ID.into()),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::transfer_ownership(origin.clone(), USDB_ASSET_ID.into(), target.clone()),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::set_team(
					origin.clone(),
					USDB_ASSET_ID.into(),
					target.clone(),
					target.clone(),
					target.clone()
				),
				AssetsError::<Runtime>::NoPermission
			);
			assert_noop!(
				Assets::force_asset_status(
					origin,
					USDB_ASSET_ID.into(),
					target.clone(),
					target.clone(),
					target.clone(),
					target,
					1,
					true,
					false
				),
				sp_runtime::DispatchError::BadOrigin
			);
		}
		// Root (on staging: a root referendum) makes Ferdie the issuer, and he can mint.
		let ferdie = MultiAddress::Id(Sr25519Keyring::Ferdie.to_account_id());
		let governance = MultiAddress::Id(governance);
		assert_ok!(Assets::force_asset_status(
			RuntimeOrigin::root(),
			USDB_ASSET_ID.into(),
			governance.clone(),
			ferdie.clone(),
			governance.clone(),
			governance,
			details.min_balance,
			details.is_sufficient,
			false
		));
		assert_ok!(Assets::mint(
			RuntimeOrigin::signed(Sr25519Keyring::Ferdie.to_account_id()),
			USDB_ASSET_ID.into(),
			ferdie,
			USDB
		));
	});
}

#[test]
fn normal_transactions_get_at_most_three_quarters_of_a_block() {
	let weights = RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal).max_total.expect("normal is capped");
	assert_eq!(
		weights.max_block.ref_time(),
		2 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_SECOND
	);
	assert_eq!(normal.ref_time(), weights.max_block.ref_time() / 4 * 3);
	let operational = weights.get(DispatchClass::Operational).max_total.expect("capped");
	assert_eq!(operational.ref_time(), weights.max_block.ref_time());

	let length = RuntimeBlockLength::get();
	assert_eq!(*length.max.get(DispatchClass::Normal), MAX_BLOCK_LENGTH / 4 * 3);
	assert_eq!(*length.max.get(DispatchClass::Operational), MAX_BLOCK_LENGTH);
	assert_eq!(Aura::slot_duration(), 6_000);
}

#[test]
fn metadata_v15_and_v16_are_served() {
	let versions = Runtime::metadata_versions();
	assert!(versions.contains(&15), "{versions:?}");
	assert!(versions.contains(&16), "{versions:?}");
	assert!(Runtime::metadata_at_version(15).is_some());
	assert_eq!(VERSION.spec_name, "bulwark");
}

fn signed_by(signer: Sr25519Keyring, call: RuntimeCall, nonce: Nonce) -> UncheckedExtrinsic {
	let extension = tx_extension(nonce);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(signer.to_account_id()),
		signature.into(),
		extension,
	)
}

/// The header of block 1 in slot `slot`, with the Aura pre-runtime digest authoring needs.
fn header_in_slot(slot: u64) -> Header {
	let digest =
		Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())] };
	Header::new(1, Default::default(), Default::default(), Default::default(), digest)
}

#[test]
fn a_block_with_a_transfer_is_built_and_then_imported() {
	let amount = 42 * BWK;
	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();
	let slot = 1_000_000u64;

	// Author the block the way the node does: initialize, inherents, a transaction, finalize.
	let (block, fee) = preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		Executive::initialize_block(&header_in_slot(slot));
		let timestamp =
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now: slot * SLOT_DURATION,
			}));
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(bob.clone()),
			value: amount,
		});
		let xt = signed_by(Sr25519Keyring::Alice, transfer, 0);
		// Includes the weight of the transaction extensions, which the fee pays for too.
		let info = xt.get_dispatch_info();
		let len = xt.encoded_size() as u32;

		assert_eq!(Executive::apply_extrinsic(timestamp.clone()), Ok(Ok(())));
		// The fee formula as it stands while the block is built; `finalize_block` then moves the
		// congestion multiplier for the next block.
		let fee = TransactionPayment::compute_fee(len, &info, 0);
		assert_eq!(Executive::apply_extrinsic(xt.clone()), Ok(Ok(())));
		// The transfer's actual weight equals its declared weight, so nothing is refunded.
		assert!(fee > 0);
		System::assert_has_event(RuntimeEvent::TransactionPayment(
			pallet_transaction_payment::Event::TransactionFeePaid {
				who: alice.clone(),
				actual_fee: fee,
				tip: 0,
			},
		));
		let header = Executive::finalize_block();
		assert_eq!(Balances::free_balance(&bob), DEV_ENDOWMENT + amount);
		assert_eq!(Balances::free_balance(&alice), DEV_ENDOWMENT - amount - fee);
		assert_eq!(System::account_nonce(&alice), 1);
		(Block::new(header, vec![timestamp, xt]), fee)
	});

	// Import it on a fresh copy of genesis: execute_block checks the state and extrinsics roots.
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		Executive::execute_block(block.into());
		assert_eq!(Balances::free_balance(&bob), DEV_ENDOWMENT + amount);
		assert_eq!(Balances::free_balance(&alice), DEV_ENDOWMENT - amount - fee);
		assert_eq!(System::block_number(), 1);
		// Aura saw the slot; the block-level hooks ran.
		assert_eq!(pallet_aura::CurrentSlot::<Runtime>::get(), Slot::from(slot));
	});
}

#[test]
fn a_transfer_from_an_unfunded_account_is_refused_by_the_pool() {
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(Sr25519Keyring::Bob.to_account_id()),
			value: BWK,
		});
		// `One` is not endowed in genesis: it cannot pay the fee.
		let pair = sp_keyring::Sr25519Keyring::One;
		let xt = signed_by(pair, call, 0);
		let validity =
			Executive::validate_transaction(TransactionSource::External, xt, System::block_hash(0));
		assert!(validity.is_err(), "{validity:?}");
	});
}

#[test]
fn the_usdb_silo_takes_and_returns_margin_in_the_real_runtime() {
	use frame_support::{assert_noop, assert_ok};
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let silo = pallet_collateral_silos::Silos::<Runtime>::get(0).expect("genesis silo");
		assert_eq!(silo.asset, USDB_ASSET_ID);
		let alice = Sr25519Keyring::Alice.to_account_id();
		let origin = || RuntimeOrigin::signed(alice.clone());

		assert_ok!(CollateralSilos::deposit_margin(origin(), 0, USDB_ASSET_ID, 1_000 * USDB));
		assert_eq!(
			<Assets as fungibles::Inspect<AccountId>>::balance(
				USDB_ASSET_ID,
				&CollateralSilos::account_of(0)
			),
			1_000 * USDB
		);
		// Below one dollar is dust; BWK (the native token) is not the silo's asset.
		assert_noop!(
			CollateralSilos::deposit_margin(origin(), 0, USDB_ASSET_ID, USDB - 1),
			pallet_collateral_silos::Error::<Runtime>::AmountBelowMinimum
		);
		assert_noop!(
			CollateralSilos::deposit_margin(origin(), 0, 7, 1_000 * USDB),
			pallet_collateral_silos::Error::<Runtime>::WrongAsset
		);
		assert_ok!(CollateralSilos::withdraw_margin(origin(), 0, 400 * USDB));
		assert_eq!(
			<Assets as fungibles::Inspect<AccountId>>::balance(USDB_ASSET_ID, &alice),
			DEV_USDB_ENDOWMENT - 600 * USDB
		);
		assert_eq!(
			CollateralSilos::surplus(0),
			Some(0),
			"silo 0's account holds exactly its books"
		);
		CollateralSilos::do_try_state().expect("silo invariants");
	});
}

/// An oracle report of `feeder` signed by `signer`, as the offchain worker builds it.
fn oracle_report(
	feeder: Sr25519Keyring,
	signer: Sr25519Keyring,
	round: u32,
	units: u64,
) -> UncheckedExtrinsic {
	use sp_runtime::{FixedPointNumber, FixedU128};
	let price = FixedU128::saturating_from_integer(units);
	oracle_report_of(feeder, signer, genesis_config_presets::BTC_USD, round, price)
}

/// `feeder`'s report of `price` for `market` in `round`, signed by `signer`.
fn oracle_report_of(
	feeder: Sr25519Keyring,
	signer: Sr25519Keyring,
	market: bulwark_primitives::MarketId,
	round: u32,
	price: sp_runtime::FixedU128,
) -> UncheckedExtrinsic {
	use pallet_price_oracle::PriceReport;
	use sp_core::Pair;
	let feeder = genesis_config_presets::dev_oracle_key(feeder).expect("a dev validator").into();
	let report = PriceReport { market, round, price, feeder };
	let signature =
		crate::harness::oracle_pair(signer).sign(&PriceOracle::report_payload(&report)).into();
	let call =
		RuntimeCall::PriceOracle(pallet_price_oracle::Call::submit_report { report, signature });
	<Runtime as frame_system::offchain::CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(call)
}

#[test]
fn presets_make_the_validators_feeders_of_three_markets() {
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let feeders: Vec<pallet_price_oracle::crypto::Public> =
			pallet_price_oracle::Feeders::<Runtime>::get().into_inner();
		// The feeders are the validators' oracle keys, handed over by the session.
		let mut expected: Vec<pallet_price_oracle::crypto::Public> = LOCAL_VALIDATORS
			.iter()
			.map(|k| genesis_config_presets::dev_oracle_key(*k).expect("a dev validator").into())
			.collect();
		expected.sort();
		assert_eq!(feeders, expected);
		let symbols: Vec<Vec<u8>> = (0..3)
			.map(|market| {
				pallet_price_oracle::Feeds::<Runtime>::get(market).unwrap().symbol.to_vec()
			})
			.collect();
		assert_eq!(symbols, vec![b"BTC-USD".to_vec(), b"ETH-USD".to_vec(), b"DOT-USD".to_vec()]);
		let btc = pallet_price_oracle::Feeds::<Runtime>::get(0).unwrap();
		assert_eq!(
			btc.sources[2].url.to_vec(),
			b"http://127.0.0.1:8103/0/public/Ticker?pair=XBTUSD".to_vec()
		);
		assert_eq!(btc.sources[2].price_path.to_vec(), b"result.XXBTZUSD.c.0".to_vec());
		// The session keys carry the oracle key (what `author_rotateKeys` generates).
		use sp_runtime::traits::OpaqueKeys;
		assert!(opaque::SessionKeys::key_ids().contains(&pallet_price_oracle::KEY_TYPE));
	});
}

#[test]
fn an_oracle_report_passes_the_real_pool_and_block_and_junk_does_not() {
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let genesis = System::block_hash(0);
		let validate = |xt: UncheckedExtrinsic| {
			Executive::validate_transaction(TransactionSource::External, xt, genesis)
		};
		// The dev chain's only feeder is Alice: one report is a quorum.
		let report = oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Alice, 1, 67_000);
		let valid = validate(report.clone()).expect("a valid report");
		assert_eq!(valid.priority, ORACLE_REPORT_PRIORITY);
		assert!(valid.priority > 0 && valid.priority < LIQUIDATION_PRIORITY);
		assert_eq!(report.get_dispatch_info().class, DispatchClass::Operational);

		// Bob is no feeder on the dev chain; Eve forging Alice's report; a future round.
		let custom =
			|code| Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code)));
		assert_eq!(
			validate(oracle_report(Sr25519Keyring::Bob, Sr25519Keyring::Bob, 1, 67_000)),
			custom(2)
		);
		assert_eq!(
			validate(oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Eve, 1, 67_000)),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_eq!(
			validate(oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Alice, 3, 67_000)),
			custom(3)
		);
		// The next round waits in the pool (a future transaction) until its round opens.
		let next = validate(oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Alice, 2, 67_000));
		assert_eq!(next.expect("kept for later").requires.len(), 1);
	});

	// In a block (on a fresh genesis: validation above advanced the block number): the aggregate
	// is stored, no fee is charged, Alice's nonce is untouched.
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		Executive::initialize_block(&header_in_slot(1_000_000));
		// Signed once the block is open: block 1's parent is the chain's genesis hash.
		let report = oracle_report(Sr25519Keyring::Alice, Sr25519Keyring::Alice, 1, 67_000);
		let alice_balance = Balances::free_balance(Sr25519Keyring::Alice.to_account_id());
		assert_eq!(Executive::apply_extrinsic(report.clone()), Ok(Ok(())));
		let price = pallet_price_oracle::Prices::<Runtime>::get(0).expect("aggregated");
		assert_eq!(price.price, sp_runtime::FixedU128::from_u32(67_000));
		assert_eq!(Balances::free_balance(Sr25519Keyring::Alice.to_account_id()), alice_balance);
		assert_eq!(System::account_nonce(Sr25519Keyring::Alice.to_account_id()), 0);
		// Replayed in the same block: round 1 is closed, the block builder drops it.
		assert_eq!(
			Executive::apply_extrinsic(report),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(3)))
		);
	});
}

#[test]
fn only_aggregates_move_the_breakers_and_a_lone_liar_does_not() {
	use pallet_circuit_breaker::Markets;
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		// Four feeders (the local validators): a round needs three.
		Executive::initialize_block(&header_in_slot(1_000_000));
		let apply = |feeder, round, units| {
			let xt = oracle_report(feeder, feeder, round, units);
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		};
		let band_until = || Markets::<Runtime>::get(0).expect("BTC is watched").band_until;
		use Sr25519Keyring::{Alice, Bob, Charlie};
		apply(Alice, 1, 100);
		apply(Bob, 1, 100);
		apply(Charlie, 1, 100);
		assert_eq!(Markets::<Runtime>::get(0).unwrap().samples.len(), 1);
		// Alice says 10x, then Bob: two of four are no quorum, so the breakers never see it.
		apply(Alice, 2, 1_000);
		apply(Bob, 2, 1_000);
		assert_eq!(band_until(), None);
		assert_eq!(Markets::<Runtime>::get(0).unwrap().samples.len(), 1);
		// Charlie agrees: the aggregate moves 10x and trips the band in this very block.
		apply(Charlie, 2, 1_000);
		assert_eq!(band_until(), Some(1 + 50));
		assert_eq!(
			<CircuitBreaker as bulwark_primitives::TradingStatus>::market_status(0),
			bulwark_primitives::MarketStatus::ReduceOnly
		);
	});
}

#[test]
fn bad_debt_in_the_silo_gates_its_withdrawals_and_the_api_reports_it() {
	use bulwark_primitives::{SiloLedger, TradingStatus, WithdrawalStatus};
	use pallet_circuit_breaker::runtime_api::runtime_decl_for_circuit_breaker_api::CircuitBreakerApiV2;
	preset_ext(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let trader = Sr25519Keyring::Bob.to_account_id();
		let lp = Sr25519Keyring::Charlie.to_account_id();
		frame_support::assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(lp),
			0,
			USDB_ASSET_ID,
			10_000 * USDB,
			0
		));
		frame_support::assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(trader.clone()),
			0,
			USDB_ASSET_ID,
			100 * USDB
		));
		frame_support::assert_ok!(CollateralSilos::lock_margin(0, &trader, 100 * USDB));
		assert_eq!(CircuitBreaker::withdrawal_status(0), WithdrawalStatus::Normal);
		// A loss of 300 on 100 of margin: 200 of bad debt (socialized: the fund is empty).
		let settlement = CollateralSilos::realize_loss(0, &trader, 300 * USDB).unwrap();
		assert_eq!(settlement.socialized, 200 * USDB);
		assert_eq!(CircuitBreaker::withdrawal_status(0), WithdrawalStatus::RateLimited);
		let silos = <Runtime as CircuitBreakerApiV2<Block>>::silo_statuses();
		assert_eq!(silos.len(), 1);
		assert_eq!(silos[0].withdrawals, WithdrawalStatus::RateLimited);
		assert_eq!(silos[0].reason, Some(pallet_circuit_breaker::Reason::BadDebt));
		let markets = <Runtime as CircuitBreakerApiV2<Block>>::market_statuses();
		let mut ids: Vec<_> = markets.iter().map(|m| m.market).collect();
		ids.sort();
		assert_eq!(ids, vec![0, 1, 2]);
		assert!(!<Runtime as CircuitBreakerApiV2<Block>>::emergency());
	});
}

/// Every Bulwark pallet records its storage version at genesis, so that a change of layout is a
/// version bump with a migration in `Migrations` (checked by try-runtime's pre/post hooks), and
/// a runtime upgrade that forgot one is caught by try-runtime's `post_upgrade` version check.
#[test]
fn every_bulwark_pallet_starts_at_its_in_code_storage_version() {
	use frame_support::traits::{GetStorageVersion, StorageVersion};
	fn same<P: GetStorageVersion<InCodeStorageVersion = StorageVersion>>(name: &str) {
		assert_eq!(P::on_chain_storage_version(), P::in_code_storage_version(), "{name}");
	}
	preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		same::<CollateralSilos>("collateral silos");
		same::<PriceOracle>("price oracle");
		same::<CircuitBreaker>("circuit breaker");
		same::<PerpetualMargin>("perpetual margin");
		same::<ValidatorSet>("validator set");
	});
}
