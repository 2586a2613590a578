/** `search`: one request against the store, printed to a stream; notes (more results, nothing found) go to the log. */
import * as fs from 'node:fs';
import { ConfigError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { createLineWriter } from '../core/output/line-writer';
import { formatAlertJson, formatAlertLine } from '../detect/alert-format';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../rules/loader';
import { CSV_HEADER, eventFormatter, formatHistogram, formatTop } from './format';
import { sqliteBackend, type SearchBackend } from './backend';
import { huntRules } from './retro-hunt';
import type { SearchRequest } from './search-options';
import { formatStoryJson, formatStoryText } from './story-format';
import { makeFilter } from './where';

/**
 * Resolves to the exit code: 0, or 1 when a process was asked for and is not in the store.
 * `backend`: the store to ask (the CLI passes OpenSearch's); default the SQLite store at req.dir.
 */
export async function runSearch(req: SearchRequest, out: NodeJS.WritableStream, logger: Logger, backend?: () => SearchBackend): Promise<number> {
  if (!backend && !fs.existsSync(req.dir)) throw new ConfigError(`--db: no store at ${req.dir}`);
  const files = req.what.mode === 'hunt' ? req.what.ruleFiles : [];
  const loaded = loadRules([DEFAULT_RULES, ...files].map(readRuleFile));
  const filter = makeFilter(req, loaded.env);
  const search = backend ? backend() : sqliteBackend(req.dir);
  const writer = createLineWriter({ stream: out, onClosed: () => undefined });
  const budget = { deadlineMs: req.timeoutMs === undefined ? undefined : Date.now() + req.timeoutMs };
  const lines = async (ls: string[]): Promise<void> => {
    for (const l of ls) await writer.write(l);
  };
  let code = 0;
  try {
    const w = req.what;
    switch (w.mode) {
      case 'events': {
        const { events, more } = await search.events(filter, req.limit, budget);
        const format = eventFormatter(req.output);
        if (req.output === 'csv') await writer.write(CSV_HEADER);
        for (const e of events) await writer.write(format(e.ev));
        if (more) logger.warn({ limit: req.limit }, 'more events match: raise --limit or narrow the search');
        break;
      }
      case 'count': {
        const n = await search.count(filter, budget);
        await writer.write(req.output === 'json' || req.output === 'ecs' ? JSON.stringify({ events: n }) : String(n));
        break;
      }
      case 'top':
        await lines(formatTop(await search.top(filter, w.fields, w.n, budget), w.fields, req.output));
        break;
      case 'histogram':
        await lines(formatHistogram(await search.histogram(filter, w.bucketNs, budget), req.output));
        break;
      case 'process': {
        const story = await search.story(w.ref, { limit: req.limit });
        if (!story) {
          logger.warn({ process: w.ref.host, pid: w.ref.pid, start: w.ref.startNs?.toString() }, 'no such process in the store');
          code = 1;
          break;
        }
        await lines(req.output === 'json' || req.output === 'ecs' ? [formatStoryJson(story)] : formatStoryText(story));
        break;
      }
      case 'hunt': {
        // --rules FILE alone hunts with that file's rules (the default pack lends its macros and lists).
        const pool = w.ruleIds.length === 0 && w.ruleFiles.length ? loaded.rules.filter((r) => w.ruleFiles.includes(r.source.file)) : loaded.rules;
        const rules = huntRules(pool, w.ruleIds);
        const { alerts, more } = await search.hunt(rules, loaded.env, filter, req.limit, budget);
        await lines(alerts.map(req.output === 'json' || req.output === 'ecs' ? formatAlertJson : formatAlertLine));
        if (more) logger.warn({ limit: req.limit }, 'more alerts: raise --limit or narrow the search');
        logger.info({ rules: rules.map((r) => r.id), alerts: alerts.length }, 'retro-hunt done');
        break;
      }
    }
  } finally {
    await writer.flush();
    await search.close();
  }
  return code;
}
