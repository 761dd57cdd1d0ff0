//! Feeds and the parameters shared by all feeds: what governance may set, the bounds a feed
//! (symbol, sources, `min_sources`, price band, URLs, price paths) and the oracle parameters
//! (quorum, windows, decay, HTTP deadline) must stay within, and what adding, replacing and
//! removing a feed does to the market's round and price.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_feed(market: MarketId, feed: FeedOf<T>) -> DispatchResult {
		Self::ensure_valid_feed(&feed)?;
		let exists = Feeds::<T>::contains_key(market);
		ensure!(exists || Feeds::<T>::count() < T::MaxMarkets::get(), Error::<T>::TooManyMarkets);
		Feeds::<T>::insert(market, feed);
		// A removed feed keeps its round (see `remove_feed`), so numbering continues and no old
		// report is ever valid again; only a market that never had a feed starts at 1.
		if !Rounds::<T>::contains_key(market) {
			Rounds::<T>::insert(
				market,
				OpenRound { round: 1, first_report_at: None, reports: BoundedVec::new() },
			);
		}
		Self::deposit_event(Event::FeedSet { market });
		Ok(())
	}

	/// Removes the feed of `market`: its open round is abandoned (its number stays taken) and its
	/// last price stays, Stale.
	pub(crate) fn do_remove_feed(market: MarketId) -> DispatchResult {
		ensure!(Feeds::<T>::contains_key(market), Error::<T>::UnknownMarket);
		Feeds::<T>::remove(market);
		Rounds::<T>::mutate(market, |round| {
			if let Some(round) = round {
				round.round = round.round.saturating_add(1);
				round.first_report_at = None;
				round.reports = BoundedVec::new();
			}
		});
		Prices::<T>::mutate(market, |price| {
			if let Some(price) = price {
				price.status = PriceStatus::Stale;
			}
		});
		Self::deposit_event(Event::FeedRemoved { market });
		Ok(())
	}

	pub(crate) fn ensure_valid_feed(feed: &FeedOf<T>) -> Result<(), Error<T>> {
		let printable = |bytes: &[u8]| bytes.iter().all(|b| b.is_ascii_graphic());
		ensure!(!feed.symbol.is_empty() && printable(&feed.symbol), Error::<T>::BadSymbol);
		ensure!(!feed.sources.is_empty(), Error::<T>::NoSources);
		ensure!(
			feed.min_sources >= 1 && feed.min_sources as usize <= feed.sources.len(),
			Error::<T>::BadMinSources
		);
		ensure!(
			!feed.min_price.is_zero() && feed.min_price < feed.max_price,
			Error::<T>::BadPriceBand
		);
		for source in &feed.sources {
			let url = &source.url[..];
			ensure!(
				(url.starts_with(b"http://") || url.starts_with(b"https://")) && printable(url),
				Error::<T>::BadUrl
			);
			json::validate_path(&source.price_path).map_err(|_| Error::<T>::BadPricePath)?;
		}
		Ok(())
	}

	pub(crate) fn ensure_valid_params(
		params: &OracleParams<BlockNumberFor<T>>,
	) -> Result<(), Error<T>> {
		ensure!(
			params.quorum_numerator > 0
				&& params.quorum_numerator <= params.quorum_denominator
				&& params.quorum_denominator <= bounds::MAX_QUORUM_DENOMINATOR,
			Error::<T>::BadQuorum
		);
		// Windows and intervals longer than a day of 6 s blocks are refused.
		let max: BlockNumberFor<T> = bulwark_primitives::MAX_BLOCKS.into();
		for window in
			[params.stale_after, params.round_timeout, params.twap_window, params.report_interval]
		{
			ensure!(!window.is_zero() && window <= max, Error::<T>::BadWindow);
		}
		ensure!(params.volatility_decay < sp_runtime::Permill::one(), Error::<T>::BadDecay);
		ensure!(
			(bounds::MIN_HTTP_DEADLINE_MS..=bounds::MAX_HTTP_DEADLINE_MS)
				.contains(&params.http_deadline_ms),
			Error::<T>::BadDeadline
		);
		ensure!(!params.max_spread.is_zero(), Error::<T>::BadSpread);
		Ok(())
	}
}
