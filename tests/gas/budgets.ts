// Gas budgets of issue 2 (Registry and WorkerStake), summed over each operation's chain as gas-report.json measures
// it (tests/gas/measure.ts). Tact 1.6 spends 2,000-3,000 gas per transaction on loading/saving storage, message
// parsing and dispatch before any protocol logic, and cells (500) and actions (526) are priced by TVM, so some chains
// exceed the issue's targets (docs/contracts-registry.md, "Why three budgets still do not hold"); those are listed in
// OVER_ISSUE_BUDGET with their measured ceiling, and the spec fails if any figure rises above its ceiling, if an
// operation outside that list exceeds its issue budget, or if a listed one comes back under budget (update the list).
export const ISSUE_BUDGETS: Record<string, number> = {
    'worker.register': 12_000,
    'worker.topUp': 6_000,
    'worker.startUnbonding': 6_000,
    'worker.withdraw': 6_000,
    'worker.slash': 10_000,
    'worker.slashByProof': 15_000,
    'registry.allowModel': 8_000,
};

/** Regression ceilings: the measured figure plus about 2%. */
export const GAS_CEILINGS: Record<string, number> = {
    'registry.allowModel': 11_800,
    'registry.setParams': 25_050,
    'worker.register': 12_000,
    'worker.topUp': 4_900,
    'worker.startUnbonding': 4_900,
    'worker.withdraw': 6_500,
    'worker.slash': 14_800,
    'worker.slashByProof': 13_500,
};

/** Operations whose measured gas is above the issue's budget (see the note above and docs/contracts-registry.md). */
export const OVER_ISSUE_BUDGET = ['registry.allowModel', 'worker.slash', 'worker.withdraw'];
