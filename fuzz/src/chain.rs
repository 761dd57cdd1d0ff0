//! The chain the fuzzer drives: the real runtime from the `local_testnet` preset (four
//! validators, each an oracle feeder; sudo: Alice), blocks built as the node builds them
//! (`Executive`: Aura's slot, the timestamp inherent, `on_poll` before the first transaction,
//! every transaction signed and through every transaction extension), and the invariants
//! checked after every block.

use crate::actions::{Action, Governance};
use bulwark_primitives::{MarketId, MarketStatus, SiloId, WithdrawalStatus};
use bulwark_runtime::{
	genesis_config_presets, tx_extension, AccountId, Assets, Balance, Balances, BlockNumber,
	CollateralSilos, Executive, PerpetualMargin, PriceOracle, Runtime, RuntimeCall, RuntimeOrigin,
	SignedPayload, System, UncheckedExtrinsic, USDB, USDB_ASSET_ID,
};
use codec::{DecodeLimit, Encode};
use frame_support::{
	dispatch::DispatchClass,
	traits::{fungible, fungibles},
};
use pallet_perpetual_margin::{MarketParamsOf, Markets, Positions};
use pallet_price_oracle::{Prices, Rounds};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{CheckedDiv, One, Saturating, Zero},
	FixedPointNumber, FixedU128, MultiAddress, Permill,
};

/// The accounts that act: eight of the well-known dev keys the preset endows with BWK and USDB.
/// The first (Alice) is sudo and USDB's owner: she never signs a raw call.
pub const ACCOUNTS: [Sr25519Keyring; 8] = [
	Sr25519Keyring::Alice,
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
	Sr25519Keyring::Ferdie,
	Sr25519Keyring::EveStash,
	Sr25519Keyring::FerdieStash,
];
/// Whose oracle keys (`//Alice//oracle`, ...) report prices: the local chain's four
/// validators, its feeders at genesis, and Eve, whose reports count once governance adds her key.
const REPORTERS: [Sr25519Keyring; 5] = [
	Sr25519Keyring::Alice,
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
];
/// BTC, ETH, DOT in silo 0 (the preset's), JELLY in silo 1 (listed by the setup), and one
/// market id that does not exist.
const MARKETS: MarketId = 5;
pub const JELLY: MarketId = 3;
/// Silos 0 and 1, and one that does not exist.
const SILOS: SiloId = 3;
/// The silos whose accounts receive USDB straight from an account (`Action::TransferUsdb`)
/// and whose accounts USDB's issuer may freeze (`Action::UsdbIssuer`).
const DONATED_SILOS: u8 = 2;

/// A USDB holder by index: the accounts, then silo 0's and 1's accounts (and which silo).
fn usdb_holder(index: u8) -> (AccountId, Option<SiloId>) {
	let index = index % (ACCOUNTS.len() as u8 + DONATED_SILOS);
	let silo = index.checked_sub(ACCOUNTS.len() as u8).map(SiloId::from);
	(silo.map_or_else(|| account(index), CollateralSilos::account_of), silo)
}
pub const JELLY_SILO: SiloId = 1;
/// The first slot; each block is at least one slot later than its parent.
const FIRST_SLOT: u64 = 1_000_000;
/// The most blocks one input may run (with `Wait`), so every execution ends quickly.
pub const MAX_BLOCKS: u32 = 400;

fn account(index: u8) -> AccountId {
	ACCOUNTS[usize::from(index) % ACCOUNTS.len()].to_account_id()
}

fn market(index: u8) -> MarketId {
	MarketId::from(index) % MARKETS
}

fn silo(index: u8) -> SiloId {
	SiloId::from(index) % SILOS
}

/// What an action's `dollars` field means. With its top bit clear, whole dollars: the amounts a
/// trader usually means. With it set, an amount to the unit, near a whole number of dollars:
/// bits 29..14 are dollars (up to 65,535), bits 13..0 units (up to 16,383: past USDB's minimum
/// balance of 10,000), added, or taken off when bit 30 is set. So "a wallet less a few units",
/// "all but dust" and dust alone, where rounding and minimum balances bite, are one mutation
/// away from any whole amount.
pub fn dollars(amount: u32) -> Balance {
	const EXACT: u32 = 1 << 31;
	const LESS: u32 = 1 << 30;
	const UNIT_BITS: u32 = 14;
	if amount & EXACT == 0 {
		return Balance::from(amount) * USDB;
	}
	let whole = Balance::from((amount & !(EXACT | LESS)) >> UNIT_BITS) * USDB;
	let units = Balance::from(amount & ((1 << UNIT_BITS) - 1));
	if amount & LESS == 0 {
		whole + units
	} else {
		whole.saturating_sub(units)
	}
}

/// The `dollars` field that [`dollars`] reads as `whole` dollars less `units` (`units` at most
/// 16,383), for seeds.
pub const fn dollars_less(whole: u16, units: u16) -> u32 {
	(1 << 31) | (1 << 30) | ((whole as u32) << 14) | (units as u32 & 0x3fff)
}

/// The `dollars` field that [`dollars`] reads as `whole` dollars and `units` (at most 16,383).
pub const fn dollars_and(whole: u16, units: u16) -> u32 {
	(1 << 31) | ((whole as u32) << 14) | (units as u32 & 0x3fff)
}

/// The `dollars` field of an action that moves what someone holds: `u32::MAX - k`, for `k` below
/// 16,384, is all of it (`all`) less `k` units, the way a trader empties a wallet or a margin
/// account, to the unit or all but dust; any other value is read by [`dollars`].
fn all_or_dollars(amount: u32, all: impl FnOnce() -> Balance) -> Balance {
	match u32::MAX - amount {
		short if short < 1 << 14 => all().saturating_sub(short.into()),
		_ => dollars(amount),
	}
}

/// `who`'s USDB.
fn usdb_of(who: &AccountId) -> Balance {
	<Assets as fungibles::Inspect<AccountId>>::balance(USDB_ASSET_ID, who)
}

/// Each account's and each feeder's key pair, derived once per process: deriving a dev key from
/// its URI (SHA-512 and hard derivation) costs more than signing with it, and every
/// transaction and report signs.
struct Keys {
	accounts: Vec<(Sr25519Keyring, sp_core::sr25519::Pair)>,
	/// The [`REPORTERS`]' oracle key pairs, in order.
	reporters: Vec<sp_core::sr25519::Pair>,
}

fn keys() -> &'static Keys {
	use std::sync::OnceLock;
	static KEYS: OnceLock<Keys> = OnceLock::new();
	KEYS.get_or_init(|| Keys {
		accounts: ACCOUNTS.iter().map(|who| (*who, who.pair())).collect(),
		reporters: REPORTERS
			.iter()
			.map(|who| bulwark_runtime::harness::oracle_pair(*who))
			.collect(),
	})
}

fn pair_of(
	pairs: &[(Sr25519Keyring, sp_core::sr25519::Pair)],
	who: Sr25519Keyring,
) -> &sp_core::sr25519::Pair {
	&pairs.iter().find(|(key, _)| *key == who).expect("a key of the fuzzer's").1
}

/// A transaction `call` signed by `signer` with its next nonce.
fn signed(signer: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
	let who = signer.to_account_id();
	let extension = tx_extension(System::account_nonce(&who));
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
	let signature = payload
		.using_encoded(|bytes| sp_core::Pair::sign(pair_of(&keys().accounts, signer), bytes));
	UncheckedExtrinsic::new_signed(call, MultiAddress::Id(who), signature.into(), extension)
}

fn authorized(call: RuntimeCall) -> UncheckedExtrinsic {
	<Runtime as frame_system::offchain::CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(call)
}

/// Applies `xt` as the block builder (`sc-block-builder`'s `push`) does: in a storage
/// transaction, kept if the transaction is valid (a dispatch error is included and charged) and
/// rolled back if it is not, so a refused transaction leaves nothing behind. Refusal can come
/// after writes: a Mandatory-class call that fails (sudo's `sudo_unchecked_weight` wrapping an
/// inherent's call) is charged and weighed before `BadMandatory` refuses it; a block holding it
/// would not import.
fn apply(xt: UncheckedExtrinsic) {
	let call = trace().then(|| format!("{:?}", xt.function));
	sp_io::storage::start_transaction();
	let outcome = Executive::apply_extrinsic(xt);
	if let Some(call) = call {
		let events = System::events();
		let last: Vec<_> = events.iter().rev().take(3).map(|record| &record.event).collect();
		let kept = if outcome.is_ok() { "" } else { " (rolled back)" };
		println!("  {call:.160}\n    -> {outcome:?}{kept} {last:.400?}");
	}
	if outcome.is_ok() {
		sp_io::storage::commit_transaction();
	} else {
		sp_io::storage::rollback_transaction();
	}
}

/// `BULWARK_FUZZ_TRACE=1` prints every transaction, its outcome and its last events: how one
/// reads what an input (a seed, a crash) does.
fn trace() -> bool {
	use std::sync::OnceLock;
	static TRACE: OnceLock<bool> = OnceLock::new();
	*TRACE.get_or_init(|| std::env::var_os("BULWARK_FUZZ_TRACE").is_some())
}

/// The state of one fuzzer execution beyond the chain's storage.
#[derive(Clone)]
pub struct Driver {
	/// The slot of the block being built.
	slot: u64,
	/// Blocks run so far by this input.
	blocks: u32,
	/// USDB's supply at genesis: nobody mints or burns it here (its owner, Alice, signs no raw
	/// call), so it never changes.
	usdb_supply: Balance,
	/// USDB sent straight to silos' accounts, outside the silos pallet.
	donations: Donations,
}

/// USDB sent straight to silos' accounts (`Action::TransferUsdb`), which the silos pallet does
/// not see until governance sweeps it into a silo's books.
#[derive(Clone, Debug, Default)]
pub struct Donations {
	/// Per silo, what arrived and is not swept yet: its account must hold its books plus this.
	unswept: std::collections::BTreeMap<SiloId, Balance>,
	/// What sweeps have booked in all (each exactly what had arrived).
	swept: Balance,
	/// What the last ones out of wound-down silos took beyond the books (each exactly what had
	/// arrived), in all.
	taken_last_out: Balance,
	/// What they took of the pools' rounding (not sent by anyone: for the seeds' tests).
	pool_dust_taken: Balance,
}

impl Donations {
	/// Books the events in `events` that move what was sent to a silo: a sweep books all of
	/// it; the last payment out of a wound-down silo takes all of it with the account's dust.
	fn observe(&mut self, events: impl Iterator<Item = bulwark_runtime::RuntimeEvent>) {
		use pallet_collateral_silos::Event::{DustPaidOut, SurplusSwept};
		for event in events {
			let bulwark_runtime::RuntimeEvent::CollateralSilos(event) = event else { continue };
			let (silo, amount, total) = match event {
				SurplusSwept { silo, amount } => (silo, amount, &mut self.swept),
				DustPaidOut { silo, from_pool, surplus, .. } => {
					let dust = from_pool.saturating_add(surplus);
					let minimum =
						<Assets as fungibles::Inspect<AccountId>>::minimum_balance(USDB_ASSET_ID);
					assert!(dust < minimum, "silo {silo}: {dust} taken last out as dust");
					self.pool_dust_taken = self.pool_dust_taken.saturating_add(from_pool);
					(silo, surplus, &mut self.taken_last_out)
				},
				_ => continue,
			};
			let sent = self.unswept.remove(&silo).unwrap_or_default();
			assert_eq!(amount, sent, "silo {silo}: {event:?}, but it was sent {sent}");
			*total = total.saturating_add(amount);
		}
	}
}

impl Driver {
	/// How many blocks this input has built.
	pub fn blocks(&self) -> u32 {
		self.blocks
	}

	/// What governance's sweeps have booked into silos, in all.
	pub fn swept(&self) -> Balance {
		self.donations.swept
	}

	/// What the last ones out of wound-down silos took beyond the books (what was sent to the
	/// silos, then what the pools' rounding left), in all.
	pub fn taken_last_out(&self) -> (Balance, Balance) {
		(self.donations.taken_last_out, self.donations.pool_dust_taken)
	}

	/// Starts the next block, `skip` slots after the current one (at least one).
	fn start_block(&mut self, skip: u64) {
		self.slot += skip.max(1);
		bulwark_runtime::harness::start_block(System::block_number() + 1, self.slot);
		self.blocks += 1;
		if trace() {
			for event in events_since(0) {
				println!("  (block start) {event:.200?}");
			}
		}
		// Queued withdrawals are paid as the block starts.
		self.donations.observe(events_since(0));
	}

	/// Ends the block and checks every invariant; the block's state root (its header's).
	fn end_block(&mut self) -> sp_core::H256 {
		let number = System::block_number();
		let header = Executive::finalize_block();
		check_invariants(number, self);
		header.state_root
	}
}

/// Builds the chain every input starts from, in the current externalities: genesis of the
/// `local_testnet` preset, then block 1 as governance and users would make it: every market
/// priced and open; JELLY listed in a silo of its own (its feed, its breakers tracked);
/// liquidity and insurance in both silos; every account with margin in both; a few positions.
/// Returns the driver positioned after block 1 (finalized and checked).
pub fn setup() -> Driver {
	let config =
		bulwark_runtime::harness::preset_config(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
			.expect("the local preset");
	frame_support::traits::BuildGenesisConfig::build(&config);
	let usdb_supply = <Assets as fungibles::Inspect<AccountId>>::total_issuance(USDB_ASSET_ID);
	let mut driver =
		Driver { slot: FIRST_SLOT, blocks: 0, usdb_supply, donations: Default::default() };
	driver.start_block(1);
	let root = || RuntimeOrigin::root();
	let ok = |result: sp_runtime::DispatchResult| result.expect("setup call");
	ok(CollateralSilos::create_silo(
		root(),
		USDB_ASSET_ID,
		genesis_config_presets::usdb_silo_params(),
	));
	ok(pallet_circuit_breaker::Pallet::<Runtime>::track_silo(root(), JELLY_SILO));
	let mut feed = genesis_config_presets::dev_feeds()[2].1.clone();
	feed.symbol = b"JELLY-USD".to_vec().try_into().expect("short");
	ok(PriceOracle::set_feed(root(), JELLY, feed));
	ok(pallet_circuit_breaker::Pallet::<Runtime>::track_market(root(), JELLY));
	let params = bulwark_runtime::harness::thin_market_params();
	ok(PerpetualMargin::create_market(root(), JELLY, JELLY_SILO, params));
	let prices = [
		(0, FixedU128::saturating_from_integer(67_000u32)),
		(1, FixedU128::saturating_from_integer(3_500u32)),
		(2, FixedU128::saturating_from_integer(7u32)),
		(JELLY, FixedU128::from_rational(95, 10_000)),
	];
	for (market, price) in prices {
		report_round(market, price, 0, FixedU128::zero(), 0);
		ok(pallet_circuit_breaker::Pallet::<Runtime>::lift_market(root(), market));
	}
	for (index, who) in ACCOUNTS.iter().enumerate() {
		let who = RuntimeOrigin::signed(who.to_account_id());
		for silo in [0, JELLY_SILO] {
			ok(CollateralSilos::deposit_margin(who.clone(), silo, USDB_ASSET_ID, dollars(20_000)));
		}
		if index % 3 == 2 {
			for silo in [0, JELLY_SILO] {
				ok(CollateralSilos::add_liquidity(
					who.clone(),
					silo,
					USDB_ASSET_ID,
					dollars(100_000),
					0,
				));
				ok(CollateralSilos::fund_insurance(
					who.clone(),
					silo,
					USDB_ASSET_ID,
					dollars(5_000),
				));
			}
		}
	}
	// A long and a short in each silo, so that the first price move already has work to do.
	let positions = [(1u8, 0u8, 20_000i32), (4, 0, -15_000), (5, 3, 8_000), (3, 3, -12_000)];
	for (who, market, notional) in positions {
		let size = size_of(market, notional);
		let limit = limit_price(market, notional > 0, 500);
		ok(PerpetualMargin::trade(
			RuntimeOrigin::signed(account(who)),
			MarketId::from(market),
			size,
			dollars(4_000),
			limit,
			false,
		));
	}
	driver.end_block();
	driver.blocks = 0;
	driver
}

/// The market's last oracle price (one unit of the base asset in dollars), if any.
fn oracle_price(market: MarketId) -> Option<FixedU128> {
	Prices::<Runtime>::get(market).map(|price| price.price)
}

/// A position size worth `notional` dollars at the oracle price (negative: a short), in the
/// market's size units (10^-8 of a coin in every market here).
fn size_of(market: u8, notional: i32) -> i128 {
	let Some(price) = oracle_price(MarketId::from(market)) else {
		return i128::from(notional);
	};
	let coins = FixedU128::saturating_from_integer(notional.unsigned_abs())
		.checked_div(&price)
		.unwrap_or_default();
	let units = coins.saturating_mul_int(100_000_000u128);
	let units = i128::try_from(units).unwrap_or(i128::MAX);
	if notional < 0 {
		-units
	} else {
		units
	}
}

/// An acceptable fill `slippage_bp` worse than the oracle price for a buy (`buy`) or a sell, as
/// the margin engine compares it: a unit price (the oracle price times the market's value scale).
fn limit_price(market: u8, buy: bool, slippage_bp: u16) -> FixedU128 {
	let market = MarketId::from(market);
	let (Some(price), Some(state)) = (oracle_price(market), Markets::<Runtime>::get(market)) else {
		return if buy { FixedU128::from_u32(u32::MAX) } else { FixedU128::zero() };
	};
	let unit = price.saturating_mul(state.params.value_scale);
	let slip = FixedU128::from_rational(u128::from(slippage_bp), 10_000);
	if buy {
		unit.saturating_mul(FixedU128::one().saturating_add(slip))
	} else {
		unit.saturating_mul(FixedU128::one().saturating_sub(slip))
	}
}

/// One oracle round for `market` at `price`: each reporter not in `skip` reports (a report by
/// a key that is no feeder is refused), those in `liars` report `liar` instead.
fn report_round(market: MarketId, price: FixedU128, liars: u8, liar: FixedU128, skip: u8) {
	use sp_core::Pair as _;
	let Some(round) = Rounds::<Runtime>::get(market).map(|round| round.round) else { return };
	for (index, pair) in keys().reporters.iter().enumerate() {
		let bit = 1u8 << index;
		if skip & bit != 0 {
			continue;
		}
		let reported = if liars & bit != 0 { liar } else { price };
		let report = pallet_price_oracle::PriceReport {
			market,
			round,
			price: reported,
			feeder: pair.public().into(),
		};
		let signature = pair.sign(&PriceOracle::report_payload(&report)).into();
		apply(authorized(RuntimeCall::PriceOracle(pallet_price_oracle::Call::submit_report {
			report,
			signature,
		})));
	}
}

/// Where the chain is between blocks: the block just ended is committed to the state under the
/// overlay (`commit`), so that each block's storage root covers its own changes rather than
/// every change since block 1.
pub trait Blocks {
	/// Runs `f` with this chain as the externalities.
	fn execute<R>(&mut self, f: impl FnOnce() -> R) -> R;
	/// Commits the ended block's changes, whose root must be `state_root`, the header's (so
	/// nothing after `finalize_block`, the checks included, wrote to the state).
	fn commit(&mut self, state_root: sp_core::H256);
}

/// Runs `actions` on the chain `setup` built, in blocks, checking every invariant after each.
pub fn run(chain: &mut impl Blocks, driver: &mut Driver, actions: Vec<Action>) {
	chain.execute(|| driver.start_block(1));
	'actions: for action in actions {
		let blocks = chain.execute(|| {
			if trace() {
				println!("block {}: {action:?}", System::block_number());
			}
			let before = System::event_count();
			let blocks = perform(action, &mut driver.donations);
			driver.donations.observe(events_since(before));
			blocks
		});
		let Some(NewBlocks { count, skip_slots }) = blocks else { continue };
		for _ in 0..count {
			if driver.blocks >= MAX_BLOCKS {
				break 'actions;
			}
			end_block(chain, driver);
			chain.execute(|| driver.start_block(skip_slots));
		}
	}
	end_block(chain, driver);
}

/// Ends the current block, checks it, and commits it.
fn end_block(chain: &mut impl Blocks, driver: &mut Driver) {
	let state_root = chain.execute(|| driver.end_block());
	chain.commit(state_root);
}

/// Blocks an action asks for: `count` of them, each `skip_slots` slots after its parent.
struct NewBlocks {
	count: u32,
	skip_slots: u64,
}

/// The events deposited in this block since the first `from`.
fn events_since(from: u32) -> impl Iterator<Item = bulwark_runtime::RuntimeEvent> {
	System::events().into_iter().skip(from as usize).map(|record| record.event)
}

/// Performs one action in the current block, counting what it sends straight to a silo's
/// account into `donations`; the blocks it asks to end and start, if any.
fn perform(action: Action, donations: &mut Donations) -> Option<NewBlocks> {
	use pallet_collateral_silos::Call as Silos;
	use pallet_perpetual_margin::Call as Margin;
	let signer = |who: u8| ACCOUNTS[usize::from(who) % ACCOUNTS.len()];
	let send = |who: u8, call: RuntimeCall| apply(signed(signer(who), call));
	match action {
		Action::Trade { who, market: m, notional, margin, slippage_bp, reduce_only } => {
			let call = Margin::trade {
				market: market(m),
				size_delta: size_of(market(m) as u8, notional),
				margin: dollars(margin),
				acceptable_price: limit_price(market(m) as u8, notional > 0, slippage_bp),
				reduce_only: reduce_only % 2 == 1,
			};
			send(who, call.into());
		},
		Action::Close { who, market: m, slippage_bp } => {
			let long = Positions::<Runtime>::get(account(who), market(m))
				.is_some_and(|position| position.size_units > 0);
			let acceptable_price = limit_price(market(m) as u8, !long, slippage_bp);
			send(who, Margin::close_position { market: market(m), acceptable_price }.into());
		},
		Action::AddMargin { who, market: m, dollars: amount } => {
			send(who, Margin::add_margin { market: market(m), amount: dollars(amount) }.into())
		},
		Action::RemoveMargin { who, market: m, dollars: amount } => {
			send(who, Margin::remove_margin { market: market(m), amount: dollars(amount) }.into())
		},
		Action::Deposit { who, silo: s, dollars: amount } => {
			let amount = all_or_dollars(amount, || usdb_of(&account(who)));
			send(who, Silos::deposit_margin { silo: silo(s), asset: USDB_ASSET_ID, amount }.into())
		},
		Action::Withdraw { who, silo: s, dollars: amount } => {
			let amount = all_or_dollars(amount, || {
				pallet_collateral_silos::Margin::<Runtime>::get(silo(s), account(who)).free
			});
			send(who, Silos::withdraw_margin { silo: silo(s), amount }.into())
		},
		Action::AddLiquidity { who, silo: s, dollars: amount, min_shares } => {
			let amount = all_or_dollars(amount, || usdb_of(&account(who)));
			let call = Silos::add_liquidity {
				silo: silo(s),
				asset: USDB_ASSET_ID,
				amount,
				min_shares: dollars(min_shares),
			};
			send(who, call.into())
		},
		Action::RequestWithdrawal { who, silo: s, percent } => {
			let shares = pallet_collateral_silos::LpShares::<Runtime>::get(silo(s), account(who));
			let shares = shares.saturating_mul(u128::from(percent)) / 100;
			send(who, Silos::request_liquidity_withdrawal { silo: silo(s), shares }.into());
		},
		Action::CancelWithdrawal { who, silo: s } => {
			send(who, Silos::cancel_liquidity_withdrawal { silo: silo(s) }.into())
		},
		Action::ClaimWithdrawal { who, silo: s } => {
			send(who, Silos::claim_liquidity_withdrawal { silo: silo(s), min_amount: 0 }.into())
		},
		Action::FundInsurance { who, silo: s, dollars: amount } => {
			let amount = all_or_dollars(amount, || usdb_of(&account(who)));
			send(who, Silos::fund_insurance { silo: silo(s), asset: USDB_ASSET_ID, amount }.into())
		},
		Action::CloseSilo { who, silo: s } => send(who, Silos::close_silo { silo: silo(s) }.into()),
		Action::Liquidate { keeper, who, market: m } => {
			let call: RuntimeCall =
				Margin::liquidate { who: account(who), market: market(m) }.into();
			if keeper == 0 {
				apply(authorized(call));
			} else {
				send(keeper, call);
			}
		},
		Action::Deleverage { who, market: m } => {
			send(who, Margin::deleverage { market: market(m) }.into())
		},
		Action::Price { market: m, move_bp, liars, liar_percent, skip } => {
			let market = market(m);
			let last = oracle_price(market)?;
			// At least -99%: a price never reaches zero.
			let factor = (10_000 + i64::from(move_bp)).max(100) as u128;
			let price = last.saturating_mul(FixedU128::from_rational(factor, 10_000));
			let liar = price.saturating_mul(FixedU128::from_rational(liar_percent.into(), 100));
			report_round(market, price, liars, liar, skip);
		},
		Action::Transfer { from, to, amount } => send(
			from,
			pallet_balances::Call::transfer_allow_death {
				dest: MultiAddress::Id(account(to)),
				value: Balance::from(amount),
			}
			.into(),
		),
		Action::TransferUsdb { from, to, dollars: amount } => {
			let (target, donee) = usdb_holder(to);
			let before = System::event_count();
			let call = pallet_assets::Call::transfer {
				id: USDB_ASSET_ID.into(),
				target: MultiAddress::Id(target.clone()),
				amount: all_or_dollars(amount, || usdb_of(&account(from))),
			};
			send(from, call.into());
			// A donation: what arrived (the transfer may have been refused) is counted.
			if let Some(silo) = donee {
				for event in events_since(before) {
					if let bulwark_runtime::RuntimeEvent::Assets(
						pallet_assets::Event::Transferred { from: sender, to, amount, .. },
					) = event
					{
						if sender == account(from) && to == target {
							let total = donations.unswept.entry(silo).or_default();
							*total = total.saturating_add(amount);
						}
					}
				}
			}
		},
		Action::Govern(decision) => {
			let call = Box::new(governance_call(decision));
			apply(signed(Sr25519Keyring::Alice, pallet_sudo::Call::sudo { call }.into()));
		},
		Action::NextBlock { skip_slots } => {
			return Some(NewBlocks { count: 1, skip_slots: skip_slots.into() })
		},
		Action::Wait { blocks } => return Some(NewBlocks { count: blocks.into(), skip_slots: 1 }),
		Action::Raw { who, call } => {
			let Ok(call) = RuntimeCall::decode_with_depth_limit(8, &mut &call[..]) else {
				return None;
			};
			// Alice is sudo: the governance above is hers alone.
			let signer = ACCOUNTS[1 + usize::from(who) % (ACCOUNTS.len() - 1)];
			apply(signed(signer, call));
		},
		Action::UsdbIssuer { who, act } => {
			use pallet_assets::Call as Usdb;
			let (id, who) = (USDB_ASSET_ID.into(), MultiAddress::Id(usdb_holder(who).0));
			let call = match act % 3 {
				0 => Usdb::thaw { id, who },
				1 => Usdb::freeze { id, who },
				_ => Usdb::block { id, who },
			};
			apply(signed(Sr25519Keyring::Alice, call.into()));
		},
	}
	None
}

fn governance_call(decision: Governance) -> RuntimeCall {
	use pallet_circuit_breaker::Call as Breakers;
	use pallet_collateral_silos::Call as Silos;
	use pallet_perpetual_margin::Call as Margin;
	use pallet_price_oracle::Call as Oracle;
	let status = |level: u8| match level % 3 {
		0 => MarketStatus::Normal,
		1 => MarketStatus::ReduceOnly,
		_ => MarketStatus::Halted,
	};
	let withdrawals = |level: u8| match level % 3 {
		0 => WithdrawalStatus::Normal,
		1 => WithdrawalStatus::RateLimited,
		_ => WithdrawalStatus::Frozen,
	};
	let feeder = |index: u8| {
		use sp_core::Pair as _;
		let reporters = &keys().reporters;
		reporters[usize::from(index) % reporters.len()].public().into()
	};
	match decision {
		Governance::TripMarket { market: m, level } => {
			Breakers::trip_market { market: market(m), level: status(level) }.into()
		},
		Governance::LiftMarket { market: m } => Breakers::lift_market { market: market(m) }.into(),
		Governance::TripSilo { silo: s, withdrawals: level, block_new_risk } => {
			Breakers::trip_silo {
				silo: silo(s),
				withdrawals: withdrawals(level),
				block_new_risk: block_new_risk % 2 == 1,
			}
			.into()
		},
		Governance::LiftSilo { silo: s } => Breakers::lift_silo { silo: silo(s) }.into(),
		Governance::DeclareEmergency => Breakers::declare_emergency {}.into(),
		Governance::EndEmergency => Breakers::end_emergency {}.into(),
		Governance::SettleMarket { market: m } => {
			Margin::settle_market { market: market(m) }.into()
		},
		Governance::SetHoldWindow { blocks } => {
			Margin::set_profit_hold_window { window: BlockNumber::from(blocks) }.into()
		},
		Governance::SetSettlementRules {
			settle_after_stale,
			exit_after_stale,
			exit_band_percent,
		} => Margin::set_settlement_rules {
			rules: pallet_perpetual_margin::SettlementRules {
				settle_after_stale: settle_after_stale.into(),
				exit_after_stale: exit_after_stale.into(),
				exit_band: Permill::from_percent(exit_band_percent.into()),
			},
		}
		.into(),
		Governance::WindDown { silo: s } => Silos::wind_down { silo: silo(s) }.into(),
		Governance::SweepSurplus { silo: s } => Silos::sweep_surplus { silo: silo(s) }.into(),
		Governance::RemoveFeed { market: m } => Oracle::remove_feed { market: market(m) }.into(),
		Governance::RemoveFeeder { feeder: f } => {
			Oracle::remove_feeder { feeder: feeder(f) }.into()
		},
		Governance::AddFeeder { feeder: f } => Oracle::add_feeder { feeder: feeder(f) }.into(),
		Governance::SetLeverage { market: m, max_leverage } => {
			set_market_params(market(m), |params| {
				let leverage = u128::from(max_leverage.max(1));
				params.max_leverage = FixedU128::saturating_from_integer(leverage);
				params.initial_margin = FixedU128::from_rational(1, leverage);
				params.maintenance_margin = FixedU128::from_rational(6, 10 * leverage);
			})
		},
		Governance::SetSiloParams {
			silo: s,
			min_amount,
			withdrawal_limit_percent,
			withdrawal_window,
			lp_cooldown,
			reserve_move_percent,
		} => {
			let silo = silo(s);
			let mut params = pallet_collateral_silos::Silos::<Runtime>::get(silo)
				.map_or_else(genesis_config_presets::usdb_silo_params, |state| state.params);
			params.min_amount = dollars(min_amount);
			params.withdrawal_limit = Permill::from_percent(withdrawal_limit_percent.into());
			params.withdrawal_window = withdrawal_window.into();
			params.lp_cooldown = lp_cooldown.into();
			params.reserve_move = Permill::from_percent(reserve_move_percent.into());
			Silos::set_silo_params { silo, params }.into()
		},
		Governance::SetMarketRisk {
			market: m,
			trading_fee_bp,
			liquidation_penalty_bp,
			keeper_reward_bp,
			volatility_factor,
			open_interest_to_pool_percent,
		} => set_market_params(market(m), |params| {
			let basis_points = |bp: u16| Permill::from_parts(u32::from(bp) * 100);
			params.trading_fee = basis_points(trading_fee_bp);
			params.liquidation_penalty = basis_points(liquidation_penalty_bp);
			params.keeper_reward = basis_points(keeper_reward_bp);
			params.volatility_factor = FixedU128::saturating_from_integer(volatility_factor);
			params.max_open_interest_to_pool =
				FixedU128::from_rational(open_interest_to_pool_percent.into(), 100);
		}),
		Governance::SetFunding {
			market: m,
			max_rate_ppm,
			rate_doublings,
			max_velocity_ppm,
			velocity_doublings,
			skew_scale,
		} => set_market_params(market(m), |params| {
			params.max_funding_rate = doubled_ppm(max_rate_ppm, rate_doublings);
			params.max_funding_velocity = doubled_ppm(max_velocity_ppm, velocity_doublings);
			params.skew_scale = skew_scale.into();
		}),
	}
}

/// `ppm` parts per million doubled `doublings` times, saturating at FixedU128's largest value
/// (past 127 doublings, any nonzero `ppm` is that).
pub fn doubled_ppm(ppm: u32, doublings: u8) -> FixedU128 {
	// 2^doublings, or more than any inner value once it no longer fits.
	let factor = 1u128.checked_shl(doublings.into()).unwrap_or(u128::MAX);
	FixedU128::from_inner((u128::from(ppm) * 1_000_000_000_000).saturating_mul(factor))
}

/// Governance's call setting `market`'s parameters to its current ones as `change` leaves them;
/// for a market that does not exist, the dev chain's first market's (refused: no such market).
fn set_market_params(
	market: MarketId,
	change: impl FnOnce(&mut MarketParamsOf<Runtime>),
) -> RuntimeCall {
	let Some(state) = Markets::<Runtime>::get(market) else {
		let params = genesis_config_presets::dev_markets()[0].2.clone();
		return pallet_perpetual_margin::Call::set_market_params { market, params }.into();
	};
	let mut params = state.params;
	change(&mut params);
	pallet_perpetual_margin::Call::set_market_params { market, params }.into()
}

/// Every invariant, after block `number`: a failure panics, which the fuzzer reports as a crash.
///
/// - every pallet's `try_state` (with the `try-runtime` feature: all of them, polkadot-sdk's
///   too; without: the five Bulwark pallets');
/// - BWK: the total issuance is what the accounts hold;
/// - USDB: its supply is what the accounts hold, and unchanged (nobody mints here: the owner,
///   Alice, signs no raw call);
/// - each silo: its account holds exactly its books plus what was sent to it outside the silos
///   pallet and not swept (the pallet's `try_state`, above, can only check "at least", and
///   checks that its claims add up);
/// - the block's weight within the limits of each class and of the block.
pub fn check_invariants(number: BlockNumber, driver: &Driver) {
	#[cfg(feature = "try-runtime")]
	{
		use frame_support::traits::{TryState, TryStateSelect};
		<bulwark_runtime::AllPalletsWithSystem as TryState<BlockNumber>>::try_state(
			number,
			TryStateSelect::All,
		)
		.unwrap_or_else(|error| panic!("try_state after block {number}: {error:?}"));
	}
	#[cfg(not(feature = "try-runtime"))]
	{
		let checks: [(&str, fn() -> Result<(), sp_runtime::TryRuntimeError>); 5] = [
			("margin", PerpetualMargin::do_try_state),
			("silos", CollateralSilos::do_try_state),
			("oracle", PriceOracle::do_try_state),
			("breakers", pallet_circuit_breaker::Pallet::<Runtime>::do_try_state),
			("validators", pallet_validator_set::Pallet::<Runtime>::do_try_state),
		];
		for (pallet, check) in checks {
			check().unwrap_or_else(|error| {
				panic!("{pallet} try_state after block {number}: {error:?}")
			});
		}
	}

	let held: Balance = frame_system::Account::<Runtime>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	assert_eq!(
		held,
		<Balances as fungible::Inspect<AccountId>>::total_issuance(),
		"BWK issuance after block {number}"
	);

	let usdb: Balance = pallet_assets::Account::<Runtime>::iter_prefix(USDB_ASSET_ID)
		.map(|(_, account)| account.balance)
		.sum();
	let supply = <Assets as fungibles::Inspect<AccountId>>::total_issuance(USDB_ASSET_ID);
	assert_eq!(usdb, supply, "USDB held vs supply after block {number}");
	assert_eq!(supply, driver.usdb_supply, "USDB supply changed by block {number}");

	for silo in pallet_collateral_silos::Silos::<Runtime>::iter_keys() {
		let donated = driver.donations.unswept.get(&silo).copied().unwrap_or_default();
		assert_eq!(
			CollateralSilos::surplus(silo),
			Some(donated),
			"silo {silo}'s account beyond its books after block {number} (None: short of them), \
			 against what was sent to it"
		);
	}

	let limits = <Runtime as frame_system::Config>::BlockWeights::get();
	let used = System::block_weight();
	for class in [DispatchClass::Normal, DispatchClass::Operational] {
		if let Some(max) = limits.get(class).max_total {
			assert!(
				used.get(class).all_lte(max),
				"{class:?} weight {:?} over {max:?} in block {number}",
				used.get(class)
			);
		}
	}
	assert!(
		used.total().all_lte(limits.max_block),
		"block {number} weighs {:?}, over {:?}",
		used.total(),
		limits.max_block
	);
}
