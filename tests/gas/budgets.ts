// Gas budgets of issue 2 (Registry and WorkerStake), summed over each operation's chain as gas-report.json measures
// it (tests/gas/measure.ts). Every operation must hold its issue budget (docs/contracts-registry.md, "Gas"), and no
// figure may rise above its regression ceiling.
export const ISSUE_BUDGETS: Record<string, number> = {
    'worker.register': 12_000,
    'worker.topUp': 6_000,
    'worker.startUnbonding': 6_000,
    'worker.withdraw': 6_000,
    'worker.slash': 10_000,
    'worker.slashByProof': 15_000,
    'registry.allowModel': 8_000,
};

/** Regression ceilings: the measured figure plus about 2% (the issue budget still applies where it is lower). */
export const GAS_CEILINGS: Record<string, number> = {
    'registry.allowModel': 8_135,
    'registry.setParams': 21_950,
    'worker.register': 11_650,
    'worker.topUp': 4_625,
    'worker.startUnbonding': 4_700,
    'worker.withdraw': 6_100,
    'worker.slash': 10_120,
    'worker.slashByProof': 12_460,
};
