/**
 * Builds what the reply worker needs for budgets (budget-stop.ts `BudgetDeps`): the gate
 * over the Redis counters, once-per-window claims, and the owner's DM through the platform adapter.
 */
import type { Redis } from 'ioredis';
import type { Platform, PlatformAdapter } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import type { Db } from '../store/database.ts';
import { createBudgetGate } from '../usage/budget-gate.ts';
import { createBudgetLedger } from '../usage/budget-ledger.ts';
import type { PriceTable } from '../usage/prices.ts';
import type { BudgetDeps } from './budget-stop.ts';

export interface BudgetWiring {
  redis: Redis;
  prefix: string;
  db: Db;
  prices: PriceTable;
  maxOutputTokens: number;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  logger: Logger;
}

export function createBudgetDeps(w: BudgetWiring): BudgetDeps {
  const ledger = createBudgetLedger(w.redis, w.prefix);
  return {
    gate: createBudgetGate({ ledger, db: w.db, prices: w.prices, maxOutputTokens: w.maxOutputTokens }),

    async claimOnce(key, untilMs) {
      return (await w.redis.set(`${w.prefix}:${key}`, '1', 'PXAT', untilMs, 'NX')) === 'OK';
    },

    async notifyOwner(agent, text) {
      try {
        const row = await w.db.agent.findUnique({
          where: { id: agent.id },
          select: { owner: { select: { platform: true, externalId: true } } },
        });
        const owner = row?.owner;
        const adapter = owner ? w.adapters[owner.platform as Platform] : undefined;
        if (!owner || !adapter?.directMessage) {
          w.logger.info(
            { agentId: agent.id, platform: owner?.platform },
            'budget spent: the owner cannot be sent a DM from here (no owner, or no adapter in this process)',
          );
          return;
        }
        await adapter.directMessage(owner.externalId, text);
      } catch (error) {
        w.logger.warn({ err: error, agentId: agent.id }, 'could not send the budget DM to the owner');
      }
    },
  };
}
