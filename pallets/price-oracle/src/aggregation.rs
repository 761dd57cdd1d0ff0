//! Aggregation and staleness: how a round that reached its quorum becomes the market's price (the
//! median; its spread measured and a wide round flagged; outliers counted against their feeders;
//! TWAP and EWMA variance moved; Stale turned
//! Fresh; [`Config::OnPriceUpdate`] handed the new [`Aggregate`]), and the start-of-block pass
//! that marks markets Stale and closes or abandons rounds that timed out without a quorum.
//!
//! ## Degraded rounds
//!
//! A round that times out short of its quorum is abandoned while its market is Fresh. Once the
//! market has gone Stale (or is Degraded already), an open round whose first report is at least
//! a block old closes instead, if it holds reports from at least [`math::degraded_quorum`]
//! feeders (half, and at least two) that all agree ([`math::unanimous`]: within the spread bound
//! and none an outlier): their median becomes the market's price with the status
//! [`PriceStatus::Degraded`]. That keeps a price, and with it liquidations, alive while up to
//! half the validators are down, where the 2/3 quorum alone would halt every market. What it
//! gives up is the tolerance of a liar, so the rule is narrow:
//!
//! - Never a way out of Fresh: a round that misses its quorum once (a slow feeder) is abandoned
//!   as before. Only a market without a full-quorum aggregate for `stale_after` blocks gets one;
//!   from then on every round of the live feeders closes degraded a block after its first
//!   report, until a full quorum returns.
//! - Unanimous: a lone liar among two live feeders cannot move the price further than the spread
//!   bound (`max_spread`, 1%) lets a pair disagree; beyond it the round is abandoned. Within it,
//!   it can: a Degraded price is what two feeders agreed on, within 1%, not what a quorum did.
//! - Its age is the age of its oldest report (`updated_at` is that report's block), so
//!   liquidations and the staleness rule never take it for younger than it is.
//! - The breakers hold a Degraded market ReduceOnly: no new risk on fewer than a quorum, but
//!   owners reduce and keepers liquidate, and the band still holds back a jump.
//! - Every eligible market closes in the same pass (at most `MaxMarkets`), each charged as a
//!   full aggregate ([`Pallet::max_aggregate_weight`]), so no market waits behind another.

use super::*;
use bulwark_primitives::Aggregate;

impl<T: Config> Pallet<T> {
	/// Closes a round that has its quorum (`status` Fresh), or a degraded round (`status`
	/// Degraded, see the module docs): the median becomes the market's price.
	pub(crate) fn aggregate(
		market: MarketId,
		round: RoundOf<T>,
		params: &OracleParams<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		status: PriceStatus,
	) {
		let mut prices: Vec<FixedU128> = round.reports.iter().map(|(_, price)| *price).collect();
		let Some(aggregate) = math::median(&mut prices) else { return };
		let reports = round.reports.len() as u32;
		let spread = math::spread(&prices, aggregate);
		let wide = spread > params.max_spread;

		for (feeder, price) in &round.reports {
			let outlier = !math::within_deviation(*price, aggregate, params.outlier_threshold);
			FeederRecord::<T>::mutate(feeder, |stats| {
				stats.reports = stats.reports.saturating_add(1);
				if outlier {
					stats.outliers = stats.outliers.saturating_add(1);
				}
			});
			if outlier {
				Self::deposit_event(Event::OutlierReport {
					market,
					round: round.round,
					feeder: feeder.clone(),
					price: *price,
					aggregate,
				});
			}
		}

		// A degraded round's price is as old as its oldest report; a quorum's is of this block.
		let observed_at = match status {
			PriceStatus::Degraded => round.first_report_at.unwrap_or(now),
			_ => now,
		};
		let previous = Prices::<T>::get(market);
		let twap_window: u32 = params.twap_window.unique_saturated_into();
		let (twap, variance) = match previous {
			Some(last) => {
				let elapsed: u32 =
					observed_at.saturating_sub(last.updated_at).unique_saturated_into();
				(
					math::next_twap(last.twap, last.price, elapsed, twap_window),
					math::next_variance(
						last.variance,
						last.price,
						aggregate,
						elapsed,
						params.volatility_decay,
					),
				)
			},
			None => (aggregate, FixedU128::zero()),
		};
		let was_fresh = previous.is_some_and(|last| last.status == PriceStatus::Fresh);
		Prices::<T>::insert(
			market,
			MarketPrice {
				price: aggregate,
				round: round.round,
				updated_at: observed_at,
				timestamp: T::UnixTime::now().as_millis().unique_saturated_into(),
				reports,
				twap,
				variance,
				status,
				spread,
			},
		);
		Rounds::<T>::insert(
			market,
			OpenRound {
				round: round.round.saturating_add(1),
				first_report_at: None,
				reports: BoundedVec::new(),
			},
		);
		Self::deposit_event(Event::PriceAggregated {
			market,
			round: round.round,
			price: aggregate,
			reports,
			spread,
		});
		if wide {
			Self::deposit_event(Event::WideRound { market, round: round.round, spread });
		}
		if status == PriceStatus::Fresh && previous.is_some() && !was_fresh {
			Self::deposit_event(Event::MarketFresh { market });
		}
		// What `PriceFeed` now reports: the stored price, round and block, and the volatility of
		// the stored variance.
		T::OnPriceUpdate::on_price_update(
			market,
			&Aggregate {
				price: aggregate,
				round: round.round,
				block: now,
				volatility: math::volatility(variance),
				spread,
				wide,
			},
		);
	}

	/// The start-of-block pass: Stale markets; rounds closed degraded; timed-out rounds
	/// abandoned. Returns how many rounds it closed degraded.
	pub(crate) fn check_markets(now: BlockNumberFor<T>) -> u32 {
		let params = Params::<T>::get();
		let feeders = Feeders::<T>::decode_len().unwrap_or(0) as u32;
		let quorum = math::quorum(feeders, params.quorum_numerator, params.quorum_denominator);
		let mut degraded_closes = 0;
		for market in Feeds::<T>::iter_keys() {
			// Whether the market lacks a full-quorum price: Stale, or Degraded already.
			let mut short_of_quorum = false;
			if let Some(mut price) = Prices::<T>::get(market) {
				let age = now.saturating_sub(price.updated_at);
				if price.status != PriceStatus::Stale && age >= params.stale_after {
					price.status = PriceStatus::Stale;
					Prices::<T>::insert(market, price);
					Self::deposit_event(Event::MarketStale {
						market,
						last_update: price.updated_at,
					});
				}
				short_of_quorum = price.status != PriceStatus::Fresh;
			}
			let Some(open) = Rounds::<T>::get(market) else { continue };
			let Some(first) = open.first_report_at else { continue };
			let waited = now.saturating_sub(first);
			if short_of_quorum
				&& !waited.is_zero()
				&& Self::may_close_degraded(&open, feeders, &params)
			{
				degraded_closes += 1;
				let (round, reports) = (open.round, open.reports.len() as u32);
				Self::aggregate(market, open, &params, now, PriceStatus::Degraded);
				Self::deposit_event(Event::DegradedRound { market, round, reports, quorum });
				continue;
			}
			if waited < params.round_timeout {
				continue;
			}
			Self::deposit_event(Event::RoundAbandoned {
				market,
				round: open.round,
				reports: open.reports.len() as u32,
			});
			Rounds::<T>::insert(
				market,
				OpenRound {
					round: open.round.saturating_add(1),
					first_report_at: None,
					reports: BoundedVec::new(),
				},
			);
		}
		degraded_closes
	}

	/// Whether an open round may make a degraded price: enough feeders, all agreeing.
	fn may_close_degraded(
		open: &RoundOf<T>,
		feeders: u32,
		params: &OracleParams<BlockNumberFor<T>>,
	) -> bool {
		if (open.reports.len() as u32) < math::degraded_quorum(feeders) {
			return false;
		}
		let mut prices: Vec<FixedU128> = open.reports.iter().map(|(_, price)| *price).collect();
		let Some(median) = math::median(&mut prices) else { return false };
		math::unanimous(&prices, median, params.max_spread, params.outlier_threshold)
	}
}
