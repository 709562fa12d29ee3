// Convenience re-export of the generated WorkerStake wrapper (build/ is produced by `npm run build`).
export * from '../build/WorkerStake/WorkerStake_WorkerStake';
