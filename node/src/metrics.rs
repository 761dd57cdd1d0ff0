//! Bulwark's risk metrics on the node's Prometheus endpoint, next to the `substrate_*` series.
//!
//! Gauges: the newest best block is read once it is imported, from the runtime APIs (breakers,
//! liquidatable positions, the stress test) and from storage (oracle prices, markets' open
//! interest, silos' books and insurance targets, the block's events). The block's series
//! replace the previous block's as one snapshot, so a scrape never mixes two blocks:
//! `bulwark_block_number` says which block they were read at. The stress test walks every
//! position, so it is read every `--risk-stress-every` blocks (10 by default) and its series
//! carry over in between: `bulwark_stress_block_number` says which block they are from. The
//! liquidation queue is counted up to [`LIQUIDATION_QUEUE_CAP`] positions (one page of the
//! runtime API), so a read costs the same however long the queue grows.
//!
//! Counters (`*_total`) add up the events of every block this node saw finalized since it
//! started (finality notifications, each with the blocks it finalized implicitly): a block a
//! re-org drops is never counted, and none is counted twice. Blocks imported during a major
//! sync are not announced by the client, so a node that syncs from far behind starts counting
//! where it caught up; and a block whose state the node pruned before it was finalized (a
//! finality stall longer than the pruning window, 256 blocks by default) cannot be read: it
//! is not counted and `bulwark_metrics_errors_total` says so (an archive node,
//! `--state-pruning archive`, counts them all).
//!
//! A block this node cannot read (a runtime upgrade changed a type this binary decodes) leaves
//! no gauges at all rather than wrong ones: the snapshot is cleared, `bulwark_metrics_errors_total`
//! grows, and the log says why once (the `BulwarkMetricsMissing` alert fires: upgrade the node).
//!
//! Each pass runs on a blocking thread of its own, never in the way of import or authoring.
//! A validator that wants every cycle for its own work runs with `--no-risk-metrics` and leaves
//! the series to an RPC node that follows the same chain.
//!
//! Money is in whole USDB (the silos' collateral, 6 decimals), prices in USD per coin. The names
//! and their meaning are listed in `ops/metrics.txt`, which the alert rules and the dashboard
//! are checked against.

use std::{collections::BTreeMap, sync::Arc};

use bulwark_runtime::{opaque::Block, AssetId, BlockNumber, Runtime, RuntimeEvent};
use codec::{Decode, DecodeAll};
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
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT},
	traits::{Get, Saturating},
	FixedI128, FixedPointNumber, FixedU128,
};
use sp_storage::StorageKey;

use crate::service::{FullBackend, FullClient};

/// The stress test's shock the `bulwark_silo_stress_*` series report: every market 20% down.
const STRESS_SHOCK_PERCENT: i128 = -20;
/// The liquidation queue is counted up to this many positions: one page of `liquidatable` (its
/// largest). Paging further would rebuild the frontier and skip what came before for every
/// page, a cost growing with the square of the queue; `bulwark_liquidation_queue_capped`
/// says when the count stopped here.
pub const LIQUIDATION_QUEUE_CAP: u32 = 1_000;
/// Collateral units per USDB.
const USDB: f64 = bulwark_runtime::USDB as f64;

/// How this node reads its risk metrics (`--no-risk-metrics`, `--risk-stress-every`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
	/// Whether the `bulwark_*` series are exported at all (on a node with a Prometheus endpoint).
	pub enabled: bool,
	/// The stress test is read when its last reading is this many best blocks old (at least 1).
	pub stress_every: u32,
}

/// The gauges read at every new best block: created afresh for each, so a market or silo that
/// is gone leaves no series behind.
struct BlockGauges {
	block_number: GaugeVec<F64>,
	oracle_price: GaugeVec<F64>,
	oracle_age: GaugeVec<F64>,
	oracle_stale: GaugeVec<F64>,
	oracle_degraded: GaugeVec<F64>,
	oracle_spread: GaugeVec<F64>,
	oracle_volatility: GaugeVec<F64>,
	breaker_level: GaugeVec<F64>,
	flagged: GaugeVec<F64>,
	open_interest: GaugeVec<F64>,
	emergency: GaugeVec<F64>,
	pool: GaugeVec<F64>,
	insurance: GaugeVec<F64>,
	insurance_floor: GaugeVec<F64>,
	withdrawals: GaugeVec<F64>,
	liquidation_queue: GaugeVec<F64>,
	liquidation_queue_capped: GaugeVec<F64>,
	block_liquidations: GaugeVec<F64>,
	block_deleverages: GaugeVec<F64>,
}

/// The stress test's gauges, read every `stress_every` blocks.
struct StressGauges {
	block_number: GaugeVec<F64>,
	bad_debt: GaugeVec<F64>,
	uncovered: GaugeVec<F64>,
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> GaugeVec<F64> {
	GaugeVec::new(Opts::new(name, help), labels).expect("static names and labels are valid")
}

fn families(gauges: &[&GaugeVec<F64>]) -> Vec<MetricFamily> {
	gauges.iter().flat_map(|g| g.collect()).collect()
}

fn descs(gauges: &[&GaugeVec<F64>]) -> Vec<Desc> {
	gauges.iter().flat_map(|g| g.desc()).cloned().collect()
}

impl BlockGauges {
	fn new() -> Self {
		Self {
			block_number: gauge(
				"bulwark_block_number",
				"The best block the bulwark_* gauges were read at (the stress test's: \
				 bulwark_stress_block_number).",
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
			oracle_degraded: gauge(
				"bulwark_oracle_degraded",
				"1 when the oracle calls the market's price Degraded (made by fewer feeders than \
				 the quorum; the market is held ReduceOnly), else 0.",
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
			withdrawals: gauge(
				"bulwark_silo_withdrawals",
				"The silo's withdrawals: 0 Normal, 1 RateLimited, 2 Frozen.",
				&["silo"],
			),
			liquidation_queue: gauge(
				"bulwark_silo_liquidation_queue",
				"Positions in the silo's markets that are liquidatable now (the chain's first \
				 1000 in the protocol's order are counted).",
				&["silo"],
			),
			liquidation_queue_capped: gauge(
				"bulwark_liquidation_queue_capped",
				"1 when the liquidation queue holds at least the 1000 positions counted, so \
				 bulwark_silo_liquidation_queue is a lower bound; else 0.",
				&[],
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
			&self.oracle_degraded,
			&self.oracle_spread,
			&self.oracle_volatility,
			&self.breaker_level,
			&self.flagged,
			&self.open_interest,
			&self.emergency,
			&self.pool,
			&self.insurance,
			&self.insurance_floor,
			&self.withdrawals,
			&self.liquidation_queue,
			&self.liquidation_queue_capped,
			&self.block_liquidations,
			&self.block_deleverages,
		]
	}
}

impl StressGauges {
	fn new() -> Self {
		Self {
			block_number: gauge(
				"bulwark_stress_block_number",
				"The best block the bulwark_silo_stress_* gauges were read at (the stress test \
				 walks every position: it is read every --risk-stress-every blocks).",
				&[],
			),
			bad_debt: gauge(
				"bulwark_silo_stress_bad_debt_usdb",
				"Bad debt the shock (every market's price moved by `shock`) would leave in the \
				 silo, in USDB.",
				&["silo", "shock"],
			),
			uncovered: gauge(
				"bulwark_silo_stress_uncovered_usdb",
				"Of that bad debt, what the silo's insurance fund cannot pay (the LPs' loss), in \
				 USDB.",
				&["silo", "shock"],
			),
		}
	}

	fn all(&self) -> [&GaugeVec<F64>; 3] {
		[&self.block_number, &self.bad_debt, &self.uncovered]
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

/// The stress test's last reading: the block it was read at and its series.
struct StressReading {
	number: BlockNumber,
	hash: <Block as BlockT>::Hash,
	families: Vec<MetricFamily>,
}

/// Whether the stress test must be read again at best block `number`: never read, read on a
/// block the best chain no longer holds (`canonical_then` is the best chain's block at the
/// reading's height), after a re-org to a shorter chain, or `every` blocks old.
fn stress_due(
	last: Option<(BlockNumber, <Block as BlockT>::Hash)>,
	canonical_then: Option<<Block as BlockT>::Hash>,
	number: BlockNumber,
	every: u32,
) -> bool {
	match last {
		None => true,
		Some((at, hash)) => {
			canonical_then != Some(hash) || number < at || number - at >= every.max(1)
		},
	}
}

/// The series this node exports about the chain's risk.
pub struct RiskMetrics {
	options: Options,
	snapshot: Snapshot,
	liquidations: Counter<U64>,
	deleverages: Counter<U64>,
	bad_debt: Counter<F64>,
	/// Blocks (or a block's events) this node could not read.
	errors: Counter<U64>,
	/// How long the last block's gauges took to read: what the metrics cost this node.
	read_seconds: Gauge<F64>,
}

const LOG_TARGET: &str = "bulwark-metrics";

impl RiskMetrics {
	/// Registers every `bulwark_*` series in `registry`.
	pub fn register(registry: &Registry, options: Options) -> Result<Self, PrometheusError> {
		let mut all = descs(&BlockGauges::new().all());
		all.extend(descs(&StressGauges::new().all()));
		let snapshot =
			Snapshot { descs: Arc::new(all), families: Arc::new(Mutex::new(Vec::new())) };
		Ok(Self {
			options,
			snapshot: register(snapshot, registry)?,
			liquidations: register(
				Counter::new(
					"bulwark_liquidations_total",
					"Liquidations in the blocks this node saw finalized since it started.",
				)?,
				registry,
			)?,
			deleverages: register(
				Counter::new(
					"bulwark_deleverages_total",
					"Positions auto-deleveraged in the blocks this node saw finalized since it \
					 started.",
				)?,
				registry,
			)?,
			bad_debt: register(
				Counter::new(
					"bulwark_bad_debt_usdb_total",
					"Bad debt left by liquidations in the blocks this node saw finalized since \
					 it started, in USDB.",
				)?,
				registry,
			)?,
			errors: register(
				Counter::new(
					"bulwark_metrics_errors_total",
					"Blocks whose risk metrics or events this node could not read (a runtime \
					 this binary does not know: upgrade the node).",
				)?,
				registry,
			)?,
			read_seconds: register(
				Gauge::new(
					"bulwark_metrics_read_seconds",
					"How long reading the last block's bulwark_* gauges took (with the stress \
					 test when it was due: it walks every position).",
				)?,
				registry,
			)?,
		})
	}

	/// Reads the newest best block whenever the client imports one, until the node stops.
	async fn follow_best(
		self: Arc<Self>,
		client: Arc<FullClient>,
		mut imports: sc_client_api::ImportNotifications<Block>,
	) {
		let mut stress: Option<StressReading> = None;
		let mut failing = false;
		while let Some(first) = imports.next().await {
			// Behind (a burst of imports, a slow read): only the newest best block is read.
			let mut newest = None;
			let mut next = Some(first);
			while let Some(notification) = next {
				if notification.is_new_best {
					newest = Some((notification.hash, *notification.header.number()));
				}
				next = imports.next().now_or_never().flatten();
			}
			let Some((hash, number)) = newest else { continue };
			let started = std::time::Instant::now();
			match self.read_block(&client, hash, number, &mut stress) {
				Ok(families) => {
					if failing {
						log::info!(target: LOG_TARGET, "risk metrics read again at block {number}");
					}
					failing = false;
					*self.snapshot.families.lock() = families;
				},
				Err(error) => {
					// No gauges rather than stale or misread ones: the alert on missing
					// metrics says so, and the log says why (once per failing stretch).
					self.errors.inc();
					self.snapshot.families.lock().clear();
					stress = None;
					let why = format!(
						"risk metrics of block {number} ({hash:?}) not read: {error}{}",
						spec_note(&client, hash)
					);
					if failing {
						log::debug!(target: LOG_TARGET, "{why}");
					} else {
						log::warn!(target: LOG_TARGET, "{why}");
					}
					failing = true;
				},
			}
			self.read_seconds.set(started.elapsed().as_secs_f64());
		}
	}

	/// Counts the events of every block finalized, until the node stops.
	async fn count_finalized(
		self: Arc<Self>,
		client: Arc<FullClient>,
		mut finality: sc_client_api::FinalityNotifications<Block>,
	) {
		while let Some(notification) = finality.next().await {
			// `tree_route`: the blocks between the last finalized and this one, finalized with it.
			for hash in notification.tree_route.iter().chain(std::iter::once(&notification.hash)) {
				match block_events(&client, *hash) {
					Ok(events) => {
						self.liquidations.inc_by(events.liquidations);
						self.deleverages.inc_by(events.deleverages);
						self.bad_debt.inc_by(events.bad_debt as f64 / USDB);
					},
					Err(error) => {
						self.errors.inc();
						log::debug!(
							target: LOG_TARGET,
							"events of finalized block {hash:?} not counted: {error}"
						);
					},
				}
			}
		}
	}

	/// One block's gauges, as families ready for scrapes; the stress test's are `stress`'s,
	/// read again first if due.
	fn read_block(
		&self,
		client: &FullClient,
		hash: <Block as BlockT>::Hash,
		number: BlockNumber,
		stress: &mut Option<StressReading>,
	) -> Result<Vec<MetricFamily>, String> {
		let gauges = BlockGauges::new();
		let api = client.runtime_api();
		let fail = |what: &str, error: sp_api::ApiError| format!("{what}: {error}");
		gauges.block_number.with_label_values(&[]).set(number as f64);

		let mut silo_of_market = BTreeMap::new();
		for report in api.market_statuses(hash).map_err(|e| fail("market_statuses", e))? {
			// A market the margin engine no longer has (settled and removed) holds no risk;
			// the breakers still track it, but its series would keep alerts firing.
			let state: Option<pallet_perpetual_margin::MarketOf<Runtime>> = read_storage(
				client,
				hash,
				pallet_perpetual_margin::Markets::<Runtime>::hashed_key_for(report.market),
			)?;
			let Some(state) = state else { continue };
			silo_of_market.insert(report.market, state.silo);
			let label = report.market.to_string();
			let market = [label.as_str()];
			gauges.breaker_level.with_label_values(&market).set(level(report.status));
			gauges.flagged.with_label_values(&market).set(flag(report.flagged));
			let price: Option<pallet_price_oracle::MarketPrice<BlockNumber>> = read_storage(
				client,
				hash,
				pallet_price_oracle::Prices::<Runtime>::hashed_key_for(report.market),
			)?;
			let Some(price) = price else { continue };
			gauges.oracle_price.with_label_values(&market).set(fixed(price.price));
			gauges
				.oracle_age
				.with_label_values(&market)
				.set(number.saturating_sub(price.updated_at) as f64);
			let stale = price.status == bulwark_primitives::PriceStatus::Stale;
			gauges.oracle_stale.with_label_values(&market).set(flag(stale));
			let degraded = price.status == bulwark_primitives::PriceStatus::Degraded;
			gauges.oracle_degraded.with_label_values(&market).set(flag(degraded));
			gauges
				.oracle_spread
				.with_label_values(&market)
				.set(price.spread.deconstruct() as f64 / 1e9);
			gauges.oracle_volatility.with_label_values(&market).set(fixed(price.variance).sqrt());
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
		let emergency = api.emergency(hash).map_err(|e| fail("emergency", e))?;
		gauges.emergency.with_label_values(&[]).set(flag(emergency));

		let breaker_params: pallet_circuit_breaker::BreakerParams<BlockNumber> = read_storage(
			client,
			hash,
			pallet_circuit_breaker::Params::<Runtime>::hashed_key().to_vec(),
		)?
		.unwrap_or_else(pallet_circuit_breaker::DefaultParams::<Runtime>::get);
		for report in api.silo_statuses(hash).map_err(|e| fail("silo_statuses", e))? {
			let silo: Option<pallet_collateral_silos::Silo<AssetId, BlockNumber>> = read_storage(
				client,
				hash,
				pallet_collateral_silos::Silos::<Runtime>::hashed_key_for(report.silo),
			)?;
			// A silo closed and removed: nothing left to watch.
			let Some(silo) = silo else { continue };
			let label = report.silo.to_string();
			let at = [label.as_str()];
			gauges.pool.with_label_values(&at).set(silo.books.pool as f64 / USDB);
			gauges.insurance.with_label_values(&at).set(silo.books.insurance as f64 / USDB);
			let floor =
				breaker_params.insurance_floor.saturating_mul_int(silo.params.insurance_target);
			gauges.insurance_floor.with_label_values(&at).set(floor as f64 / USDB);
			gauges.withdrawals.with_label_values(&at).set(match report.withdrawals {
				bulwark_primitives::WithdrawalStatus::Normal => 0.0,
				bulwark_primitives::WithdrawalStatus::RateLimited => 1.0,
				bulwark_primitives::WithdrawalStatus::Frozen => 2.0,
			});
			gauges.liquidation_queue.with_label_values(&at).set(0.0);
		}

		let due = api
			.liquidatable(hash, 0, LIQUIDATION_QUEUE_CAP)
			.map_err(|e| fail("liquidatable", e))?;
		for (_, market) in &due {
			if let Some(silo) = silo_of_market.get(market) {
				gauges.liquidation_queue.with_label_values(&[silo.to_string().as_str()]).inc();
			}
		}
		let capped = due.len() >= LIQUIDATION_QUEUE_CAP as usize;
		gauges.liquidation_queue_capped.with_label_values(&[]).set(flag(capped));

		// Events the node cannot decode leave the block's two event gauges out, not the rest.
		match block_events(client, hash) {
			Ok(events) => {
				gauges.block_liquidations.with_label_values(&[]).set(events.liquidations as f64);
				gauges.block_deleverages.with_label_values(&[]).set(events.deleverages as f64);
			},
			Err(error) => {
				self.errors.inc();
				log::debug!(target: LOG_TARGET, "events of block {number} not read: {error}");
			},
		}

		let last = stress.as_ref().map(|reading| (reading.number, reading.hash));
		let canonical_then = match last {
			Some((at, _)) => client.hash(at).map_err(|e| format!("hash of block {at}: {e}"))?,
			None => None,
		};
		if stress_due(last, canonical_then, number, self.options.stress_every) {
			let families = read_stress(client, hash, number)?;
			*stress = Some(StressReading { number, hash, families });
		}
		let mut families = families(&gauges.all());
		families.extend(stress.iter().flat_map(|reading| reading.families.iter().cloned()));
		Ok(families)
	}
}

/// The stress test at block `hash` (every market's price moved by [`STRESS_SHOCK_PERCENT`]).
fn read_stress(
	client: &FullClient,
	hash: <Block as BlockT>::Hash,
	number: BlockNumber,
) -> Result<Vec<MetricFamily>, String> {
	let gauges = StressGauges::new();
	let shock_label = format!("{:.1}", STRESS_SHOCK_PERCENT as f64 / 100.0);
	let shock = FixedI128::saturating_from_rational(STRESS_SHOCK_PERCENT, 100);
	let stress = client
		.runtime_api()
		.stress_test(hash, None, shock)
		.map_err(|e| format!("stress_test: {e}"))?;
	gauges.block_number.with_label_values(&[]).set(number as f64);
	for silo in &stress {
		let label = silo.silo.to_string();
		let shocked = [label.as_str(), shock_label.as_str()];
		gauges.bad_debt.with_label_values(&shocked).set(silo.bad_debt as f64 / USDB);
		gauges.uncovered.with_label_values(&shocked).set(silo.uncovered as f64 / USDB);
	}
	Ok(families(&gauges.all()))
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

/// A storage value at `hash`, decoded whole as this node's runtime types; `None` if absent.
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
		// Every byte must be used: a value that decodes with bytes left over is a layout
		// this binary does not know, read as if it did.
		V::decode_all(&mut &data.0[..]).map_err(|e| {
			format!("storage {} does not decode: {e}", sp_core::hexdisplay::HexDisplay::from(&key))
		})
	})
	.transpose()
}

/// When the chain's runtime is not the one this node was built with, says so (a read that
/// fails there most likely fails on a changed type).
fn spec_note(client: &FullClient, hash: <Block as BlockT>::Hash) -> String {
	let built = bulwark_runtime::VERSION.spec_version;
	match client.runtime_api().version(hash) {
		Ok(version) if version.spec_version != built => format!(
			" (the chain runs spec {}, this node was built with spec {built}: upgrade the node)",
			version.spec_version
		),
		_ => String::new(),
	}
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

/// Starts the metrics tasks if the node has a Prometheus endpoint and the metrics are on.
pub fn spawn(
	client: Arc<FullClient>,
	registry: Option<&Registry>,
	options: Options,
	spawner: &sc_service::SpawnTaskHandle,
) -> Result<(), PrometheusError> {
	let Some(registry) = registry.filter(|_| options.enabled) else { return Ok(()) };
	let metrics = Arc::new(RiskMetrics::register(registry, options)?);
	// Subscribed now, before the node imports or finalizes anything: nothing is missed while
	// the tasks start.
	let imports = client.import_notification_stream();
	let finality = client.finality_notification_stream();
	// Runtime calls (the stress test walks every position) block: threads of their own.
	spawner.spawn_blocking(
		"bulwark-risk-metrics",
		Some("metrics"),
		metrics.clone().follow_best(client.clone(), imports),
	);
	spawner.spawn_blocking(
		"bulwark-risk-counters",
		Some("metrics"),
		metrics.count_finalized(client, finality),
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_stress_test_is_read_when_due_and_again_after_a_reorg() {
		let (a, b) =
			(<Block as BlockT>::Hash::repeat_byte(1), <Block as BlockT>::Hash::repeat_byte(2));
		// Never read: due.
		assert!(stress_due(None, None, 5, 10));
		// Read at 100 on the best chain: not due before 110, due at 110.
		assert!(!stress_due(Some((100, a)), Some(a), 100, 10));
		assert!(!stress_due(Some((100, a)), Some(a), 109, 10));
		assert!(stress_due(Some((100, a)), Some(a), 110, 10));
		// Every block when asked for every block.
		assert!(stress_due(Some((100, a)), Some(a), 101, 1));
		assert!(!stress_due(Some((100, a)), Some(a), 100, 1));
		// 0 is taken as 1, not as never.
		assert!(stress_due(Some((100, a)), Some(a), 101, 0));
		// The block it was read at left the best chain (a re-org): due at once.
		assert!(stress_due(Some((100, a)), Some(b), 101, 10));
		assert!(stress_due(Some((100, a)), None, 101, 10));
		// A re-org to a shorter chain.
		assert!(stress_due(Some((100, a)), Some(a), 99, 10));
	}
}
