import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-claim-routing';
import { migration0003 } from './0003-statistics';
import { migration0004 } from './0004-claim-plans';
import { migration0005 } from './0005-task-principal';
import { migration0006 } from './0006-operations';
import { migration0007 } from './0007-flow-control';
import { migration0008 } from './0008-schedules';

/** A forward-only migration: applied once, in id order, never edited after release. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
]);
