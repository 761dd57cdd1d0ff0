// What the breakers' reasons and levels mean, for when the metadata carries no docs for types
// (this runtime's metadata has docs for calls, events and errors, not for enums such as
// `Reason`). Transcribed from pallets/circuit-breaker/src/types.rs and pallets/primitives.

export const REASONS: Record<string, string> = {
  OracleStale: 'The oracle has no fresh price.',
  OracleStaleTooLong: 'The oracle has had no fresh price for longer than `halt_after_stale`.',
  PriceBand: 'An aggregate moved beyond the band.',
  InsuranceLow: "The silo's insurance fund is below its floor.",
  WithdrawalSurge: "Withdrawals beyond the window's share of the pool.",
  BadDebt: 'Bad debt in the silo.',
  Guardian: 'The guardian tripped it.',
  Recovered: 'Its condition stayed clear for `recovery_blocks`.',
  Lifted: 'Governance lifted it.',
  ReserveShortfall: "The silo's pool holds less than its traders' claims and its reserve.",
  BooksMismatch: "The silo's account holds less than its books say: an accounting bug or an asset moved behind its back. Only governance lifts it.",
  UnconfirmedMove: 'An aggregate moved beyond the band of the last one and of the TWAP: held for a second.',
  WideRound: "The feeders disagreed beyond the oracle's bound in the round that made the aggregate.",
  ProfitDrain: "The pool paid out the window's whole allowance of realized profit.",
  OracleDegraded: "The oracle's price is Degraded: made by fewer feeders than its quorum.",
};

export const MARKET_STATUSES: Record<string, string> = {
  Normal: '',
  ReduceOnly: 'Only closing trades and liquidations.',
  Halted: 'Nothing acts on its positions: no trading and no liquidation (only margin may be added). Automatic once the price has been Stale too long to act on; a guardian\'s stop.',
};

export const WITHDRAWAL_STATUSES: Record<string, string> = {
  Normal: 'Withdrawals are paid at once.',
  RateLimited: "At most a share of the pool leaves per window; the rest waits in the silo's queue.",
  Frozen: 'Nothing leaves the silo.',
};

export const PRICE_STATUSES: Record<string, string> = {
  Fresh: 'A quorum of feeders agreed on a price recently enough.',
  Stale: 'No aggregate for longer than the oracle\'s staleness limit: the price is the last known one and must not be used to open risk.',
  Degraded: 'Made by fewer feeders than the quorum (at least half of them, all agreeing) after the market had gone Stale: recent, so positions may be reduced and liquidated at it, but no new risk is opened until a full quorum makes it Fresh.',
};
