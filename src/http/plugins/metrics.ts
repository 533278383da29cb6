import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RecordTypeDef } from '../../domain/records.js';
import type { IngestObserver } from '../../ingest/ingest.service.js';

/** Prometheus metrics of one app instance (its own registry, so test apps do not collide). */
export class Metrics implements IngestObserver {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'traitforge_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'traitforge_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly records = new Counter({
    name: 'traitforge_records_ingested_total',
    help: 'Records committed, by type and environment',
    labelNames: ['type', 'environment'],
    registers: [this.registry],
  });
  private readonly rejects = new Counter({
    name: 'traitforge_records_rejected_total',
    help: 'Records in batches refused as invalid, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  ingested(def: RecordTypeDef, environment: string, count: number): void {
    this.records.inc({ type: def.type, environment }, count);
  }

  rejected(def: RecordTypeDef, count: number): void {
    this.rejects.inc({ type: def.type }, count);
  }

  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label so scanners cannot blow up the series count.
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: reply.statusCode });
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(this.registry.contentType).send(await this.registry.metrics());
    });
  }
}
