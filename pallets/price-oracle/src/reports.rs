//! Reports: what a feeder's signed report must satisfy to enter the pool and a block
//! (signature, feeder, round, price band, one report per feeder per round), how a report for the
//! next round waits in the pool, and how an accepted report joins its round and completes the
//! quorum. Closing the round is [`crate::aggregation`]'s.

use super::*;

/// Where a report's round stands against its market's open round.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RoundFit {
	/// The open round: it can join it now.
	Open,
	/// The round after: a pool may hold it until that round opens.
	Next,
}

impl<T: Config> Pallet<T> {
	/// Pool (and block) validation of a report: everything but the signature is checked against
	/// state first, so junk costs one storage read; the signature last.
	///
	/// A pool may judge a report against a block older than the one its offchain worker read
	/// (under load the pool's view lags the chain by a block). So the pool keeps a report for
	/// the round after the open one as a *future* transaction: it `requires` a tag nothing
	/// provides, and becomes ready when revalidation sees its round open. In a block
	/// (`TransactionSource::InBlock`) only the open round is valid.
	pub(crate) fn authorize_report(
		source: TransactionSource,
		report: &ReportOf<T>,
		signature: &SignatureOf<T>,
	) -> TransactionValidityWithRefund {
		let invalid = |error: Error<T>| {
			let code = match error {
				Error::UnknownMarket => 1,
				Error::NotFeeder => 2,
				Error::WrongRound => 3,
				Error::AlreadyReported => 4,
				Error::PriceOutOfBounds => 5,
				_ => 0,
			};
			TransactionValidityError::Invalid(InvalidTransaction::Custom(code))
		};
		let (_, fit) = Self::check_report(report).map_err(invalid)?;
		let waits_for_round = fit == RoundFit::Next;
		if waits_for_round && source == TransactionSource::InBlock {
			return Err(invalid(Error::WrongRound));
		}
		if !report.feeder.verify(&Self::report_payload(report), signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		let longevity: u64 = Params::<T>::get().round_timeout.unique_saturated_into();
		let mut validity = ValidTransaction::with_tag_prefix("BulwarkOracle")
			.priority(T::ReportPriority::get())
			.and_provides((report.market, report.round, report.feeder.clone()))
			.longevity(longevity.max(1))
			.propagate(true);
		if waits_for_round {
			validity = validity.and_requires((b"round-open", report.market, report.round));
		}
		Ok((validity.build()?, Weight::zero()))
	}

	/// What a feeder signs for `report`: the domain, this chain's genesis hash and the report.
	/// The genesis hash binds it to one chain: a feeder whose key also feeds another network (a
	/// testnet, a staging chain) cannot have its reports there replayed here. (A fork of this
	/// chain shares its genesis: there the rounds, which only move forward, refuse replays.)
	pub fn report_payload(report: &ReportOf<T>) -> Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		(REPORT_CONTEXT, genesis, report).encode()
	}

	/// The state checks of a report, shared by the pool and the call: the market's open round,
	/// and whether the report is for it or for the one after.
	fn check_report(report: &ReportOf<T>) -> Result<(RoundOf<T>, RoundFit), Error<T>> {
		let feed = Feeds::<T>::get(report.market).ok_or(Error::<T>::UnknownMarket)?;
		ensure!(Feeders::<T>::get().binary_search(&report.feeder).is_ok(), Error::<T>::NotFeeder);
		let round = Rounds::<T>::get(report.market).ok_or(Error::<T>::UnknownMarket)?;
		let fit = if report.round == round.round {
			ensure!(
				!round.reports.iter().any(|(feeder, _)| *feeder == report.feeder),
				Error::<T>::AlreadyReported
			);
			RoundFit::Open
		} else if report.round == round.round.saturating_add(1) {
			RoundFit::Next
		} else {
			return Err(Error::<T>::WrongRound);
		};
		ensure!(
			report.price >= feed.min_price && report.price <= feed.max_price,
			Error::<T>::PriceOutOfBounds
		);
		Ok((round, fit))
	}

	/// Adds a checked report to its round; aggregates when it completes the quorum. Returns the
	/// number of reports aggregated, if it did.
	pub(crate) fn accept_report(report: ReportOf<T>) -> Result<Option<u32>, DispatchError> {
		let (mut round, fit) = Self::check_report(&report)?;
		ensure!(fit == RoundFit::Open, Error::<T>::WrongRound);
		let now = frame_system::Pallet::<T>::block_number();
		round
			.reports
			.try_push((report.feeder.clone(), report.price))
			// Cannot fail: one report per feeder and at most MaxFeeders feeders.
			.map_err(|_| Error::<T>::TooManyFeeders)?;
		round.first_report_at.get_or_insert(now);
		Self::deposit_event(Event::ReportAccepted {
			market: report.market,
			round: report.round,
			feeder: report.feeder,
			price: report.price,
		});
		let params = Params::<T>::get();
		let needed = math::quorum(
			Feeders::<T>::decode_len().unwrap_or(0) as u32,
			params.quorum_numerator,
			params.quorum_denominator,
		);
		let count = round.reports.len() as u32;
		if count < needed {
			Rounds::<T>::insert(report.market, round);
			return Ok(None);
		}
		Self::aggregate(report.market, round, &params, now, PriceStatus::Fresh);
		Ok(Some(count))
	}

	/// The open round of `market`, for offchain workers and UIs.
	pub fn open_round(market: MarketId) -> Option<RoundOf<T>> {
		Rounds::<T>::get(market)
	}
}
