//! The offchain worker: fetch every source of every feed under one deadline, reduce each feed's
//! answers to one price, sign it with each local feeder key and submit it.

use super::*;
use alloc::{format, vec, vec::Vec};
use sp_runtime::offchain::{http, Duration, StorageKind, Timestamp};

/// Answers longer than this are dropped unread past this point: no exchange's ticker is larger,
/// and a hostile source must not make a validator read megabytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The node-local storage key holding an operator's replacement URL for source `index` of
/// `market`'s feed (kind PERSISTENT, raw URL bytes).
pub fn source_override_key(market: MarketId, index: u32) -> Vec<u8> {
	format!("bulwark/oracle/url/{market}/{index}").into_bytes()
}

/// Why a source gave no price.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SourceError {
	/// The URL is not valid UTF-8 or the request could not start.
	Unreachable,
	/// No answer before the deadline.
	Timeout,
	/// An HTTP status other than 200.
	Status(u16),
	/// The body was longer than [`MAX_BODY_BYTES`].
	TooLarge,
	/// The body broke off.
	Io,
	/// The body held no usable price.
	Parse(json::JsonError),
}

/// One feed's work in a run: where to ask, and which local feeders still owe a report.
struct FeedJob<T: Config> {
	market: MarketId,
	round: u32,
	feed: FeedOf<T>,
	feeders: Vec<T::AuthorityId>,
}

impl<T: Config> Pallet<T> {
	pub(crate) fn run_offchain_worker(now: BlockNumberFor<T>) {
		let params = Params::<T>::get();
		if !(now % params.report_interval).is_zero() {
			return;
		}
		let feeders = Feeders::<T>::get();
		let local: Vec<T::AuthorityId> = T::AuthorityId::all()
			.into_iter()
			.filter(|key| feeders.binary_search(key).is_ok())
			.collect();
		if local.is_empty() {
			// Not a feeder (a full node, or a validator without its oracle key): nothing to do.
			return;
		}
		let started = sp_io::offchain::timestamp();
		let jobs: Vec<FeedJob<T>> = Feeds::<T>::iter()
			.filter_map(|(market, feed)| {
				let round = Rounds::<T>::get(market)?;
				let owing: Vec<T::AuthorityId> = local
					.iter()
					.filter(|key| !round.reports.iter().any(|(feeder, _)| feeder == *key))
					.cloned()
					.collect();
				(!owing.is_empty()).then_some(FeedJob {
					market,
					round: round.round,
					feed,
					feeders: owing,
				})
			})
			.collect();
		if jobs.is_empty() {
			return;
		}

		let urls: Vec<Vec<u8>> =
			jobs.iter()
				.flat_map(|job| {
					job.feed.sources.iter().enumerate().map(|(index, source)| {
						Self::source_url(job.market, index as u32, &source.url)
					})
				})
				.collect();
		let deadline = started.add(Duration::from_millis(u64::from(params.http_deadline_ms)));
		let mut bodies = fetch_all(&urls, deadline).into_iter();

		let mut submitted = 0u32;
		for job in jobs {
			let mut prices = Vec::new();
			for (index, source) in job.feed.sources.iter().enumerate() {
				let answer =
					bodies.next().unwrap_or(Err(SourceError::Unreachable)).and_then(|body| {
						json::price_at_path(&body, &source.price_path).map_err(SourceError::Parse)
					});
				match answer {
					Ok(price) => prices.push(price),
					Err(error) => log::debug!(
						target: "bulwark::oracle",
						"market {} source {} skipped: {:?}", job.market, index, error
					),
				}
			}
			let answered = prices.len();
			let Some(price) = math::aggregate_sources(
				prices,
				job.feed.max_source_deviation,
				job.feed.min_sources,
			) else {
				log::warn!(
					target: "bulwark::oracle",
					"market {}: {} of {} sources answered, {} must agree: no report",
					job.market, answered, job.feed.sources.len(), job.feed.min_sources
				);
				continue;
			};
			for feeder in job.feeders {
				if Self::submit_signed_report(job.market, job.round, price, feeder) {
					submitted += 1;
				}
			}
		}
		let elapsed = sp_io::offchain::timestamp().diff(&started).millis();
		log::debug!(
			target: "bulwark::oracle",
			"block {:?}: {} sources, {} reports submitted in {} ms", now, urls.len(), submitted, elapsed
		);
	}

	/// The URL to ask: the operator's override for this node if there is one, else the feed's.
	fn source_url(market: MarketId, index: u32, configured: &[u8]) -> Vec<u8> {
		sp_io::offchain::local_storage_get(
			StorageKind::PERSISTENT,
			&source_override_key(market, index),
		)
		.filter(|url| !url.is_empty())
		.unwrap_or_else(|| configured.to_vec())
	}

	/// Signs and submits one report; `false` if the key could not sign or the pool refused it.
	fn submit_signed_report(
		market: MarketId,
		round: u32,
		price: FixedU128,
		feeder: T::AuthorityId,
	) -> bool {
		let report = PriceReport { market, round, price, feeder };
		let Some(signature) = report.feeder.sign(&Self::report_payload(&report)) else {
			log::warn!(target: "bulwark::oracle", "the oracle key could not sign: no report");
			return false;
		};
		let call = Call::<T>::submit_report { report, signature };
		let xt = T::create_authorized_transaction(call.into());
		match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
			Ok(()) => true,
			Err(()) => {
				// Usually a copy of the report is in the pool already.
				log::debug!(target: "bulwark::oracle", "market {market} round {round}: pool refused");
				false
			},
		}
	}
}

/// GETs every URL at once and waits for all of them until `deadline`. One result per URL, in
/// order: the body, or why there is none.
pub(crate) fn fetch_all(
	urls: &[Vec<u8>],
	deadline: Timestamp,
) -> Vec<Result<Vec<u8>, SourceError>> {
	let mut results: Vec<Result<Vec<u8>, SourceError>> =
		vec![Err(SourceError::Unreachable); urls.len()];
	let mut started = Vec::new();
	let mut started_index = Vec::new();
	for (index, url) in urls.iter().enumerate() {
		let Ok(url) = core::str::from_utf8(url) else { continue };
		let request = http::Request::get(url).deadline(deadline);
		if let Ok(pending) = request.send() {
			started.push(pending);
			started_index.push(index);
		}
	}
	let responses = http::PendingRequest::try_wait_all(started, deadline);
	for (index, response) in started_index.into_iter().zip(responses) {
		let result = match response {
			Err(_still_pending) => Err(SourceError::Timeout),
			Ok(Err(http::Error::DeadlineReached)) => Err(SourceError::Timeout),
			Ok(Err(_)) => Err(SourceError::Io),
			Ok(Ok(response)) if response.code != 200 => Err(SourceError::Status(response.code)),
			Ok(Ok(response)) => read_body(response, deadline),
		};
		if let Some(slot) = results.get_mut(index) {
			*slot = result;
		}
	}
	results
}

/// Reads a body up to [`MAX_BODY_BYTES`]; a longer one is an error, read no further.
fn read_body(response: http::Response, deadline: Timestamp) -> Result<Vec<u8>, SourceError> {
	let mut body = response.body();
	body.deadline(deadline);
	let mut bytes = Vec::new();
	for byte in body.by_ref() {
		if bytes.len() == MAX_BODY_BYTES {
			return Err(SourceError::TooLarge);
		}
		bytes.push(byte);
	}
	match body.error() {
		None => Ok(bytes),
		Some(sp_core::offchain::HttpError::DeadlineReached) => Err(SourceError::Timeout),
		Some(_) => Err(SourceError::Io),
	}
}
