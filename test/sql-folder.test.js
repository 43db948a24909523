// The repository's own sql/ folder: it parses into the intended graph, and the schema it builds
// behaves as a finance inbox should. (Its round trips run in the engine tests and `fmig check`.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { memoryPglite } from './helpers/databases.js';
import { parseFolder } from '../dist/core/folder.js';
import { loadHasher } from '../dist/core/checksum.js';

const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));

async function loadFolder() {
  const files = readdirSync(SQL_DIR).map((name) => ({ name, bytes: readFileSync(join(SQL_DIR, name)) }));
  return parseFolder(files, await loadHasher());
}

// The folder's no-transaction files hold plain DDL with no quoted semicolons, so a split at
// line-ending semicolons is exact for them.
function statements(text) {
  return text
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.replace(/^(?:[ \t]*(?:--[^\n]*)?\n)+/, '').trim())
    .filter(Boolean);
}

test('the folder is one chain with a branch and a merge, ending in one head', async () => {
  const folder = await loadFolder();
  const ids = folder.revisions.map((r) => r.id);
  assert.equal(ids, Array.from({ length: ids.length }, (_, i) => String(i + 1).padStart(6, '0')));
  assert.ok(ids.length >= 9);
  assert.ok(folder.revisions.every((r) => r.down !== null), 'every revision has a down file');
  assert.equal(folder.graph.heads(), [ids.at(-1)]);
  assert.equal(folder.graph.kind('000005'), 'branch-point');
  assert.equal(folder.graph.children('000005'), ['000006', '000007']);
  assert.equal(folder.byId.get('000007').parents, ['000005']);
  assert.equal(folder.byId.get('000008').parents, ['000006', '000007']);
  assert.equal(folder.graph.kind('000008'), 'merge');
  assert.equal(folder.graph.order(), ids);
  const noTx = folder.revisions.filter((r) => r.up.noTransaction);
  assert.equal(noTx.map((r) => r.id), ['000012']);
  assert.ok(noTx[0].down.noTransaction, 'its down file runs outside a transaction too');
  assert.match(noTx[0].up.text, /CREATE INDEX CONCURRENTLY/);
});

test('the categorisation trigger, the updated_at trigger and the views work on the applied schema', async () => {
  const folder = await loadFolder();
  const pg = await memoryPglite();
  try {
    for (const id of folder.graph.order()) {
      const up = folder.byId.get(id).up;
      if (up.noTransaction) for (const s of statements(up.text)) await pg.exec(s);
      else await pg.exec(up.text);
    }
    await pg.exec(`
      INSERT INTO institutions (name, country, bic) VALUES ('Example Bank', 'DE', 'EXMPDEFFXXX');
      INSERT INTO accounts (institution_id, name, currency, iban, opening_balance) VALUES (1, 'Main', 'EUR', 'DE89370400440532013000', 100);
      INSERT INTO categories (name) VALUES ('Travel'), ('Software');
      INSERT INTO category_rules (category_id, pattern, priority) VALUES (2, '%air%', 1), (1, '%lufthansa%', 10);
      INSERT INTO transactions (account_id, posted_on, amount, currency, description, counterparty)
        VALUES (1, '2024-05-01', -250.5, 'EUR', 'Flight FRA-LHR', 'Lufthansa Air'), (1, '2024-05-02', -12, 'EUR', 'Coffee', NULL);
      INSERT INTO inbox_items (message_id, sender, subject, received_at, amount, currency, status)
        VALUES ('<1@example>', 'billing@lufthansa.example', 'Your invoice', now(), 250.5, 'EUR', 'extracted'),
               ('<2@example>', 'receipts@cafe.example', 'Receipt', now(), 12, 'EUR', 'extracted');
      INSERT INTO matches (inbox_item_id, transaction_id, confidence, matched_by, confirmed_at)
        SELECT id, 1, 0.97, 'auto', now() FROM inbox_items WHERE message_id = '<1@example>';
    `);
    const categories = await pg.query(`SELECT description, category_id FROM transactions ORDER BY id`);
    assert.equal(categories.rows, [{ description: 'Flight FRA-LHR', category_id: 1 }, { description: 'Coffee', category_id: null }]);
    const balance = await pg.query(`SELECT balance FROM account_balances`);
    assert.equal(balance.rows, [{ balance: '-162.5000' }]);
    const unmatched = await pg.query(`SELECT subject FROM unmatched_inbox_items`);
    assert.equal(unmatched.rows, [{ subject: 'Receipt' }]);
    const confirmed = await pg.query(`SELECT category, amount FROM confirmed_matches`);
    assert.equal(confirmed.rows, [{ category: 'Travel', amount: '-250.5000' }]);
    await pg.exec(`UPDATE accounts SET updated_at = '2000-01-01'; UPDATE accounts SET name = 'Main account'`);
    const touched = await pg.query(`SELECT updated_at > '2001-01-01' AS touched FROM accounts`);
    assert.equal(touched.rows, [{ touched: true }]);
    try {
      await pg.exec(`INSERT INTO transactions (account_id, posted_on, amount, currency) VALUES (1, '2024-05-03', 1, 'eur')`);
      assert.unreachable('a lowercase currency code is refused');
    } catch (e) {
      assert.match(e.message, /transactions_currency_check/);
    }
  } finally {
    await pg.close();
  }
});

test.run();
