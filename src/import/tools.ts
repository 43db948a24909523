/** Each tool fmig imports from: how its folder is read and what its ledger is. */
import { alembicLedger } from './alembic.js';
import { dbmateLedger, readDbmate } from './dbmate.js';
import { golangMigrateLedger, readGolangMigrate } from './golang-migrate.js';
import { gooseLedger, readGoose } from './goose.js';
import { dieselLedger, readDiesel } from './diesel.js';
import { flywayLedger, readFlyway } from './flyway.js';
import { prismaLedger, readPrisma } from './prisma.js';
import type { TheirFile, ToolFolder, ToolLedger, ToolName } from './types.js';

export interface Tool {
  /** Reads the folder's files; null for Alembic, whose revisions Alembic itself turns into SQL. */
  read: ((files: readonly TheirFile[]) => ToolFolder) | null;
  ledger: ToolLedger;
  /** Every revision names its parent: the tool's ids say nothing about order. */
  explicitParents: boolean;
  /** What its folder is usually called, for messages. */
  folder: string;
}

export const tools: Record<ToolName, Tool> = {
  alembic: { read: null, ledger: alembicLedger, explicitParents: true, folder: 'the folder holding alembic.ini' },
  'golang-migrate': { read: readGolangMigrate, ledger: golangMigrateLedger, explicitParents: false, folder: 'migrations/' },
  goose: { read: readGoose, ledger: gooseLedger, explicitParents: false, folder: 'migrations/' },
  dbmate: { read: readDbmate, ledger: dbmateLedger, explicitParents: false, folder: 'db/migrations/' },
  flyway: { read: readFlyway, ledger: flywayLedger, explicitParents: false, folder: 'src/main/resources/db/migration/ or sql/' },
  diesel: { read: readDiesel, ledger: dieselLedger, explicitParents: false, folder: 'migrations/' },
  prisma: { read: readPrisma, ledger: prismaLedger, explicitParents: false, folder: 'prisma/migrations/' },
};
