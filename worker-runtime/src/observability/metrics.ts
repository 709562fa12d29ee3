import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const latencyBucketsSeconds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The Prometheus metrics a role exposes on `/metrics`; each role owns its own registry. */
export class RoleMetrics {
    readonly registry = new Registry();
    readonly requests: Counter<'model' | 'outcome'>;
    readonly errors: Counter<'kind'>;
    readonly inferenceSeconds: Histogram<'model'>;
    readonly endToEndSeconds: Histogram<'model'>;
    readonly vouchersSigned: Counter<'kind'>;
    readonly settlements: Counter<'kind'>;

    constructor(role: string, withDefaults = false) {
        this.registry.setDefaultLabels({ role });
        if (withDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'chrysalis_' });
        const registers = [this.registry];
        this.requests = new Counter({
            name: 'chrysalis_requests_total',
            help: 'Inference requests by model and outcome',
            labelNames: ['model', 'outcome'],
            registers,
        });
        this.errors = new Counter({
            name: 'chrysalis_errors_total',
            help: 'Errors by kind',
            labelNames: ['kind'],
            registers,
        });
        this.inferenceSeconds = new Histogram({
            name: 'chrysalis_inference_seconds',
            help: 'Model run time inside the worker',
            labelNames: ['model'],
            buckets: latencyBucketsSeconds,
            registers,
        });
        this.endToEndSeconds = new Histogram({
            name: 'chrysalis_end_to_end_seconds',
            help: 'Time from accepting a request to answering it',
            labelNames: ['model'],
            buckets: latencyBucketsSeconds,
            registers,
        });
        this.vouchersSigned = new Counter({
            name: 'chrysalis_vouchers_signed_total',
            help: 'Vouchers signed by kind (charge, payout, refund)',
            labelNames: ['kind'],
            registers,
        });
        this.settlements = new Counter({
            name: 'chrysalis_settlements_total',
            help: 'On-chain settlements sent by kind',
            labelNames: ['kind'],
            registers,
        });
    }
}
