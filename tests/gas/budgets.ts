// Gas budgets of issue 2 (Registry and WorkerStake), summed over each operation's chain as gas-report.json measures
// it (tests/gas/measure.ts). Every operation must hold its issue budget (docs/contracts-registry.md, "Gas"), and no
// figure may rise above its regression ceiling.
export const ISSUE_BUDGETS: Record<string, number> = {
    // Raised from 12,000 by issue 11 (a bounced Activate goes back to its registrant): registration now writes the
    // registrant into RegistryExt (one more cell and the root rebuilt). Registration is not a hot path.
    'worker.register': 14_000,
    'worker.topUp': 6_000,
    'worker.startUnbonding': 6_000,
    'worker.withdraw': 6_000,
    // Raised from 10,000 by issue 11 (security): a governance slash now takes what the balance really holds (not the
    // `stake` field), pays it atomically, and is capped at one per registration (status Slashed, unbonding starts).
    'worker.slash': 11_000,
    'worker.slashByProof': 15_000,
    'registry.allowModel': 8_000,
};

/** Regression ceilings: the measured figure plus about 2% (the issue budget still applies where it is lower). */
export const GAS_CEILINGS: Record<string, number> = {
    'registry.allowModel': 8_135,
    // Issue 11 (security): SetParams refuses a change of the stake terms (they go through the timelock), and shares
    // its code with ExecuteChange (params parsed from a cell), 21,504 -> 26,326.
    'registry.setParams': 26_850,
    // Issue 11 (security): the registry checks the worker key's signature (HASHEXT + CHKSIGNU), 11,421 -> 11,656;
    // then records the registrant for an automatic return of a bounced Activate, 11,656 -> 13,575.
    'worker.register': 13_850,
    'worker.topUp': 4_610,
    'worker.startUnbonding': 4_710,
    // Issue 11: a stake slashed by proof keeps its used request ids on withdrawal (one check), 4,825 -> 4,921.
    'worker.withdraw': 4_930,
    // Issue 11 (security): balance-based amount, one governance slash per registration, 9,922 -> 10,750.
    'worker.slash': 10_970,
    // Issue 11 (security): receipts must match in model, input and registry, amount from the real balance,
    // 12,216 -> 13,512.
    'worker.slashByProof': 13_790,
};
