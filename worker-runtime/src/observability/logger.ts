import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Every log line about a request carries `requestId`, so one id follows a job from the
 * proxy's HTTP handler through the queue to the worker and back (`logger.child({ requestId })`).
 */
export function createLogger(role: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
    return pino({ name: `chrysalis-${role}`, level, base: { role } });
}

/** A logger that drops everything, for tests and benchmarks that only want figures. */
export function silentLogger(): Logger {
    return pino({ level: 'silent' });
}
