//! The position index: every position has a place in two ordered books of its market, so that
//! what a price move made liquidatable, and who has the most profit to deleverage, are read
//! from one end of a book instead of by visiting every position.
//!
//! - Liquidation books, one per (market, side, size tier): positions ordered by their
//!   [`math::liquidation_key`], the most at risk first. A price move, funding or a volatility
//!   margin change moves the side's threshold ([`math::liquidation_threshold`]), never a key, so
//!   the liquidatable positions of a book are a prefix of it, and within the book they come
//!   most underwater first (same tier: same maintenance fraction). The pass decides with each
//!   position's exact health, which rounds every amount against the trader; a position within
//!   those few units of its requirement may sit behind a healthy one and wait for the next move
//!   (never in bad debt: its slack per unit is above the healthy one's). The property test
//!   `frontier_against_a_scan` checks all of this against a scan of every position.
//! - Deleverage books, one per (market, side): ordered by [`math::deleverage_key`], the most
//!   profit per unit first at any price.
//!
//! An entry is `(market, book, tier), order bytes, account -> ()`, the first two under identity
//! hashers, so the trie's key order is the book's order; equal keys come in the order of their
//! owners' hashes. Order bytes are the trader's to choose (through entry and margin), so a
//! book's head path can be made at most 32 nibbles deeper than a random one, never more: the
//! owner is hashed. A position's entries are rewritten whenever it is
//! ([`Pallet::store_position`]); a market's size tiers cannot change while it has positions, so
//! every entry's tier stays the one its size gives.

use super::*;

/// A book of a market: which index a position is in, and which end is served first.
#[derive(
	Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Book {
	/// Longs by liquidation key, highest (most at risk) first.
	LiquidateLongs,
	/// Shorts by liquidation key, lowest first.
	LiquidateShorts,
	/// Longs by deleverage key, lowest (most profit per unit) first.
	DeleverageLongs,
	/// Shorts by deleverage key, highest first.
	DeleverageShorts,
}

impl Book {
	pub fn liquidation(long: bool) -> Self {
		if long {
			Book::LiquidateLongs
		} else {
			Book::LiquidateShorts
		}
	}

	pub fn deleverage(long: bool) -> Self {
		if long {
			Book::DeleverageLongs
		} else {
			Book::DeleverageShorts
		}
	}
}

/// One book: (market, book, size tier; 0 for deleverage books).
pub type BookId = (MarketId, Book, u8);

/// Where a position sits in a book: its key's order bytes, then its owner.
pub type Place<AccountId> = ([u8; 16], AccountId);

impl<T: Config> Pallet<T> {
	/// The books and places of `who`'s `position` in `market` (none for no position).
	pub(crate) fn index_places(
		market: MarketId,
		tiers: &[SizeTier],
		who: &T::AccountId,
		position: &Position,
	) -> Option<[(BookId, Place<T::AccountId>); 2]> {
		if position.size_units == 0 {
			return None;
		}
		let long = position.size_units > 0;
		let tier = math::tier_of(tiers, position.size_units.unsigned_abs()) as u8;
		let key = math::liquidation_key(
			position.size_units,
			position.entry,
			position.margin,
			position.funding_index,
		);
		let profit_key =
			math::deleverage_key(position.size_units, position.entry, position.funding_index);
		Some([
			((market, Book::liquidation(long), tier), (math::order_bytes(key, long), who.clone())),
			(
				(market, Book::deleverage(long), 0),
				(math::order_bytes(profit_key, !long), who.clone()),
			),
		])
	}

	/// Moves `who`'s entries from where `old` had them to where `new` needs them.
	pub(crate) fn reindex(
		who: &T::AccountId,
		market: MarketId,
		tiers: &[SizeTier],
		old: &Position,
		new: &Position,
	) {
		let before = Self::index_places(market, tiers, who, old);
		let after = Self::index_places(market, tiers, who, new);
		// Only the places that move are written: margin in or out leaves the deleverage place.
		let stays = |place: &(BookId, Place<T::AccountId>), other: &Option<[_; 2]>| {
			other.as_ref().is_some_and(|places| places.contains(place))
		};
		for place in before.iter().flatten().filter(|place| !stays(place, &after)) {
			let (book, (order, who)) = place.clone();
			PositionIndex::<T>::remove((book, order, who));
		}
		for place in after.iter().flatten().filter(|place| !stays(place, &before)) {
			let (book, (order, who)) = place.clone();
			PositionIndex::<T>::insert((book, order, who), ());
		}
	}

	/// The first entry of `book` after the raw storage key `after` (from the start: `None`),
	/// with its raw key, to go on from.
	pub(crate) fn next_in_book(
		book: BookId,
		after: Option<Vec<u8>>,
	) -> Option<(T::AccountId, Vec<u8>)> {
		let mut entries = match after {
			Some(raw) => PositionIndex::<T>::iter_key_prefix_from((book,), raw),
			None => PositionIndex::<T>::iter_key_prefix((book,)),
		};
		let (_, who) = entries.next()?;
		Some((who, entries.last_raw_key().to_vec()))
	}

	/// The liquidation books of `market` with size tiers `tiers`: both sides, every tier.
	pub(crate) fn liquidation_books(market: MarketId, tiers: usize) -> Vec<BookId> {
		[true, false]
			.into_iter()
			.flat_map(|long| {
				(0..=tiers).map(move |tier| (market, Book::liquidation(long), tier as u8))
			})
			.collect()
	}
}
