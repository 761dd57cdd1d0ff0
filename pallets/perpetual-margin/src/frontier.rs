//! Which liquidatable position comes next: the frontier of the liquidation books of a set of
//! markets. The protocol's pass, the validators' keeper submissions and the
//! `liquidatable` view all walk it, so they agree on the order.
//!
//! The order: silos take turns (one position each per turn, starting from a rotating silo), so
//! no silo's backlog can delay another's; within a silo, the position with the lowest equity
//! over maintenance first, across its markets, sides and size tiers. Each book is read from its
//! most-at-risk end and left at its first position that is not liquidatable: what lies behind it
//! is safer (see [`crate::index`]); a position whose health cannot be computed (or that is
//! missing) counts as due first, so that its failure to liquidate is seen and the book goes on
//! past it rather than hiding what lies behind. A market without a usable price is left out; its positions
//! wait without holding up anyone else's. Reads: a market, its price, and the head of each of its
//! books once, then one index step and one position per position taken.

use super::*;
use crate::index::BookId;

/// A book's next liquidatable position, or where to read it from.
struct BookHead<AccountId> {
	book: BookId,
	/// Raw key of the last entry taken or looked at.
	after: Option<Vec<u8>>,
	/// The next liquidatable position: (equity over maintenance, owner).
	head: Option<(FixedI128, AccountId)>,
	/// Whether `head` must be read (from `after`) before it is used.
	stale: bool,
	/// The book's first non-liquidatable position (or its end) was reached.
	ended: bool,
}

struct MarketHeads<T: Config> {
	market: MarketId,
	state: MarketOf<T>,
	prices: SidePrices,
	books: Vec<BookHead<T::AccountId>>,
}

/// The liquidatable positions of some markets, in the order the protocol takes them.
pub struct Frontier<T: Config> {
	/// Per silo (in turn order), its markets with a usable price.
	silos: Vec<(SiloId, Vec<MarketHeads<T>>)>,
	/// Markets left out for want of a usable price.
	unpriced: Vec<MarketId>,
	turn: usize,
}

impl<T: Config> Frontier<T> {
	/// The frontier of `markets` (unknown ones ignored). `liquidation_prices`: at the prices the
	/// breakers let liquidations of each side use (else the last known prices, for views). The silos' turns
	/// start at the `rotation`-th (modulo their number).
	pub fn new(
		markets: impl IntoIterator<Item = MarketId>,
		liquidation_prices: bool,
		rotation: usize,
	) -> Self {
		let mut silos: BTreeMap<SiloId, Vec<MarketHeads<T>>> = BTreeMap::new();
		let mut unpriced = Vec::new();
		for market in markets {
			let Some(state) = Markets::<T>::get(market) else { continue };
			let state = Pallet::<T>::with_accrual(market, state);
			let prices = if liquidation_prices {
				Pallet::<T>::liquidation_unit_prices(market, state.silo, &state.params).ok()
			} else {
				Pallet::<T>::unit_price_if_any(market, &state.params).map(SidePrices::both)
			};
			let Some(prices) = prices else {
				unpriced.push(market);
				continue;
			};
			let books = Pallet::<T>::liquidation_books(market, state.params.size_tiers.len())
				.into_iter()
				.map(|book| BookHead { book, after: None, head: None, stale: true, ended: false })
				.collect();
			silos.entry(state.silo).or_default().push(MarketHeads { market, state, prices, books });
		}
		let mut silos: Vec<_> = silos.into_iter().collect();
		if !silos.is_empty() {
			let len = silos.len();
			silos.rotate_left(rotation % len);
		}
		Frontier { silos, unpriced, turn: 0 }
	}

	/// Reads a book's next liquidatable position if it must.
	fn refresh(
		market: MarketId,
		state: &MarketOf<T>,
		prices: SidePrices,
		head: &mut BookHead<T::AccountId>,
	) {
		if !head.stale {
			return;
		}
		head.stale = false;
		head.head = None;
		if head.ended {
			return;
		}
		let Some((who, raw)) = Pallet::<T>::next_in_book(head.book, head.after.take()) else {
			head.ended = true;
			return;
		};
		head.after = Some(raw);
		let price = prices.of(head.book.1 == Book::LiquidateLongs);
		match Pallet::<T>::head_coverage(market, state, price, &who) {
			Some(coverage) => head.head = Some((coverage, who)),
			None => head.ended = true,
		}
	}

	/// Markets whose books all reached a position that is not liquidatable: nothing in them is
	/// due at these prices.
	pub fn cleared(&self) -> Vec<MarketId> {
		self.silos
			.iter()
			.flat_map(|(_, markets)| markets.iter())
			.filter(|market| market.books.iter().all(|book| book.ended))
			.map(|market| market.market)
			.collect()
	}

	/// Markets left out for want of a usable price.
	pub fn unpriced(&self) -> &[MarketId] {
		&self.unpriced
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `who`'s position at the head of a book of `market` is due at `price`: its equity
	/// over maintenance if so (the lowest possible if its health cannot be computed), `None` if
	/// it is healthy.
	pub(crate) fn head_coverage(
		market: MarketId,
		state: &MarketOf<T>,
		price: FixedU128,
		who: &T::AccountId,
	) -> Option<FixedI128> {
		let Some(position) = Positions::<T>::get(who, market) else {
			return Some(FixedI128::from_inner(i128::MIN));
		};
		match Self::health(state, &position, price) {
			Ok(health) if health.liquidatable() => Some(health.coverage()),
			Ok(_) => None,
			Err(_) => Some(FixedI128::from_inner(i128::MIN)),
		}
	}
}

impl<T: Config> Iterator for Frontier<T> {
	/// (silo, owner, market).
	type Item = (SiloId, T::AccountId, MarketId);

	fn next(&mut self) -> Option<Self::Item> {
		let silos = self.silos.len();
		for step in 0..silos {
			let index = (self.turn + step) % silos;
			let (silo, markets) = &mut self.silos[index];
			// The silo's most underwater position across its markets' books (the first found
			// among equals).
			let mut best: Option<(FixedI128, usize, usize)> = None;
			for (m, heads) in markets.iter_mut().enumerate() {
				let MarketHeads { market, state, prices, books } = heads;
				for (b, head) in books.iter_mut().enumerate() {
					Self::refresh(*market, state, *prices, head);
					if let Some((coverage, _)) = &head.head {
						if best.is_none_or(|(lowest, _, _)| *coverage < lowest) {
							best = Some((*coverage, m, b));
						}
					}
				}
			}
			let Some((_, m, b)) = best else { continue };
			let heads = &mut markets[m];
			let head = &mut heads.books[b];
			let (_, who) = head.head.take()?;
			// Read on at the next call: the caller may liquidate this one first.
			head.stale = true;
			self.turn = index + 1;
			return Some((*silo, who, heads.market));
		}
		None
	}
}
