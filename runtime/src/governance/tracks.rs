//! The referendum tracks: `root` (anything, including runtime upgrades and the validator set)
//! and `risk_parameters` (market, silo, oracle and breaker parameters), with periods that give
//! token holders days to react to root changes and hours to parameter changes.

use super::origins::Origin as GovernanceOrigin;
use crate::{Balance, BlockNumber, OriginCaller, BWK, DAYS, HOURS, MINUTES};
use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as name, Perbill};

/// Track ids.
pub const ROOT_TRACK: u16 = 0;
pub const RISK_PARAMETERS_TRACK: u16 = 1;

const fn percent(x: u32) -> Perbill {
	Perbill::from_percent(x)
}

/// Ayes needed, as a share of the votes cast: all of them at the start of the decision period,
/// falling to a simple majority at its end. The tracks differ in support and periods.
const APPROVAL: Curve =
	Curve::LinearDecreasing { length: percent(100), floor: percent(50), ceil: percent(100) };

const TRACKS: [Track<u16, Balance, BlockNumber>; 2] = [
	Track {
		id: ROOT_TRACK,
		info: TrackInfo {
			name: name("root"),
			// One root change decided at a time.
			max_deciding: 1,
			decision_deposit: 10_000 * BWK,
			prepare_period: HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			// Support (turnout of ayes) from 50% down to 5% of all BWK.
			min_approval: APPROVAL,
			min_support: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(5),
				ceil: percent(50),
			},
		},
	},
	Track {
		id: RISK_PARAMETERS_TRACK,
		info: TrackInfo {
			name: name("risk_parameters"),
			max_deciding: 10,
			decision_deposit: 1_000 * BWK,
			prepare_period: 10 * MINUTES,
			decision_period: 2 * DAYS,
			confirm_period: 3 * HOURS,
			min_enactment_period: 10 * MINUTES,
			min_approval: APPROVAL,
			min_support: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(1),
				ceil: percent(25),
			},
		},
	},
];

pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = u16;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		TRACKS.iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ROOT_TRACK),
			OriginCaller::GovernanceOrigins(GovernanceOrigin::RiskParameters) => {
				Ok(RISK_PARAMETERS_TRACK)
			},
			_ => Err(()),
		}
	}
}
