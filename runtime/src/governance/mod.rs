//! On-chain governance: referenda on two tracks voted with conviction-locked BWK, enacted by the
//! scheduler; a guardian committee that can only trip circuit breakers; and the origins the rest
//! of the runtime accepts.
//!
//! | origin | who | may |
//! | --- | --- | --- |
//! | Root | a referendum on the `root` track (sudo on dev/local chains only) | anything: runtime upgrades, the validator set |
//! | [`GovernanceOrigin`] | Root, or a referendum on the `risk_parameters` track | market, silo, oracle and breaker parameters; lift breakers |
//! | [`TripOrigin`] | the above, or half of the guardians | trip breakers, declare an emergency |

pub mod origins;
pub mod tracks;

use crate::{AccountId, GuardianCollective};
use frame_support::traits::EitherOf;
use frame_system::EnsureRoot;

/// Parameters of markets, silos, the oracle and the breakers: Root or the risk-parameters
/// track.
pub type GovernanceOrigin = EitherOf<EnsureRoot<AccountId>, origins::RiskParameters>;

/// At least half of the guardian committee.
pub type GuardiansMajority =
	pallet_collective::EnsureProportionAtLeast<AccountId, GuardianCollective, 1, 2>;

/// Tripping breakers: governance, or the guardians at once.
pub type TripOrigin = EitherOf<GovernanceOrigin, GuardiansMajority>;

use crate::{
	Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, BWK, DAYS, MILLI_BWK,
	MINUTES,
};
use frame_support::{
	parameter_types,
	traits::{fungible::HoldConsideration, ConstU32, EqualPrivilegeOnly, LinearStoragePrice},
	weights::Weight,
};
use frame_system::EnsureSigned;
use sp_runtime::Perbill;

parameter_types! {
	pub const PreimageBaseDeposit: Balance = BWK;
	/// Preimages are held against their author at a milli-BWK per byte (a runtime of 2 MB holds
	/// 2,000 BWK until it is enacted or unnoted).
	pub const PreimageByteDeposit: Balance = MILLI_BWK;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Scheduled calls (enacted referenda) may use 80% of a block.
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * crate::configs::RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	pub const SubmissionDeposit: Balance = 100 * BWK;
	pub const UndecidingTimeout: BlockNumber = 14 * DAYS;
	pub const AlarmInterval: BlockNumber = 1;
	/// Votes stay locked a week per conviction multiplier step.
	pub const VoteLockingPeriod: BlockNumber = 7 * DAYS;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Any account may propose, against the submission deposit.
	type SubmitOrigin = EnsureSigned<AccountId>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Slash = ();
	type Votes = Balance;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = AlarmInterval;
	type Tracks = tracks::TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	/// Turnout is measured against all BWK in existence.
	type MaxTurnout = frame_support::traits::TotalIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<64>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

impl origins::pallet_governance_origins::Config for Runtime {}

parameter_types! {
	/// A guardians' motion lapses after an hour: tripping a breaker is urgent or pointless.
	pub const GuardianMotionDuration: BlockNumber = 60 * MINUTES;
	pub MaxGuardianProposalWeight: Weight =
		Perbill::from_percent(50) * crate::configs::RuntimeBlockWeights::get().max_block;
}

/// The guardians: members set by Root. Their majority's origin passes only [`TripOrigin`].
impl pallet_collective::Config<GuardianCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = GuardianMotionDuration;
	type MaxProposals = ConstU32<16>;
	type MaxMembers = ConstU32<16>;
	type DefaultVote = pallet_collective::MoreThanMajorityThenPrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxGuardianProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}
