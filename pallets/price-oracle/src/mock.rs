//! A test runtime: System, Timestamp and the oracle, with four feeders (Alice, Bob, Charlie,
//! Dave), one BTC-USD feed of three sources, and a recorder for `OnPriceUpdate`.

use crate::{self as pallet_price_oracle, crypto, FeedOf, Source};
use bulwark_primitives::{Aggregate, MarketId, OnPriceUpdate};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Hooks},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_core::{sr25519, Pair};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{BuildStorage, FixedU128, Perbill};
use std::{cell::RefCell, sync::Arc};

bulwark_test_kit::construct_test_runtime! {
	pub struct Test {
		Timestamp: pallet_timestamp = 1,
		PriceOracle: pallet_price_oracle = 2,
	}
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {
	type MinimumPeriod = ConstU64<3_000>;
}

// The transaction the offchain worker builds: a general transaction with only the
// authorization extension (all the test needs of the runtime's pipeline).
bulwark_test_kit::impl_create_transaction!(
	Test,
	Address = u64,
	Extension = frame_system::AuthorizeCall<Test>,
	new = frame_system::AuthorizeCall::new()
);

thread_local! {
	/// Every `on_price_update` call, in order.
	pub static PRICE_UPDATES: RefCell<Vec<(MarketId, Aggregate<u64>)>> = const { RefCell::new(Vec::new()) };
}

pub struct RecordUpdates;
impl OnPriceUpdate<u64> for RecordUpdates {
	fn on_price_update(market: MarketId, aggregate: &Aggregate<u64>) {
		PRICE_UPDATES.with(|updates| updates.borrow_mut().push((market, *aggregate)));
	}
	fn max_weight() -> Weight {
		Weight::from_parts(1_000_000, 0)
	}
}

/// The markets and prices of every `on_price_update` call, in order.
pub fn price_updates() -> Vec<(MarketId, FixedU128)> {
	aggregates().into_iter().map(|(market, aggregate)| (market, aggregate.price)).collect()
}

/// Every `on_price_update` call with the whole aggregate handed over, in order.
pub fn aggregates() -> Vec<(MarketId, Aggregate<u64>)> {
	PRICE_UPDATES.with(|updates| updates.borrow().clone())
}

parameter_types! {
	pub const ReportPriority: u64 = u64::MAX / 2;
}

impl pallet_price_oracle::Config for Test {
	type AuthorityId = crypto::Public;
	type AdminOrigin = EnsureRoot<u64>;
	type FeederOrigin = EnsureRoot<u64>;
	type UnixTime = Timestamp;
	type OnPriceUpdate = RecordUpdates;
	type ReportPriority = ReportPriority;
	type MaxFeeders = ConstU32<8>;
	type MaxMarkets = ConstU32<3>;
	type MaxSources = ConstU32<4>;
	type MaxUrlLen = ConstU32<128>;
	type MaxPathLen = ConstU32<32>;
	type WeightInfo = ();
}

pub const BTC: MarketId = 0;
pub const SEEDS: [&str; 5] = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve"];

/// The oracle key of a dev seed, as the keystore derives it.
pub fn key(seed: &str) -> crypto::Public {
	crypto::Public::from(sr25519::Pair::from_string(seed, None).expect("dev seed").public())
}
pub fn alice() -> crypto::Public {
	key("//Alice")
}
pub fn bob() -> crypto::Public {
	key("//Bob")
}
pub fn charlie() -> crypto::Public {
	key("//Charlie")
}
pub fn dave() -> crypto::Public {
	key("//Dave")
}
pub fn eve() -> crypto::Public {
	key("//Eve")
}

pub const SOURCE_URLS: [&str; 3] = [
	"http://binance.test/api/v3/ticker/price?symbol=BTCUSDT",
	"http://coinbase.test/v2/prices/BTC-USD/spot",
	"http://kraken.test/0/public/Ticker?pair=XBTUSD",
];
pub const SOURCE_PATHS: [&str; 3] = ["price", "data.amount", "result.XXBTZUSD.c.0"];

pub fn source(url: &str, path: &str) -> Source<ConstU32<128>, ConstU32<32>> {
	Source {
		url: url.as_bytes().to_vec().try_into().expect("short url"),
		price_path: path.as_bytes().to_vec().try_into().expect("short path"),
	}
}

/// BTC-USD: three sources, two must agree within 10%, band [1, 10_000_000].
pub fn btc_feed() -> FeedOf<Test> {
	FeedOf::<Test> {
		symbol: b"BTC-USD".to_vec().try_into().expect("short symbol"),
		sources: SOURCE_URLS
			.iter()
			.zip(SOURCE_PATHS)
			.map(|(url, path)| source(url, path))
			.collect::<Vec<_>>()
			.try_into()
			.expect("three sources fit"),
		min_sources: 2,
		max_source_deviation: Perbill::from_percent(10),
		min_price: FixedU128::from_u32(1),
		max_price: FixedU128::from_u32(10_000_000),
	}
}

/// Storage with the four feeders and the BTC feed; a keystore holding the oracle keys of
/// `keystore_seeds`.
pub fn new_test_ext_with_keys(keystore_seeds: &[&str]) -> sp_io::TestExternalities {
	let mut storage = bulwark_test_kit::system_storage::<Test>();
	pallet_price_oracle::GenesisConfig::<Test> {
		feeders: vec![alice(), bob(), charlie(), dave()],
		feeds: vec![(BTC, btc_feed())],
		params: None,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	let keystore = MemoryKeystore::new();
	for seed in keystore_seeds {
		keystore
			.sr25519_generate_new(crate::KEY_TYPE, Some(seed))
			.expect("memory keystore stores keys");
	}
	ext.register_extension(KeystoreExt(Arc::new(keystore)));
	ext.execute_with(|| {
		bulwark_test_kit::reset();
		PRICE_UPDATES.with(|updates| updates.borrow_mut().clear());
		run_to_block(1);
	});
	ext
}

/// All five dev keys in the keystore, so tests can sign as anyone.
pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with_keys(&SEEDS)
}

/// Runs blocks up to `n`: the start-of-block pass, a 6 s timestamp, then the invariants.
pub fn run_to_block(n: u64) {
	bulwark_test_kit::run_to_block_with::<Test>(
		n,
		|now| {
			System::reset_events();
			PriceOracle::on_initialize(now);
			Timestamp::set_timestamp(now * 6_000);
		},
		PriceOracle::do_try_state,
	);
}
