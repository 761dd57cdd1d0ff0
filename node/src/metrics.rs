//! Bulwark's risk metrics on the node's Prometheus endpoint, next to the `substrate_*` series.
//!
//! Every new best block the node imports is read once, from the runtime APIs (breakers, stress
//! test, liquidatable positions) and from storage (oracle prices, markets' open interest, silos'
//! insurance targets, the block's events). The block's series replace the previous block's as
//! one snapshot, so a scrape never mixes two blocks: `bulwark_block_number` says which block
//! every gauge was read at. Counters (`*_total`) add up the events of every new best block this
//! node imported since it started (a block that a re-org later drops is still counted).
//!
//! Money is in whole USDB (the silos' collateral, 6 decimals), prices in USD per coin. The names
//! and their meaning are listed in `ops/metrics.txt`, which the alert rules and the dashboard
//! are checked against.

use std::sync::Arc;

use bulwark_runtime::{opaque::Block, AssetId, BlockNumber, Runtime, RuntimeEvent};
use codec::Decode;
use futures::{FutureExt, StreamExt};
use pallet_circuit_breaker::runtime_api::CircuitBreakerApi;
use pallet_perpetual_margin::runtime_api::PerpetualMarginApi;
use parking_lot::Mutex;
use prometheus_endpoint::{
	prometheus::{
		core::{Collector, Desc},
		proto::MetricFamily,
	},
	register, Counter, Gauge, GaugeVec, Opts, PrometheusError, Registry, F64, U64,
};
use sc_client_api::{BlockchainEvents, StorageProvider};
use sp_api::ProvideRuntimeApi;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT},
	traits::{Get, Saturating},
	FixedI128, FixedPointNumber, FixedU128,
};
use sp_storage::StorageKey;

use crate::service::{FullBackend, FullClient};

/// The stress test's shock the `bulwark_silo_stress_*` series report: every market 20% down.
const STRESS_SHOCK_PERCENT: i128 = -20;
/// Positions asked of `liquidatable` per call (its maximum).
const LIQUIDATABLE_PAGE: u32 = 1_000;
/// At most this many pages are read per block: a queue longer than this is reported as this.
const LIQUIDATABLE_PAGES: u32 = 100;
/// Collateral units per USDB.
const USDB: f64 = bulwark_runtime::USDB as f64;

/// The per-block gauges: created afresh for every block, so a market or silo that is gone
/// leaves no series behind.
struct BlockGauges {
	block_number: GaugeVec<F64>,
	oracle_price: GaugeVec<F64>,
	oracle_age: GaugeVec<F64>,
	oracle_stale: GaugeVec<F64>,
	oracle_spread: GaugeVec<F64>,
	oracle_volatility: GaugeVec<F64>,
	breaker_level: GaugeVec<F64>,
	flagged: GaugeVec<F64>,
	open_interest: GaugeVec<F64>,
	emergency: GaugeVec<F64>,
	pool: GaugeVec<F64>,
	insurance: GaugeVec<F64>,
	insurance_floor: GaugeVec<F64>,
	stress_bad_debt: GaugeVec<F64>,
	stress_uncovered: GaugeVec<F64>,
	withdrawals: GaugeVec<F64>,
	liquidation_queue: GaugeVec<F64>,
	block_liquidations: GaugeVec<F64>,
	block_deleverages: GaugeVec<F64>,
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> GaugeVec<F64> {
	GaugeVec::new(Opts::new(name, help), labels).expect("static names and labels are valid")
}

impl BlockGauges {
	fn new() -> Self {
		Self {
			block_number: gauge(
				"bulwark_block_number",
				"The best block every other bulwark_* gauge was read at.",
				&[],
			),
			oracle_price: gauge(
				"bulwark_oracle_price",
				"The market's last oracle aggregate, in USD per coin.",
				&["market"],
			),
			oracle_age: gauge(
				"bulwark_oracle_age_blocks",
				"Blocks since the market's last oracle aggregate.",
				&["market"],
			),
			oracle_stale: gauge(
				"bulwark_oracle_stale",
				"1 when the oracle calls the market's price Stale, else 0.",
				&["market"],
			),
			oracle_spread: gauge(
				"bulwark_oracle_spread_ratio",
				"How far the feeders disagreed in the last aggregate's round (median absolute \
				 deviation over the median, 0..1).",
				&["market"],
			),
			oracle_volatility: gauge(
				"bulwark_oracle_volatility",
				"The oracle's per-block volatility of the market's price (square root of its \
				 EWMA variance of relative changes).",
				&["market"],
			),
			breaker_level: gauge(
				"bulwark_market_breaker_level",
				"What the market allows: 0 Normal, 1 ReduceOnly, 2 Halted.",
				&["market"],
			),
			flagged: gauge(
				"bulwark_market_flagged",
				"1 while owners' reductions in the market are bounded (a band trip in force, an \
				 aggregate held), else 0.",
				&["market"],
			),
			open_interest: gauge(
				"bulwark_market_open_interest_usdb",
				"The side's open interest valued at the oracle price, in USDB.",
				&["market", "side"],
			),
			emergency: gauge(
				"bulwark_emergency",
				"1 while the chain-wide emergency holds every market ReduceOnly, else 0.",
				&[],
			),
			pool: gauge("bulwark_silo_pool_usdb", "The silo's LP pool, in USDB.", &["silo"]),
			insurance: gauge(
				"bulwark_silo_insurance_usdb",
				"The silo's insurance fund, in USDB.",
				&["silo"],
			),
			insurance_floor: gauge(
				"bulwark_silo_insurance_floor_usdb",
				"The insurance fund below which the breakers stop new risk in the silo, in USDB \
				 (0: no floor).",
				&["silo"],
			),
			stress_bad_debt: gauge(
				"bulwark_silo_stress_bad_debt_usdb",
				"Bad debt the shock (every market's price moved by `shock`) would leave in the \
				 silo, in USDB.",
				&["silo", "shock"],
			),
			stress_uncovered: gauge(
				"bulwark_silo_stress_uncovered_usdb",
				"Of that bad debt, what the silo's insurance fund cannot pay (the LPs' loss), in \
				 USDB.",
				&["silo", "shock"],
			),
			withdrawals: gauge(
				"bulwark_silo_withdrawals",
				"The silo's withdrawals: 0 Normal, 1 RateLimited, 2 Frozen.",
				&["silo"],
			),
			liquidation_queue: gauge(
				"bulwark_silo_liquidation_queue",
				"Positions in the silo's markets that are liquidatable now.",
				&["silo"],
			),
			block_liquidations: gauge(
				"bulwark_block_liquidations",
				"Liquidations in the block.",
				&[],
			),
			block_deleverages: gauge(
				"bulwark_block_deleverages",
				"Positions auto-deleveraged in the block.",
				&[],
			),
		}
	}

	fn all(&self) -> [&GaugeVec<F64>; 19] {
		[
			&self.block_number,
			&self.oracle_price,
			&self.oracle_age,
			&self.oracle_stale,
			&self.oracle_spread,
			&self.oracle_volatility,
			&self.breaker_level,
			&self.flagged,
			&self.open_interest,
			&self.emergency,
			&self.pool,
			&self.insurance,
			&self.insurance_floor,
			&self.stress_bad_debt,
			&self.stress_uncovered,
			&self.withdrawals,
			&self.liquidation_queue,
			&self.block_liquidations,
			&self.block_deleverages,
		]
	}
}

/// The last block's series, handed out whole to every scrape.
#[derive(Clone)]
struct Snapshot {
	descs: Arc<Vec<Desc>>,
	families: Arc<Mutex<Vec<MetricFamily>>>,
}

impl Collector for Snapshot {
	fn desc(&self) -> Vec<&Desc> {
		self.descs.iter().collect()
	}

	fn collect(&self) -> Vec<MetricFamily> {
		self.families.lock().clone()
	}
}

/// The series this node exports about the chain's risk.
pub struct RiskMetrics {
	snapshot: Snapshot,
	liquidations: Counter<U64>,
	deleverages: Counter<U64>,
	bad_debt: Counter<F64>,
	/// How long the last block's gauges took to read: what the metrics cost this node.
	read_seconds: Gauge<F64>,
}

impl RiskMetrics {
	/// Registers every `bulwark_*` series in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let template = BlockGauges::new();
		let descs = template.all().iter().flat_map(|g| g.desc()).cloned().collect();
		let snapshot =
			Snapshot { descs: Arc::new(descs), families: Arc::new(Mutex::new(Vec::new())) };
		Ok(Self {
			snapshot: register(snapshot, registry)?,
			liquidations: register(
				Counter::new(
					"bulwark_liquidations_total",
					"Liquidations in the new best blocks this node imported since it started.",
				)?,
				registry,
			)?,
			deleverages: register(
				Counter::new(
					"bulwark_deleverages_total",
					"Positions auto-deleveraged in the new best blocks this node imported since \
					 it started.",
				)?,
				registry,
			)?,
			bad_debt: register(
				Counter::new(
					"bulwark_bad_debt_usdb_total",
					"Bad debt left by liquidations in the new best blocks this node imported \
					 since it started, in USDB.",
				)?,
				registry,
			)?,
			read_seconds: register(
				Gauge::new(
					"bulwark_metrics_read_seconds",
					"How long reading the last block's bulwark_* gauges took (the stress test \
					 and the liquidatable positions walk every position).",
				)?,
				registry,
			)?,
		})
	}

	/// Reads every new best block the client imports, until the node stops.
	pub async fn run(self, client: Arc<FullClient>) {
		let mut imports = client.import_notification_stream();
		while let Some(first) = imports.next().await {
			// Behind (a slow stress test, a burst of imports): every new best block's events are
			// counted, but only the newest one's gauges are read.
			let mut newest = None;
			let mut pending = vec![first];
			while let Some(Some(next)) = imports.next().now_or_never() {
				pending.push(next);
			}
			for notification in pending.into_iter().filter(|n| n.is_new_best) {
				let (hash, number) = (notification.hash, *notification.header.number());
				match block_events(&client, hash) {
					Ok(events) => {
						self.liquidations.inc_by(events.liquidations);
						self.deleverages.inc_by(events.deleverages);
						self.bad_debt.inc_by(events.bad_debt as f64 / USDB);
					},
					Err(error) => log::debug!(
						target: "bulwark-metrics",
						"events of block {number} ({hash:?}) not counted: {error}"
					),
				}
				newest = Some((hash, number));
			}
			let Some((hash, number)) = newest else { continue };
			let started = std::time::Instant::now();
			match self.read_block(&client, hash, number) {
				Ok(families) => *self.snapshot.families.lock() = families,
				Err(error) => log::debug!(
					target: "bulwark-metrics",
					"risk metrics of block {number} ({hash:?}) not read: {error}"
				),
			}
			self.read_seconds.set(started.elapsed().as_secs_f64());
		}
	}

	/// One block's gauges, as families ready for scrapes.
	fn read_block(
		&self,
		client: &FullClient,
		hash: <Block as BlockT>::Hash,
		number: BlockNumber,
	) -> Result<Vec<MetricFamily>, String> {
		let gauges = BlockGauges::new();
		let api = client.runtime_api();
		let fail = |what: &str, error: sp_api::ApiError| format!("{what}: {error}");
		gauges.block_number.with_label_values(&[]).set(number as f64);

		let markets = api.market_statuses(hash).map_err(|e| fail("market_statuses", e))?;
		let mut silo_of_market = std::collections::BTreeMap::new();
		for report in &markets {
			let label = report.market.to_string();
			let market = [label.as_str()];
			gauges.breaker_level.with_label_values(&market).set(level(report.status));
			gauges.flagged.with_label_values(&market).set(flag(report.flagged));
			let price: Option<pallet_price_oracle::MarketPrice<BlockNumber>> = read_storage(
				client,
				hash,
				pallet_price_oracle::Prices::<Runtime>::hashed_key_for(report.market),
			)?;
			if let Some(price) = price {
				gauges.oracle_price.with_label_values(&market).set(fixed(price.price));
				gauges
					.oracle_age
					.with_label_values(&market)
					.set(number.saturating_sub(price.updated_at) as f64);
				let stale = price.status != bulwark_primitives::PriceStatus::Fresh;
				gauges.oracle_stale.with_label_values(&market).set(flag(stale));
				gauges
					.oracle_spread
					.with_label_values(&market)
					.set(price.spread.deconstruct() as f64 / 1e9);
				gauges
					.oracle_volatility
					.with_label_values(&market)
					.set(fixed(price.variance).sqrt());
				let state: Option<pallet_perpetual_margin::MarketOf<Runtime>> = read_storage(
					client,
					hash,
					pallet_perpetual_margin::Markets::<Runtime>::hashed_key_for(report.market),
				)?;
				if let Some(state) = state {
					silo_of_market.insert(report.market, state.silo);
					let unit_price = price.price.saturating_mul(state.params.value_scale);
					let sides = [
						("long", state.open_interest.long_size),
						("short", state.open_interest.short_size),
					];
					for (side, size) in sides {
						let value = unit_price.saturating_mul_int(size);
						gauges
							.open_interest
							.with_label_values(&[label.as_str(), side])
							.set(value as f64 / USDB);
					}
				}
			}
		}
		let emergency = api.emergency(hash).map_err(|e| fail("emergency", e))?;
		gauges.emergency.with_label_values(&[]).set(flag(emergency));

		let shock_label = format!("{:.1}", STRESS_SHOCK_PERCENT as f64 / 100.0);
		let shock = FixedI128::saturating_from_rational(STRESS_SHOCK_PERCENT, 100);
		let stress = api.stress_test(hash, None, shock).map_err(|e| fail("stress_test", e))?;
		let breaker_params: pallet_circuit_breaker::BreakerParams<BlockNumber> = read_storage(
			client,
			hash,
			pallet_circuit_breaker::Params::<Runtime>::hashed_key().to_vec(),
		)?
		.unwrap_or_else(pallet_circuit_breaker::DefaultParams::<Runtime>::get);
		for silo in &stress {
			let label = silo.silo.to_string();
			let at = [label.as_str()];
			let shocked = [label.as_str(), shock_label.as_str()];
			gauges.pool.with_label_values(&at).set(silo.pool as f64 / USDB);
			gauges.insurance.with_label_values(&at).set(silo.insurance as f64 / USDB);
			gauges.stress_bad_debt.with_label_values(&shocked).set(silo.bad_debt as f64 / USDB);
			gauges.stress_uncovered.with_label_values(&shocked).set(silo.uncovered as f64 / USDB);
			let params: Option<pallet_collateral_silos::Silo<AssetId, BlockNumber>> = read_storage(
				client,
				hash,
				pallet_collateral_silos::Silos::<Runtime>::hashed_key_for(silo.silo),
			)?;
			let floor = params.map_or(0, |s| {
				breaker_params.insurance_floor.saturating_mul_int(s.params.insurance_target)
			});
			gauges.insurance_floor.with_label_values(&at).set(floor as f64 / USDB);
			gauges.liquidation_queue.with_label_values(&at).set(0.0);
		}
		for report in api.silo_statuses(hash).map_err(|e| fail("silo_statuses", e))? {
			let label = report.silo.to_string();
			gauges.withdrawals.with_label_values(&[label.as_str()]).set(match report.withdrawals {
				bulwark_primitives::WithdrawalStatus::Normal => 0.0,
				bulwark_primitives::WithdrawalStatus::RateLimited => 1.0,
				bulwark_primitives::WithdrawalStatus::Frozen => 2.0,
			});
		}

		for page in 0..LIQUIDATABLE_PAGES {
			let positions = api
				.liquidatable(hash, page * LIQUIDATABLE_PAGE, LIQUIDATABLE_PAGE)
				.map_err(|e| fail("liquidatable", e))?;
			for (_, market) in &positions {
				if let Some(silo) = silo_of_market.get(market) {
					gauges.liquidation_queue.with_label_values(&[silo.to_string().as_str()]).inc();
				}
			}
			if positions.len() < LIQUIDATABLE_PAGE as usize {
				break;
			}
		}

		let events = block_events(client, hash)?;
		gauges.block_liquidations.with_label_values(&[]).set(events.liquidations as f64);
		gauges.block_deleverages.with_label_values(&[]).set(events.deleverages as f64);

		Ok(gauges.all().iter().flat_map(|g| g.collect()).collect())
	}
}

/// What one block's events say about liquidations and auto-deleveraging.
struct BlockEvents {
	liquidations: u64,
	deleverages: u64,
	/// Bad debt the block's liquidations left, collateral units.
	bad_debt: u128,
}

fn block_events(client: &FullClient, hash: <Block as BlockT>::Hash) -> Result<BlockEvents, String> {
	let records: Vec<frame_system::EventRecord<RuntimeEvent, <Block as BlockT>::Hash>> =
		read_storage(client, hash, system_events_key())?.unwrap_or_default();
	let mut events = BlockEvents { liquidations: 0, deleverages: 0, bad_debt: 0 };
	for record in records {
		match record.event {
			RuntimeEvent::PerpetualMargin(pallet_perpetual_margin::Event::Liquidated {
				bad_debt,
				..
			}) => {
				events.liquidations += 1;
				events.bad_debt = events.bad_debt.saturating_add(bad_debt);
			},
			RuntimeEvent::PerpetualMargin(pallet_perpetual_margin::Event::Deleveraged {
				..
			}) => events.deleverages += 1,
			_ => {},
		}
	}
	Ok(events)
}

/// A storage value at `hash`, decoded as this node's runtime types; `None` if absent.
fn read_storage<V: Decode>(
	client: &FullClient,
	hash: <Block as BlockT>::Hash,
	key: Vec<u8>,
) -> Result<Option<V>, String> {
	let data = <FullClient as StorageProvider<Block, FullBackend>>::storage(
		client,
		hash,
		&StorageKey(key.clone()),
	)
	.map_err(|e| format!("storage {}: {e}", sp_core::hexdisplay::HexDisplay::from(&key)))?;
	data.map(|data| {
		V::decode(&mut &data.0[..]).map_err(|e| {
			// A runtime upgrade changed the layout: this node's types no longer read it.
			format!("storage {} does not decode: {e}", sp_core::hexdisplay::HexDisplay::from(&key))
		})
	})
	.transpose()
}

/// `System::Events`' key (frame-system keeps the storage item's alias private).
fn system_events_key() -> Vec<u8> {
	[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat()
}

fn fixed(value: FixedU128) -> f64 {
	value.into_inner() as f64 / FixedU128::DIV as f64
}

fn flag(on: bool) -> f64 {
	if on {
		1.0
	} else {
		0.0
	}
}

fn level(status: bulwark_primitives::MarketStatus) -> f64 {
	match status {
		bulwark_primitives::MarketStatus::Normal => 0.0,
		bulwark_primitives::MarketStatus::ReduceOnly => 1.0,
		bulwark_primitives::MarketStatus::Halted => 2.0,
	}
}

/// Starts the metrics task if the node has a Prometheus endpoint.
pub fn spawn(
	client: Arc<FullClient>,
	registry: Option<&Registry>,
	spawner: &sc_service::SpawnTaskHandle,
) -> Result<(), PrometheusError> {
	let Some(registry) = registry else { return Ok(()) };
	let metrics = RiskMetrics::register(registry)?;
	// Runtime calls (the stress test walks every position) block: a thread of their own.
	spawner.spawn_blocking("bulwark-risk-metrics", Some("metrics"), metrics.run(client));
	Ok(())
}
