// Convenience re-export of the generated Registry wrapper (build/ is produced by `npm run build`).
export * from '../build/Registry/Registry_Registry';
