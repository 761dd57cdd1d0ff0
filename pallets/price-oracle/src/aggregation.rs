//! Aggregation and staleness: how a round that reached its quorum becomes the market's price (the
//! median; its spread measured and a wide round flagged; outliers counted against their feeders;
//! TWAP and EWMA variance moved; Stale turned
//! Fresh; [`Config::OnPriceUpdate`] handed the new [`Aggregate`]), and the start-of-block pass
//! that marks markets Stale and abandons rounds that timed out without a quorum.

use super::*;
use bulwark_primitives::Aggregate;

impl<T: Config> Pallet<T> {
	/// Closes a round that has its quorum: the median becomes the market's price.
	pub(crate) fn aggregate(
		market: MarketId,
		round: RoundOf<T>,
		params: &OracleParams<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
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

		let previous = Prices::<T>::get(market);
		let twap_window: u32 = params.twap_window.unique_saturated_into();
		let (twap, variance) = match previous {
			Some(last) => {
				let elapsed: u32 = now.saturating_sub(last.updated_at).unique_saturated_into();
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
		let was_stale = previous.is_some_and(|last| last.status == PriceStatus::Stale);
		Prices::<T>::insert(
			market,
			MarketPrice {
				price: aggregate,
				round: round.round,
				updated_at: now,
				timestamp: T::UnixTime::now().as_millis().unique_saturated_into(),
				reports,
				twap,
				variance,
				status: PriceStatus::Fresh,
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
		if was_stale {
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

	/// The start-of-block pass: Stale markets, abandoned rounds.
	pub(crate) fn check_markets(now: BlockNumberFor<T>) {
		let params = Params::<T>::get();
		for market in Feeds::<T>::iter_keys() {
			if let Some(mut price) = Prices::<T>::get(market) {
				let age = now.saturating_sub(price.updated_at);
				if price.status == PriceStatus::Fresh && age >= params.stale_after {
					price.status = PriceStatus::Stale;
					Prices::<T>::insert(market, price);
					Self::deposit_event(Event::MarketStale {
						market,
						last_update: price.updated_at,
					});
				}
			}
			Rounds::<T>::mutate(market, |open| {
				let Some(open) = open else { return };
				let Some(first) = open.first_report_at else { return };
				if now.saturating_sub(first) >= params.round_timeout {
					Self::deposit_event(Event::RoundAbandoned {
						market,
						round: open.round,
						reports: open.reports.len() as u32,
					});
					open.round = open.round.saturating_add(1);
					open.first_report_at = None;
					open.reports = BoundedVec::new();
				}
			});
		}
	}
}
