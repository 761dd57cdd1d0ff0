//! The mock runtime's declaration and the configs of the pallets every mock shares.
//!
//! Macros, not types: a `Config` must be implemented in the crate that declares the runtime.
//! Their expansions name `frame_support`, `frame_system`, `sp_runtime` (and `pallet_balances`,
//! `pallet_assets` for the currency form) as the mock crate sees them: the mock's runtime lists
//! those pallets anyway.

/// Declares the mock runtime `$runtime` and implements the configs of the pallets every mock
/// shares, with [`impl_base_configs!`], in one of two forms:
///
/// - `pub struct Test { ... }`: `System` (`frame_system`) at index 0, then the given pallets.
/// - `pub struct Test with balances and assets (AccountId = AccountId) { ... }`: `System` at 0,
///   `Balances` (`pallet_balances`) at 1 and `Assets` (`pallet_assets`) at 2, then the given
///   pallets.
///
/// The runtime derives every aggregate type FRAME can derive, so a pallet that starts using
/// holds, tasks or view functions needs no change here.
///
/// ```ignore
/// bulwark_test_kit::construct_test_runtime! {
///     pub struct Test {
///         Breakers: pallet_circuit_breaker = 1,
///     }
/// }
/// ```
#[macro_export]
macro_rules! construct_test_runtime {
	(pub struct $runtime:ident { $($name:ident: $pallet:ident = $index:literal),+ $(,)? }) => {
		$crate::__declare_test_runtime!($runtime {
			System: frame_system = 0,
			$($name: $pallet = $index),+
		});
		$crate::impl_base_configs!($runtime);
	};
	(
		pub struct $runtime:ident with balances and assets (AccountId = $account:ty) {
			$($name:ident: $pallet:ident = $index:literal),+ $(,)?
		}
	) => {
		$crate::__declare_test_runtime!($runtime {
			System: frame_system = 0,
			Balances: pallet_balances = 1,
			Assets: pallet_assets = 2,
			$($name: $pallet = $index),+
		});
		$crate::impl_base_configs!($runtime, AccountId = $account, with balances and assets);
	};
}

/// The `#[frame_support::runtime]` declaration behind [`construct_test_runtime!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_test_runtime {
	($runtime:ident { $($name:ident: $pallet:ident = $index:literal),+ }) => {
		#[frame_support::runtime]
		mod runtime {
			#[runtime::runtime]
			#[runtime::derive(
				RuntimeCall,
				RuntimeEvent,
				RuntimeError,
				RuntimeOrigin,
				RuntimeFreezeReason,
				RuntimeHoldReason,
				RuntimeSlashReason,
				RuntimeLockId,
				RuntimeTask,
				RuntimeViewFunction
			)]
			pub struct $runtime;

			$(
				#[runtime::pallet_index($index)]
				pub type $name = $pallet;
			)+
		}
	};
}

/// Implements `frame_system::Config` for the mock runtime `$runtime` (FRAME's test defaults and
/// its mock block), in one of two forms:
///
/// - `impl_base_configs!(Test)`: `frame_system` alone, with the defaults' `u64` accounts.
/// - `impl_base_configs!(Test, AccountId = AccountId, with balances and assets)`: accounts of the
///   given type looked up as themselves, plus `pallet_balances` (the native currency, existential
///   deposit 1) and `pallet_assets` (the collateral: anyone signed creates, root forces), both
///   with `u128` balances like `bulwark_primitives::Balance`. The runtime must name them
///   `System` and `Balances`.
#[macro_export]
macro_rules! impl_base_configs {
	// In an anonymous const: `derive_impl` calls itself back by its bare name, so it must be in
	// scope, and a `use` at the mock's top level would clash with a mock that imports it too.
	($runtime:ident) => {
		const _: () = {
			use frame_support::derive_impl;

			#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
			impl frame_system::Config for $runtime {
				type Block = frame_system::mocking::MockBlock<$runtime>;
			}
		};
	};
	($runtime:ident, AccountId = $account:ty, with balances and assets) => {
		const _: () = {
			use frame_support::derive_impl;

			#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
			impl frame_system::Config for $runtime {
				type Block = frame_system::mocking::MockBlock<$runtime>;
				type AccountId = $account;
				type Lookup = sp_runtime::traits::IdentityLookup<$account>;
				type AccountData = pallet_balances::AccountData<u128>;
			}

			#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
			impl pallet_balances::Config for $runtime {
				type Balance = u128;
				type ExistentialDeposit = frame_support::traits::ConstU128<1>;
				type AccountStore = System;
			}

			#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
			impl pallet_assets::Config for $runtime {
				type Balance = u128;
				type Currency = Balances;
				type CreateOrigin = frame_support::traits::AsEnsureOriginWithArg<
					frame_system::EnsureSigned<$account>,
				>;
				type ForceOrigin = frame_system::EnsureRoot<$account>;
				type Freezer = ();
				type Holder = ();
			}
		};
	};
}

/// Lets the mock's offchain workers submit general transactions (the shape the runtime's
/// authorized calls take): `pub type Extrinsic`, an unchecked extrinsic from `Address` carrying
/// `Extension`, and the runtime's `CreateTransactionBase`, `CreateTransaction` and
/// `CreateAuthorizedTransaction`, whose extension is built by `new`.
///
/// ```ignore
/// bulwark_test_kit::impl_create_transaction!(
///     Test,
///     Address = u64,
///     Extension = frame_system::AuthorizeCall<Test>,
///     new = frame_system::AuthorizeCall::new()
/// );
/// ```
#[macro_export]
macro_rules! impl_create_transaction {
	($runtime:ident, Address = $address:ty, Extension = $extension:ty, new = $new:expr $(,)?) => {
		pub type Extrinsic =
			sp_runtime::generic::UncheckedExtrinsic<$address, RuntimeCall, (), $extension>;

		impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for $runtime
		where
			RuntimeCall: From<LocalCall>,
		{
			type Extrinsic = Extrinsic;
			type RuntimeCall = RuntimeCall;
		}

		impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for $runtime
		where
			RuntimeCall: From<LocalCall>,
		{
			type Extension = $extension;
			fn create_transaction(call: RuntimeCall, extension: $extension) -> Extrinsic {
				Extrinsic::new_transaction(call, extension)
			}
		}

		impl<LocalCall> frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for $runtime
		where
			RuntimeCall: From<LocalCall>,
		{
			fn create_extension() -> $extension {
				$new
			}
		}
	};
}
